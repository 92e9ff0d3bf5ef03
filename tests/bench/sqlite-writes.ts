// Micro benchmark of the SQLite store's write path, without sockets: where the
// CPU of a private message and of an acknowledgement goes.
//   npx tsx tests/bench/sqlite-writes.ts [turns] [pairs] [e2e] [keyed]
// `keyed`: part 1's private messages carry a fresh clientKey each (saveMessageOnce,
// as every real client sends); `e2e`: part 1 only.
// Part 1 drives the store like the pairs scenario (each turn: one private message
// per pair and the receiver's acknowledgement), and reports CPU per message for
// the process and for the writer thread (from /proc/self/task/*/stat).
// Then the same for a fan-out (one broadcast, every user acknowledges it).
// Part 2 times each statement of the writer in one thread, in transactions of
// the same size, to show what each costs.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newClientKey } from '../../server/client/outbox';
import { openSqliteStore } from '../../server/store/sqlite';
import { openWriterConnection } from '../../server/store/sqlite/connection';
import { KnownPairs } from '../../server/store/sqlite/known-pairs';
import { prepareStatements } from '../../server/store/sqlite/statements';
import { writeOps } from '../../server/store/sqlite/write-ops';
import { benchText } from './stats';

const turns = Number(process.argv[2] ?? 300);
const pairs = Number(process.argv[3] ?? 200);
const flags = process.argv.slice(4);
const keyed = flags.includes('keyed');
const TICK_US = 1e6 / 100; // USER_HZ

/** CPU time (µs) of each thread of this process, by thread name. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const us = (Number(fields[11]) + Number(fields[12])) * TICK_US;
      out.set(`${name}#${tid}`, us);
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** Wall time (ms), process CPU (µs) and CPU per thread (µs, busiest first) of `work`. */
async function measured(work: () => Promise<void>) {
  const cpu0 = process.cpuUsage();
  const th0 = threadCpu();
  const t0 = performance.now();
  await work();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const byThread = [...threadCpu()]
    .map(([k, v]) => [k, v - (th0.get(k) ?? 0)] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  return { wall, cpu, total: cpu.user + cpu.system, byThread };
}

async function endToEnd(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-writes-'));
  const store = await openSqliteStore({ dataDir: dir });
  const users = Array.from({ length: pairs * 2 }, (_, i) => `u${i}`);
  await Promise.all(users.map((u) => store.accounts.createUser(u, 'x', 0)));
  const acked = new Map<string, number>();
  const run = async (n: number): Promise<void> => {
    for (let t = 0; t < n; t++) {
      // One turn: every pair's sender sends, then the receivers acknowledge (as the server does a turn later).
      const saved = await Promise.all(
        Array.from({ length: pairs }, async (_, p) => {
          const message = {
            kind: 'private' as const,
            from: `u${2 * p + (t % 2)}`,
            to: `u${2 * p + 1 - (t % 2)}`,
            text: benchText(t * pairs + p, Date.now() * 1000 + p),
            ts: Date.now(),
          };
          return keyed ? (await store.messages.saveMessageOnce(message, newClientKey())).message : store.messages.saveMessage(message);
        }),
      );
      await Promise.all(
        saved.map((m) => {
          acked.set(m.to!, m.id);
          return store.messages.ack(m.to!, m.id);
        }),
      );
    }
  };
  await run(20); // warm-up
  const { wall, cpu, total, byThread } = await measured(() => run(turns));
  const n = turns * pairs;
  console.log(
    `end to end${keyed ? ' (keyed: a clientKey on every message)' : ''}: ${n} messages + ${n} acks in ${wall.toFixed(0)} ms: ${((n / wall) * 1000).toFixed(0)} msg/s`,
  );
  console.log(`  process CPU ${(total / n).toFixed(1)} µs/message (user ${(cpu.user / n).toFixed(1)}, system ${(cpu.system / n).toFixed(1)})`);
  for (const [k, v] of byThread.slice(0, 6)) {
    console.log(`  thread ${k}: ${(v / n).toFixed(1)} µs/message (${((v / total) * 100).toFixed(0)}%)`);
  }
  console.log(`  batches: ${JSON.stringify(store.batchStats())}`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Like the fanout scenario: each turn one broadcast, then every user acknowledges it (one ack each, the same turn). */
async function fanOut(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-writes-'));
  const store = await openSqliteStore({ dataDir: dir });
  const users = Array.from({ length: pairs * 2 }, (_, i) => `u${i}`);
  await Promise.all(users.map((u) => store.accounts.createUser(u, 'x', 0)));
  const run = async (n: number): Promise<void> => {
    for (let t = 0; t < n; t++) {
      const saved = await store.messages.saveMessage({ kind: 'broadcast', from: 'u0', text: benchText(t, Date.now() * 1000), ts: Date.now() });
      await Promise.all(users.map((u) => store.messages.ack(u, saved.id)));
    }
  };
  await run(20); // warm-up
  const before = store.batchStats();
  const { wall, cpu, total, byThread } = await measured(() => run(turns));
  const n = turns * users.length;
  console.log(`fan-out: ${turns} broadcasts × ${users.length} acks in ${wall.toFixed(0)} ms: ${((n / wall) * 1000).toFixed(0)} acks/s`);
  console.log(`  process CPU ${(total / n).toFixed(2)} µs/delivery (user ${(cpu.user / n).toFixed(2)}, system ${(cpu.system / n).toFixed(2)})`);
  for (const [k, v] of byThread.slice(0, 3)) {
    console.log(`  thread ${k}: ${(v / n).toFixed(2)} µs/delivery (${((v / total) * 100).toFixed(0)}%)`);
  }
  const after = store.batchStats();
  console.log(`  commits ${after.commits - before.commits}, jobs ${after.writes - before.writes}, largest batch ${after.largestBatch}`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

function statements(): void {
  const dir = mkdtempSync(join(tmpdir(), 'chat-writes-'));
  const db = openWriterConnection(join(dir, 'chat.db'));
  const s = prepareStatements(db);
  // As in the writer thread: pairs whose rows a committed batch wrote are not written again.
  const known = new KnownPairs();
  const ops = writeOps(s, known);
  db.transaction(() => {
    for (let i = 0; i < pairs * 2; i++) ops.createUser(`u${i}`, 'x', 0);
  })();
  // As the writer does under load: new messages enter the search index once thousands wait (writer-thread.ts).
  const indexEvery = Math.ceil(4096 / pairs);
  let commits = 0;
  const transaction = db.transaction((body: () => void) => {
    known.begin();
    body();
    if (++commits % indexEvery === 0) s.indexNewMessages.run();
  });
  const batch = (body: () => void): void => {
    transaction.immediate(body);
    known.committedBatch(false);
  };
  const time = (label: string, body: (t: number) => void, perTurn = pairs, unit = 'msg'): void => {
    for (let t = 0; t < 10; t++) batch(() => body(t));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let t = 0; t < turns; t++) batch(() => body(t));
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const n = turns * perTurn;
    console.log(
      `  ${label.padEnd(46)} ${((c.user + c.system) / n).toFixed(1).padStart(6)} µs/${unit} CPU (sys ${(c.system / n).toFixed(1)}), ${((wall * 1000) / n).toFixed(1)} µs/${unit} wall`,
    );
  };
  const inSavepoint = db.transaction((work: () => unknown) => work());
  // The pairs scenario's text: each message carries a number of its own (a new word for the search index).
  const msg = (t: number, p: number) => ({
    kind: 'private' as const,
    from: `u${2 * p + (t % 2)}`,
    to: `u${2 * p + 1 - (t % 2)}`,
    text: benchText(t * pairs + p, t * 1e6 + p),
    ts: t,
  });
  console.log(`statements (${pairs} per transaction, synchronous=FULL):`);
  time('empty transaction (BEGIN + COMMIT, fsync)', () => {});
  time('saveMessage + ack, each in a savepoint', (t) => {
    for (let p = 0; p < pairs; p++) inSavepoint(() => ops.saveMessage(msg(t, p)));
    for (let p = 0; p < pairs; p++) inSavepoint(() => ops.ack(msg(t, p).to, 1e9));
  });
  time('saveMessage + ack, no savepoints', (t) => {
    for (let p = 0; p < pairs; p++) ops.saveMessage(msg(t, p));
    for (let p = 0; p < pairs; p++) ops.ack(msg(t, p).to, 1e9);
  });
  // Keys as the client library makes them: time-ordered, a fresh one per message.
  time('savePrivateOnce (keyed) + ack, each in a savepoint', (t) => {
    for (let p = 0; p < pairs; p++) {
      const m = msg(t, p);
      inSavepoint(() => ops.savePrivateOnce(m.from, m.to, m.text, m.ts, null, newClientKey()));
    }
    for (let p = 0; p < pairs; p++) inSavepoint(() => ops.ack(msg(t, p).to, 1e9));
  });
  time('savePrivate (unkeyed) + ack, each in a savepoint', (t) => {
    for (let p = 0; p < pairs; p++) {
      const m = msg(t, p);
      inSavepoint(() => ops.savePrivate(m.from, m.to, m.text, m.ts, null));
    }
    for (let p = 0; p < pairs; p++) inSavepoint(() => ops.ack(msg(t, p).to, 1e9));
  });
  time('savepoint + release only', () => {
    for (let p = 0; p < pairs * 2; p++) inSavepoint(() => 0);
  });
  time('insertPrivateMessage (indexed in bulk)', (t) => {
    for (let p = 0; p < pairs; p++) {
      const m = msg(t, p);
      s.insertPrivateMessage.run(m.from, m.text, m.ts, null, null, m.to);
    }
  });
  time('addPeers + addPrivateSender (new pairs only)', (t) => {
    for (let p = 0; p < pairs; p++) {
      const m = msg(t, p);
      s.addPeers.run(m.from, m.to, m.to, m.from);
      s.addPrivateSender.run(m.to, m.from);
    }
  });
  time('ack', (t) => {
    for (let p = 0; p < pairs; p++) s.ack.run(1e9, msg(t, p).to);
  });
  // Fan-out: one broadcast, then every user's acknowledgement of it, per transaction.
  const everyone = Array.from({ length: pairs * 2 }, (_, i) => `u${i}`);
  const broadcast = (t: number) => ops.saveMessage({ kind: 'broadcast', from: 'u0', text: benchText(t, t * 1e6), ts: t });
  console.log(`fan-out (1 broadcast + ${everyone.length} acks per transaction):`);
  time(
    'one ack job per user (fast run)',
    (t) => {
      broadcast(t);
      for (const u of everyone) ops.ack(u, 1e9);
    },
    everyone.length,
    'ack',
  );
  time(
    'one job, an ack statement per user',
    (t) => {
      broadcast(t);
      for (const u of everyone) s.ack.run(1e9, u);
    },
    everyone.length,
    'ack',
  );
  time(
    'ackAll: one UPDATE … FROM json_each (as shipped)',
    (t) => {
      broadcast(t);
      ops.ackAll(everyone.flatMap((u) => [u, 1e9]));
    },
    everyone.length,
    'ack',
  );
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

await endToEnd();
await fanOut();
if (!flags.includes('e2e')) statements();
