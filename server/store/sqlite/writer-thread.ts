// Entry of the SQLite writer thread: owns the only connection that writes to
// chat.db and group-commits the jobs the main thread posts (see writer-client.ts).
// Always runs bundled: as dist/main/sqlite-writer.cjs, or bundled in memory when
// the server runs from sources (writer-client.ts, writerScript()).
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openWriterConnection, readSettings } from './connection';
import { adminWriteOps } from './admin';
import { KnownPairs } from './known-pairs';
import { prepareStatements } from './statements';
import { WriteBatch, type Settle } from './write-batch';
import { writeOps, type WriteOps } from './write-ops';
import { toWireError, type FromWriter, type ToWriter, type WireError, type WriterData } from './writer-protocol';

/**
 * MUST: jobs run, and are settled, in the order they were posted (WriteBatch keeps enqueue order):
 *       the main thread matches results to jobs by that order.
 * MUST: a job's result is posted only after the transaction holding it returned from COMMIT.
 * MUST: 'closed' is posted after every result, once the WAL is checkpointed and the connection closed.
 * SHOULD: results of one transaction travel in one message.
 */
/** Unindexed messages that make a commit bring the search index up to date. */
const INDEX_BACKLOG = 4096;
/** Quiet time after a commit after which the writer indexes what is left. */
const INDEX_WHEN_IDLE_MS = 250;

function runWriter(): void {
  const port = parentPort;
  if (!port) throw new Error('writer-thread must run in a worker thread');
  const data = workerData as Partial<WriterData> | null;
  if (typeof data?.file !== 'string' || !Number.isInteger(data.maxBatch) || (data.maxBatch ?? 0) < 1) {
    throw new Error(`writer-thread: bad workerData ${JSON.stringify(data)}`);
  }
  const post = (message: FromWriter): void => port.postMessage(message);

  let db: Database.Database;
  try {
    db = openWriterConnection(data.file);
  } catch (error) {
    post({ type: 'failed', error: toWireError(error) });
    port.close();
    return;
  }
  const statements = prepareStatements(db);
  const known = new KnownPairs();
  const base = writeOps(statements, known);
  const ops: WriteOps = { ...base, ...adminWriteOps(db, statements, base, known), indexMessages: () => indexNow() };
  // Changes whenever another connection (the admin CLI, a restore) has committed.
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  const readVersion = (): number => dataVersion.get() ?? 0;
  let seenVersion = readVersion();
  // The search index takes new messages in one statement per INDEX_BACKLOG of them, when the
  // writer has been idle for INDEX_WHEN_IDLE_MS, before a search (the store's indexMessages job)
  // and at start and close: fewer, bigger FTS segments, and none of it in the common commit.
  // A hint only (another writer may index too): the statement itself finds what is missing.
  let indexedUpTo = 0;
  const indexNow = (): void => {
    statements.indexNewMessages.run();
    indexedUpTo = statements.head.get()?.head ?? 0;
  };
  const backlog = (): number => (statements.head.get()?.head ?? 0) - indexedUpTo;
  // Rows another connection inserted while no writer ran (a restore, a test fixture), and rows a
  // writer stored but had not indexed when it stopped, get their mailbox row and are searchable from the start.
  const adoptOthersRows = (): void => {
    statements.adoptPrivateSenders.run();
    indexNow();
  };
  /**
   * First thing in every transaction of the writer; returns the data version it saw. When another
   * connection has committed, it may have renamed or deleted accounts (and their pairs' rows), or
   * inserted messages: those get their mailbox row here, before anything indexes them (adoption
   * finds them past the search index). Done again by every transaction until one commits.
   */
  const catchUp = (): number => {
    const version = readVersion();
    if (version !== seenVersion) {
      known.forget();
      statements.adoptPrivateSenders.run();
    }
    return version;
  };
  /** Indexes what is waiting in a transaction of its own (outside any batch). */
  const indexAlone = (): void => {
    try {
      seenVersion = db
        .transaction(() => {
          const version = catchUp();
          indexNow();
          return version;
        })
        .immediate();
    } catch {
      // Busy or failing: the next idle moment, search or start indexes them.
    }
  };
  const indexWhenIdle = setTimeout(() => {
    if (batch.pending === 0 && backlog() > 0) indexAlone();
  }, INDEX_WHEN_IDLE_MS);
  indexWhenIdle.unref();
  let batchVersion = seenVersion;
  const beforeCommit = (): void => {
    if (backlog() >= INDEX_BACKLOG) indexNow();
  };
  const batch = new WriteBatch(db, data.maxBatch, beforeCommit, {
    begin() {
      known.begin();
      batchVersion = catchUp();
    },
    committed(rerun) {
      seenVersion = batchVersion;
      known.committedBatch(rerun);
      indexWhenIdle.refresh();
    },
  });
  db.transaction(adoptOthersRows).immediate();

  // Results of settled jobs not yet posted: values in job order, and the failures among them.
  let values: unknown[] = [];
  let failures: [number, WireError][] = [];
  let postScheduled = false;
  const postOutbox = (): void => {
    postScheduled = false;
    if (values.length === 0) return;
    post({ type: 'settled', values, failures, stats: batch.getStats() });
    values = [];
    failures = [];
  };
  // A flush settles its jobs one after another, synchronously; posting from a
  // microtask queued by the first one sends them together.
  const settle: Settle = (ok, value) => {
    if (ok) values.push(value);
    else {
      failures.push([values.length, toWireError(value)]);
      values.push(null);
    }
    if (!postScheduled) {
      postScheduled = true;
      queueMicrotask(postOutbox);
    }
  };

  const runJob = (name: unknown, args: unknown): void => {
    if (typeof name !== 'string' || !Object.hasOwn(ops, name) || !Array.isArray(args)) {
      // Settled in its turn like any job, so results stay in posted order.
      batch.run(() => {
        throw new Error(`SQLite writer: unknown operation ${String(name)}`);
      }, settle);
      return;
    }
    // The operations are plain functions of the statements: none of them uses `this`.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const op = ops[name as keyof WriteOps] as (...args: unknown[]) => unknown;
    batch.call(op, args as unknown[], settle);
  };

  port.on('message', (message: ToWriter) => {
    switch (message.type) {
      case 'jobs': {
        const { jobs } = message;
        for (let i = 0; i + 1 < jobs.length; i += 2) runJob(jobs[i], jobs[i + 1]);
        break;
      }
      case 'close':
        batch.flush();
        // setImmediate: after the microtasks that settle the flushed jobs.
        setImmediate(() => {
          postOutbox();
          clearTimeout(indexWhenIdle);
          indexAlone();
          // Fold the WAL back into chat.db so the directory holds one self-contained file.
          db.pragma('wal_checkpoint(TRUNCATE)');
          db.close();
          post({ type: 'closed' });
          port.close();
        });
        break;
    }
  });
  post({ type: 'ready', settings: readSettings(db) });
}

runWriter();
