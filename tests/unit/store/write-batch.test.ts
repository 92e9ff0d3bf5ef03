// WriteBatch (SQLite group commit) on a real database file: ordering, per-job
// savepoints, synchronous flushes, and what callers see when COMMIT fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWriterConnection } from '../../../server/store/sqlite/connection';
import { prepareStatements } from '../../../server/store/sqlite/statements';
import { WriteBatch } from '../../../server/store/sqlite/write-batch';
import { writeOps } from '../../../server/store/sqlite/write-ops';

describe('WriteBatch', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chat-batch-'));
    db = new Database(join(dir, 'batch.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.exec(`
      CREATE TABLE log (at INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL UNIQUE);
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      -- Deferred: a violation is only noticed at COMMIT, which lets a test make COMMIT fail.
      CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
    `);
  });

  afterEach(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const insert = (n: number) => () => db.prepare('INSERT INTO log (n) VALUES (?)').run(n).changes;
  const rows = (): number[] => db.prepare('SELECT n FROM log ORDER BY at').pluck().all() as number[];

  it('runs the jobs of one tick in call order, in one commit, and resolves each with its result', async () => {
    const batch = new WriteBatch(db);
    const results = Promise.all([3, 1, 2].map((n) => batch.enqueue(insert(n))));
    expect(batch.pending).toBe(3);
    expect(rows()).toEqual([]); // nothing written before the tick ends
    expect(await results).toEqual([1, 1, 1]);
    expect(rows()).toEqual([3, 1, 2]);
    expect(batch.getStats()).toEqual({ commits: 1, writes: 3, failures: 0, largestBatch: 3, reruns: 0 });
  });

  it('rolls back only the job that threw; the rest of the batch commits', async () => {
    const batch = new WriteBatch(db);
    const outcomes = await Promise.allSettled([
      batch.enqueue(insert(1)),
      batch.enqueue(() => {
        insert(2)();
        throw new Error('job failed after writing');
      }),
      batch.enqueue(insert(3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toHaveProperty('message', 'job failed after writing');
    expect(rows()).toEqual([1, 3]);
    expect(batch.getStats()).toMatchObject({ commits: 1, writes: 2, failures: 1, reruns: 1 });
  });

  it('redoes a batch in which a job threw: the others commit once each, with the results of the run that committed', async () => {
    const batch = new WriteBatch(db);
    const runs: string[] = [];
    const count = db.prepare('SELECT count(*) FROM log').pluck();
    const outcomes = await Promise.allSettled([
      batch.enqueue(() => {
        runs.push('a');
        insert(1)();
        return count.get();
      }),
      batch.enqueue(() => {
        runs.push('b');
        insert(2)();
        // Fails only in the first run (the row the first job wrote is then uncommitted
        // either way): a job must not depend on running once.
        if (runs.length === 2) throw new Error('first run only');
        return count.get();
      }),
      batch.enqueue(() => {
        runs.push('c');
        return insert(3)();
      }),
    ]);
    // First run a, b (threw, rolled back); second run a, b, c each in a savepoint.
    expect(runs).toEqual(['a', 'b', 'a', 'b', 'c']);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'fulfilled', value: 2 },
      { status: 'fulfilled', value: 1 },
    ]);
    expect(rows()).toEqual([1, 2, 3]);
    expect(batch.getStats()).toMatchObject({ commits: 1, writes: 3, failures: 0, reruns: 1 });
  });

  it('a job that fails half-way leaves none of its writes, even when it catches nothing itself', async () => {
    const batch = new WriteBatch(db);
    const outcomes = await Promise.allSettled([
      batch.enqueue(insert(1)),
      // The second INSERT violates UNIQUE (n): the first must not stay behind.
      batch.enqueue(() => {
        insert(5)();
        return insert(1)();
      }),
      batch.enqueue(insert(2)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toHaveProperty('code', 'SQLITE_CONSTRAINT_UNIQUE');
    expect(rows()).toEqual([1, 2]);
  });

  it('runs a batch without savepoints when no job throws', async () => {
    const statements: string[] = [];
    const traced = new Database(db.name, { verbose: (sql) => statements.push(String(sql)) });
    try {
      const tracedBatch = new WriteBatch(traced);
      const insertTraced = traced.prepare('INSERT INTO log (n) VALUES (?)');
      await Promise.all([1, 2, 3].map((n) => tracedBatch.enqueue(() => insertTraced.run(n).changes)));
      expect(statements.filter((sql) => /SAVEPOINT|RELEASE/i.test(sql))).toEqual([]);
      expect(statements.filter((sql) => /BEGIN|COMMIT/i.test(sql))).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
      expect(tracedBatch.getStats()).toMatchObject({ commits: 1, writes: 3, reruns: 0 });
      // With a job that throws, the rerun puts each job in its own savepoint.
      statements.length = 0;
      await Promise.allSettled([tracedBatch.enqueue(() => insertTraced.run(4).changes), tracedBatch.enqueue(() => insertTraced.run(4).changes)]);
      expect(statements.filter((sql) => /^SAVEPOINT/i.test(sql))).toHaveLength(2);
    } finally {
      traced.close();
    }
    expect(rows()).toEqual([1, 2, 3, 4]);
  });

  it('runs beforeCommit once per commit, after the jobs, in the rerun too; when it throws, the batch fails', async () => {
    const seen: number[][] = [];
    let fail = false;
    const batch = new WriteBatch(db, 512, () => {
      seen.push(rows());
      if (fail) throw new Error('hook failed');
    });
    await Promise.all([batch.enqueue(insert(1)), batch.enqueue(insert(2))]);
    expect(seen).toEqual([[1, 2]]);
    // A job throws: the hook runs only in the rerun that commits.
    const rerun = await Promise.allSettled([batch.enqueue(insert(3)), batch.enqueue(insert(1)), batch.enqueue(insert(4))]);
    expect(rerun.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(seen).toEqual([
      [1, 2],
      [1, 2, 3, 4],
    ]);
    fail = true;
    const failed = await Promise.allSettled([batch.enqueue(insert(5))]);
    expect(failed).toEqual([{ status: 'rejected', reason: new Error('hook failed') }]);
    expect(rows()).toEqual([1, 2, 3, 4]);
    expect(batch.getStats()).toMatchObject({ commits: 2, writes: 4, failures: 2, reruns: 1 });
  });

  it('flush() writes synchronously, so a read right after it sees the jobs', () => {
    const batch = new WriteBatch(db);
    void batch.enqueue(insert(7));
    batch.flush();
    expect(batch.pending).toBe(0);
    expect(rows()).toEqual([7]);
    batch.flush(); // nothing queued: a no-op
    expect(batch.getStats().commits).toBe(1);
  });

  it('flushes as soon as maxBatch jobs are queued', async () => {
    const batch = new WriteBatch(db, 4);
    const first = [1, 2, 3, 4].map((n) => batch.enqueue(insert(n)));
    expect(rows()).toEqual([1, 2, 3, 4]); // the 4th enqueue flushed, still in this tick
    const fifth = batch.enqueue(insert(5));
    expect(batch.pending).toBe(1);
    await Promise.all([...first, fifth]);
    expect(rows()).toEqual([1, 2, 3, 4, 5]);
    expect(batch.getStats()).toMatchObject({ commits: 2, largestBatch: 4 });
  });

  it('rejects every job of a batch whose COMMIT fails, and keeps none of them', async () => {
    const batch = new WriteBatch(db);
    const outcomes = await Promise.allSettled([
      batch.enqueue(insert(1)),
      batch.enqueue(() => db.prepare('INSERT INTO child (parent_id) VALUES (99)').run().changes),
      batch.enqueue(insert(2)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    expect(batch.getStats()).toMatchObject({ commits: 0, writes: 0, failures: 3 });

    // The batcher keeps working afterwards.
    await batch.enqueue(insert(3));
    expect(rows()).toEqual([3]);
  });
});

// The coalesced acknowledgements (ackAll) in a group commit on the store's real schema.
describe('ackAll in a WriteBatch', () => {
  let dir: string;
  let db: Database.Database;
  const statements: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chat-acks-'));
    const file = join(dir, 'chat.db');
    openWriterConnection(file).close(); // creates and migrates the file
    statements.length = 0;
    db = new Database(file, { verbose: (sql) => statements.push(String(sql)) });
    db.pragma('foreign_keys = ON');
  });

  afterEach(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  function setUp(users: string[], messages: number) {
    const ops = writeOps(prepareStatements(db));
    db.transaction(() => {
      for (const name of users) ops.createUser(name, 'h', 0);
      for (let i = 0; i < messages; i++) ops.saveMessage({ kind: 'broadcast', from: users[0]!, text: `m${i}`, ts: i });
    })();
    statements.length = 0;
    return ops;
  }
  const acked = () => Object.fromEntries(db.prepare('SELECT username, acked FROM positions ORDER BY username').raw().all() as [string, number][]);

  it('applies every pair with one UPDATE: raised, never lowered, clamped to the head; unknown users add no row', async () => {
    const users = Array.from({ length: 200 }, (_, i) => `u${String(i).padStart(3, '0')}`);
    const ops = setUp([...users, '__proto__'], 10);
    db.prepare("UPDATE positions SET acked = 7 WHERE username = 'u001'").run();
    statements.length = 0;
    const pairs = [...users.flatMap((name) => [name, 5]), 'u001', 3, 'u002', 99, 'ghost', 4, '__proto__', 6];
    const batch = new WriteBatch(db);
    await batch.enqueue(() => ops.ackAll(pairs));
    expect(statements.filter((sql) => /^UPDATE positions/.test(sql))).toHaveLength(1);
    expect(statements.filter((sql) => /BEGIN|COMMIT/i.test(sql))).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
    // The later pair of a name replaces the earlier (the client sends one per user, already max'ed).
    const expected = { ...Object.fromEntries(users.map((name) => [name, 5])), u001: 7, u002: 10 };
    const row = db.prepare('SELECT acked FROM positions WHERE username = ?').pluck();
    expect(row.get('__proto__')).toBe(6); // a plain key, whatever the name
    const { __proto__: _proto, ...rest } = acked();
    expect(rest).toEqual(expected);
    expect(row.get('ghost')).toBeUndefined();
  });

  it('commits once with the rest of its batch when another job throws, as each job did alone', async () => {
    const ops = setUp(['ann', 'ben', 'cat'], 3);
    const batch = new WriteBatch(db);
    const outcomes = await Promise.allSettled([
      batch.enqueue(() => ops.ackAll(['ann', 2, 'ben', 3])),
      batch.enqueue(() => ops.saveMessage({ kind: 'group', from: 'ann', group: 'nowhere', text: 'x', ts: 0 })),
      batch.enqueue(() => ops.ackAll(['cat', 1, 'ann', 3])),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batch.getStats()).toMatchObject({ commits: 1, writes: 2, failures: 1, reruns: 1 });
    expect(acked()).toEqual({ ann: 3, ben: 3, cat: 1 });
  });
});
