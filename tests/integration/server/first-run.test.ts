// A first start as a newcomer meets it: with no accounts the server says how to
// add one (log and terminal); and importing --users at every start does not pay
// a password verification per user when neither the file nor the account changed.
import { appendFile, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type ServerOptions } from '../../../server/index';
import { IMPORT_STATE_FILE } from '../../../server/ops/users-import';
import { runCli, spawnCliServer } from '../../helpers/cli';
import { TcpClient } from '../../helpers/tcp-client';
import { waitUntil } from '../../helpers/wait';
import { captureLog } from '../../helpers/log-capture';
import { createTestSchema, describeWithServices } from '../../helpers/services';
import { WsClient } from '../../helpers/ws-client';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-first-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = (extra: Partial<ServerOptions> = {}): ServerOptions => ({
  host: '127.0.0.1',
  port: 0,
  wsPort: 0,
  dataDir: path.join(dir, 'data'),
  hashCost: 4,
  // The shared test accounts' passwords are short ("bob-pw").
  minPasswordLength: 6,
  logLevel: 'silent',
  webRoot: null,
  ...extra,
});

describe('no accounts yet', () => {
  it('logs how to add one: adduser, --users, --allow-register', async () => {
    const captured = captureLog();
    const server = await startServer(options(), captured.log);
    await server.close();
    const notice = captured.entries.find((e) => e.notice === 'NO_ACCOUNTS');
    expect(notice).toMatchObject({ level: 40 });
    expect(String(notice!.msg)).toContain(`adduser NAME --data ${path.join(dir, 'data')}`);
    expect(String(notice!.msg)).toContain('--users FILE');
    expect(String(notice!.msg)).toContain('--allow-register');
    expect(server.notices.map((n) => n.code)).toEqual(['NO_ACCOUNTS']);
  });

  it('says nothing once an account exists, and only a note when clients may register', async () => {
    const users = path.join(dir, 'clients.txt');
    await writeFile(users, 'alice alice-pw\n', { mode: 0o600 });
    const withUsers = await startServer(options({ usersFile: users }));
    await withUsers.close();
    expect(withUsers.notices).toEqual([]);

    await rm(path.join(dir, 'data'), { recursive: true });
    const open = await startServer(options({ allowRegister: true }));
    await open.close();
    expect(open.notices).toMatchObject([{ code: 'NO_ACCOUNTS', level: 'info' }]);
    expect(open.notices[0]!.text).toMatch(/Clients can create them \(--allow-register is on\)/);
  });

  it('clients are told too: hello says hasAccounts: false and TCP says how, until an account exists', async () => {
    const server = await startServer(options());
    try {
      const ws = await WsClient.connect(`ws://127.0.0.1:${server.wsPort}/ws`);
      expect(ws.hello).toMatchObject({ event: 'hello', server: 'chat', hasAccounts: false });
      ws.close();
      const tcp = await TcpClient.connect(server.tcpPort!);
      await tcp.waitLine('Welcome to chat. Sign in below; type "help" once signed in.');
      await tcp.waitLine(/^This server has no accounts yet\. Its administrator adds one with "adduser NAME"/);
      tcp.close();

      // An account added by the CLI while the server runs: the next hello knows.
      const added = await runCli(['users', 'add', 'first', '--data', path.join(dir, 'data'), '--hash-cost', '4'], { stdin: 'first-pw\n' });
      expect(added.code, added.stderr).toBe(0);
      await waitUntil(
        async () => {
          const next = await WsClient.connect(`ws://127.0.0.1:${server.wsPort}/ws`);
          next.close();
          return next.hello.hasAccounts === true;
        },
        'hello to announce hasAccounts: true',
        10_000,
        100,
      );
      const after = await TcpClient.connect(server.tcpPort!);
      await after.login('first', 'first-pw');
      expect(after.unread().join('\n')).not.toContain('no accounts yet');
      after.close();
    } finally {
      await server.close();
    }
  });

  it('the CLI prints it on the terminal too', async () => {
    const server = await spawnCliServer(['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--data', path.join(dir, 'data'), '--log-level', 'silent']);
    expect(await server.stop()).toBe(0);
    expect(server.stderr).toMatch(/^warning: No accounts yet, so nobody can sign in\. Add one with: npm run server -- adduser NAME --data /m);
    expect(server.stderr).toContain('--users FILE');
    expect(server.stderr).toContain('--allow-register');
  });
});

describe('importing --users at every start', () => {
  const USERS = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'];
  let users: string;
  beforeEach(async () => {
    users = path.join(dir, 'clients.txt');
    await writeFile(users, USERS.map((u) => `${u} ${u}-pw\n`).join(''), { mode: 0o600 });
  });

  it('a missing file, or a directory, stops the start with an error that names the flag', async () => {
    // Two data directories: the two starts run at once, and one server holds its directory.
    const start = (file: string, data: string) =>
      runCli(['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--data', path.join(dir, data), '--users', file]);
    const [missing, folder] = await Promise.all([start(path.join(dir, 'no-such.txt'), 'data-1'), start(dir, 'data-2')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error: could not start the server: --users ${path.join(dir, 'no-such.txt')}: no such file`);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toContain(`error: could not start the server: --users ${dir}: not a file`);
  });

  /** Starts and stops a node with the users file; returns the import counts it logged. */
  async function importOnce(): Promise<Record<string, unknown>> {
    const captured = captureLog();
    const server = await startServer(options({ usersFile: users }), captured.log);
    await server.close();
    const entry = captured.entries.find((e) => e.msg === 'imported users');
    if (!entry) throw new Error('no "imported users" line');
    return entry;
  }

  async function canSignIn(username: string, password: string): Promise<boolean> {
    const server = await startServer(options());
    try {
      const client = await WsClient.connect(`ws://127.0.0.1:${server.wsPort}/ws`);
      const reply = await client.send({ type: 'login', username, password });
      client.close();
      return reply.ok;
    } finally {
      await server.close();
    }
  }

  it('a restart with the same file verifies no password; the accounts still work', async () => {
    expect(await importOnce()).toMatchObject({ created: 6, updated: 0, unchanged: 0, skipped: 0 });
    expect(await importOnce()).toMatchObject({ created: 0, updated: 0, unchanged: 6, skipped: 6 });
    expect(await importOnce()).toMatchObject({ unchanged: 6, skipped: 6 });
    expect(await canSignIn('cat', 'cat-pw')).toBe(true);
    // The record holds digests of the stored hashes, nothing derived from a password alone.
    const record = await readFile(path.join(dir, 'data', IMPORT_STATE_FILE), 'utf8');
    for (const u of USERS) expect(record).not.toContain(`${u}-pw`);
  });

  it('a changed file is verified again: a new password is applied, the others stay', async () => {
    await importOnce();
    await writeFile(users, USERS.map((u) => `${u} ${u === 'ben' ? 'new-ben-pw' : `${u}-pw`}\n`).join(''));
    expect(await importOnce()).toMatchObject({ created: 0, updated: 1, unchanged: 5, skipped: 0 });
    expect(await canSignIn('ben', 'new-ben-pw')).toBe(true);
    expect(await importOnce()).toMatchObject({ updated: 0, unchanged: 6, skipped: 6 });
  });

  it('a file touched without a change in content is verified again (identity includes mtime and ctime)', async () => {
    await importOnce();
    await utimes(users, new Date(), new Date(Date.now() + 5_000));
    expect(await importOnce()).toMatchObject({ updated: 0, unchanged: 6, skipped: 0 });
    await appendFile(users, '# a comment\n');
    expect(await importOnce()).toMatchObject({ unchanged: 6, skipped: 0 });
  });

  it('a password changed elsewhere (adduser --update) is verified against the file and set back to it', async () => {
    await importOnce();
    const server = await startServer(options());
    try {
      const client = await WsClient.connect(`ws://127.0.0.1:${server.wsPort}/ws`);
      await client.login('dan', 'dan-pw');
      client.close();
    } finally {
      await server.close();
    }
    // Change dan's password the way an operator would, through the same store.
    const { createStore } = await import('../../../server/store/create-store');
    const { resolveConfig } = await import('../../../server/config');
    const { AccountService } = await import('../../../server/services/accounts');
    const store = await createStore(resolveConfig(options()));
    await new AccountService(store, {
      maxAttempts: 3,
      lockMs: 60_000,
      maxFailuresPerHour: 100,
      hashCost: 4,
      tokenMs: 60_000,
      minPasswordLength: 8,
    }).setPassword('dan', 'changed-elsewhere');
    await store.close();

    expect(await importOnce()).toMatchObject({ updated: 1, unchanged: 5, skipped: 5 });
    expect(await canSignIn('dan', 'dan-pw')).toBe(true);
  });

  it('a damaged or foreign record is ignored: everyone is verified', async () => {
    await importOnce();
    const record = path.join(dir, 'data', IMPORT_STATE_FILE);
    await writeFile(record, '{"version":1,"file":"/elsewhere","identity":"x","users":{}}');
    expect(await importOnce()).toMatchObject({ unchanged: 6, skipped: 0 });
    await writeFile(record, 'not json');
    expect(await importOnce()).toMatchObject({ unchanged: 6, skipped: 0 });
    // Each import writes a fresh record.
    expect(await importOnce()).toMatchObject({ unchanged: 6, skipped: 6 });
  });
});

await describeWithServices('no accounts yet on PostgreSQL', ['postgres'], ({ postgresUrl }) => {
  it("the adduser hint names the node's own schema, which it follows to an account the node sees", async () => {
    const schema = await createTestSchema(postgresUrl);
    const store = ['--postgres', postgresUrl, '--postgres-schema', schema.schema];
    try {
      const server = await startServer(options({ postgresUrl, postgresSchema: schema.schema }));
      try {
        const notice = server.notices.find((n) => n.code === 'NO_ACCOUNTS');
        expect(notice?.text).toContain(`adduser NAME --postgres-schema ${schema.schema} (with the same --postgres URL)`);
        // What the hint says, done: the account is in this node's schema.
        const added = await runCli(['adduser', 'first', ...store, '--hash-cost', '4', '--min-password-length', '6'], { stdin: 'first-pw\n' });
        expect(added.code, added.stderr).toBe(0);
        const ws = await WsClient.connect(`ws://127.0.0.1:${server.wsPort}/ws`);
        await ws.login('first', 'first-pw');
        ws.close();
      } finally {
        await server.close();
      }
    } finally {
      await schema.drop();
    }
  });
});
