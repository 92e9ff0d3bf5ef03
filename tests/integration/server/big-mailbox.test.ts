// A mailbox far beyond the slow-consumer limit (issue 10.2): 10,000 waiting
// messages of 4,000 characters (40 MB, ten times the default 4 MiB send queue).
// The login reply comes first, then the catch-up streams in pages paced by the
// socket's drain, never counted against the slow-consumer limit: every message
// arrives exactly once, in order, and the server never holds the mailbox in
// its buffers. On SQLite and on PostgreSQL, over TCP and WebSocket.
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCluster, type Cluster } from '../../helpers/cluster';
import { describeWithServices } from '../../helpers/services';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { passwordOf } from '../../helpers/users';

const COUNT = 10_000;
const TEXT_LENGTH = 4_000;
/** What may sit in this process's buffers at once: far below the 40 MB mailbox. */
const BUFFER_BOUND = 24 * 1024 * 1024;
const TIMEOUT = 300_000;

interface Received {
  /** Positions in arrival order. */
  seqs: number[];
  /** Peak growth of this process's ArrayBuffer memory (socket buffers) while receiving. */
  peakBuffers: number;
  /** Everything that arrived before the first delivery was the sign-in reply. */
  replyFirst: boolean;
}

/**
 * Samples the growth of live ArrayBuffer memory until `done` settles. Each sample
 * collects garbage first (vitest.config.ts exposes gc): buffers already written
 * and dropped are not held, and how soon the collector frees them depends on the
 * machine's load, not on the server.
 */
async function watchBuffers<T>(done: Promise<T>): Promise<{ value: T; peak: number }> {
  const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const live = () => {
    collect();
    return process.memoryUsage().arrayBuffers;
  };
  const base = live();
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, live() - base)), 20);
  try {
    return { value: await done, peak };
  } finally {
    clearInterval(timer);
  }
}

/** Signs `user` in over WebSocket and counts deliveries (keeping only their seq) until `count` arrived. */
function receiveWs(url: string, user: string, count: number): Promise<Received> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const seqs: number[] = [];
    let replied = false;
    let replyFirst = true;
    ws.on('error', reject);
    ws.on('close', () => reject(new Error(`closed after ${seqs.length} deliveries`)));
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (text.startsWith('{"type":"event","event":"hello"')) {
        ws.send(JSON.stringify({ id: 1, type: 'login', username: user, password: passwordOf(user) }));
        return;
      }
      const frame = JSON.parse(text) as { type: string; event?: string; ok?: boolean; seq?: number };
      if (frame.type === 'reply') {
        if (!frame.ok) reject(new Error(text));
        replied = true;
        return;
      }
      if (frame.event !== 'message') return;
      if (!replied) replyFirst = false;
      seqs.push(frame.seq!);
      if (seqs.length === count) {
        ws.removeAllListeners('close');
        ws.close();
        resolve({ seqs, peakBuffers: 0, replyFirst });
      }
    });
  });
}

/** Signs `user` in over TCP and counts delivery lines (keeping only their `#seq`) until `count` arrived. */
function receiveTcp(port: number, user: string, count: number): Promise<Received> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const seqs: number[] = [];
    let partial = '';
    let welcomed = false;
    let replyFirst = true;
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${seqs.length} deliveries`)));
    socket.on('data', (chunk: string) => {
      partial += chunk;
      if (partial.endsWith('Username: ')) {
        partial = '';
        socket.write(`${user}\n`);
        return;
      }
      if (partial.endsWith('Password: ')) {
        partial = '';
        socket.write(`${passwordOf(user)}\n`);
        return;
      }
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith(`Welcome, ${user}!`)) welcomed = true;
        const seq = /^#(\d+) /.exec(line)?.[1];
        if (seq === undefined) continue;
        if (!welcomed) replyFirst = false;
        seqs.push(Number(seq));
        if (seqs.length === count) {
          socket.removeAllListeners('close');
          socket.destroy();
          resolve({ seqs, peakBuffers: 0, replyFirst });
        }
      }
    });
  });
}

async function receive(run: Promise<Received>): Promise<Received> {
  const { value, peak } = await watchBuffers(run);
  return { ...value, peakBuffers: peak };
}

function expectExactlyOnce(got: Received, ids: readonly number[]): void {
  expect(got.replyFirst).toBe(true);
  expect(got.seqs).toHaveLength(ids.length);
  expect(got.seqs).toEqual(ids);
  expect(got.peakBuffers).toBeLessThan(BUFFER_BOUND);
}

describe('a 40 MB mailbox [sqlite]', () => {
  let srv: TestServer;
  const ids = new Map<string, number[]>();

  beforeAll(async () => {
    srv = await startTestServer();
    // Written straight into chat.db (another connection, as the WAL allows): two mailboxes of COUNT.
    const db = new Database(path.join(srv.dataDir, 'chat.db'));
    try {
      db.pragma('busy_timeout = 10000');
      const insert = db.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO messages (kind, sender, recipient, text, ts) SELECT 'private', 'alice', ?, printf('%d %s', i, ?), 1700000000000 + i FROM n`,
      );
      db.transaction(() => {
        insert.run(COUNT, 'bob', 'x'.repeat(TEXT_LENGTH - 6));
        insert.run(COUNT, 'carol', 'y'.repeat(TEXT_LENGTH - 6));
      })();
      for (const user of ['bob', 'carol']) ids.set(user, db.prepare('SELECT id FROM messages WHERE recipient = ? ORDER BY id').pluck().all(user) as number[]);
    } finally {
      db.close();
    }
  }, TIMEOUT);

  afterAll(async () => {
    await srv?.stop();
  });

  it('WS: the sign-in reply first, then all 10,000 exactly once, in order, with bounded buffers', { timeout: TIMEOUT }, async () => {
    expectExactlyOnce(await receive(receiveWs(srv.wsUrl, 'bob', COUNT)), ids.get('bob')!);
  });

  it('TCP: the same', { timeout: TIMEOUT }, async () => {
    expectExactlyOnce(await receive(receiveTcp(srv.tcpPort, 'carol', COUNT)), ids.get('carol')!);
  });
});

await describeWithServices('a 40 MB mailbox [PostgreSQL cluster]', ['postgres', 'redis'], () => {
  let cluster: Cluster;
  const ids = new Map<string, number[]>();

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 1 });
    const client = new pg.Client({ connectionString: cluster.postgresUrl });
    await client.connect();
    try {
      for (const [user, fill] of [
        ['bob', 'x'],
        ['carol', 'y'],
      ] as const) {
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO ${cluster.schema}.messages (kind, sender, recipient, body, ts)
           SELECT 'private', 'alice', $1, i || ' ' || repeat($2, $3), 1700000000000 + i FROM generate_series(1, $4) AS i
           RETURNING id`,
          [user, fill, TEXT_LENGTH - 6, COUNT],
        );
        ids.set(
          user,
          rows.map((r) => Number(r.id)).sort((a, b) => a - b),
        );
      }
    } finally {
      await client.end();
    }
  }, TIMEOUT);

  afterAll(async () => {
    await cluster?.close();
  });

  it('WS: the sign-in reply first, then all 10,000 exactly once, in order, with bounded buffers', { timeout: TIMEOUT }, async () => {
    expectExactlyOnce(await receive(receiveWs(cluster.nodes[0]!.wsUrl, 'bob', COUNT)), ids.get('bob')!);
  });

  it('TCP: the same', { timeout: TIMEOUT }, async () => {
    expectExactlyOnce(await receive(receiveTcp(cluster.nodes[0]!.tcpPort, 'carol', COUNT)), ids.get('carol')!);
  });
});
