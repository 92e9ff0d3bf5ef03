// `backup FILE`: a consistent snapshot of a running SQLite store, taken by the
// CLI in another process while the server keeps writing. The copy must open,
// pass integrity_check and hold every message acknowledged before it started.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { WsClient } from '../../helpers/ws-client';

let srv: TestServer;
let out: string;
beforeEach(async () => {
  srv = await startTestServer();
  out = await mkdtemp(path.join(os.tmpdir(), 'chat-backup-'));
});
afterEach(async () => {
  await srv.stop();
  await rm(out, { recursive: true, force: true });
});

function messagesIn(file: string): Set<string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return new Set(
      db
        .prepare<[], { text: string }>('SELECT text FROM messages')
        .all()
        .map((r) => r.text),
    );
  } finally {
    db.close();
  }
}

describe('backup', () => {
  it('under write load: the copy passes integrity_check and has every message acknowledged before it started', async () => {
    const senders = await Promise.all(
      ['alice', 'bob', 'carol'].map(async (name) => {
        const c = await WsClient.connect(srv.wsUrl);
        await c.login(name, `${name}-pw`);
        return c;
      }),
    );
    const acked: string[] = [];
    let running = true;
    // Each sender keeps one message in flight, to the next user (offline recipients queue it).
    const load = senders.map(async (client, i) => {
      for (let n = 0; running; n++) {
        const text = `m-${i}-${n}`;
        await client.request({ type: 'message', to: ['bob', 'carol', 'dave'][i]!, text });
        acked.push(text);
      }
    });
    while (acked.length < 150) await new Promise((r) => setTimeout(r, 10));

    const before = [...acked];
    const file = path.join(out, 'chat-backup.db');
    const run = await runCli(['backup', file, '--data', srv.dataDir]);
    const during = acked.length - before.length;
    running = false;
    await Promise.all(load);
    senders.forEach((c) => c.close());

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`written to ${file}`);
    // The server kept acknowledging writes while the backup ran.
    expect(during).toBeGreaterThan(0);
    const saved = messagesIn(file);
    const missing = before.filter((t) => !saved.has(t));
    expect(missing).toEqual([]);
    // A backup is one self-contained file, private to its owner.
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses to overwrite an existing file unless --force, and leaves it untouched', async () => {
    const file = path.join(out, 'existing.db');
    await writeFile(file, 'precious');
    const refused = await runCli(['backup', file, '--data', srv.dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`error: ${file} exists; pass --force to replace it`);
    expect((await stat(file)).size).toBe('precious'.length);

    const forced = await runCli(['backup', file, '--data', srv.dataDir, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(messagesIn(file)).toBeInstanceOf(Set);
  });

  it('says what is wrong with a missing database or a PostgreSQL configuration', async () => {
    const [empty, pg, pgFlag] = await Promise.all([
      runCli(['backup', path.join(out, 'x.db'), '--data', path.join(out, 'nothing-here')]),
      runCli(['backup', path.join(out, 'y.db')], { env: { ...process.env, CHAT_POSTGRES_URL: 'postgres://127.0.0.1:1/none' } }),
      // The store option every admin command takes: the same clear refusal, not "unknown option".
      runCli(['backup', path.join(out, 'z.db'), '--postgres', 'postgres://127.0.0.1:1/none']),
    ]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`No database at ${path.join(out, 'nothing-here', 'chat.db')}`);
    for (const refused of [pg, pgFlag]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/use pg_dump/);
    }
    expect(['x.db', 'y.db', 'z.db'].some((f) => existsSync(path.join(out, f)))).toBe(false);
  });
});
