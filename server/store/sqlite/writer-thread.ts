// Entry of the SQLite writer thread: owns the only connection that writes to
// chat.db and group-commits the jobs the main thread posts (see writer-client.ts).
// Always runs bundled: as dist/main/sqlite-writer.cjs, or bundled in memory when
// the server runs from sources (writer-client.ts, writerScript()).
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openWriterConnection, readSettings } from './connection';
import { adminWriteOps } from './admin';
import { prepareStatements } from './statements';
import { WriteBatch } from './write-batch';
import { writeOps, type WriteOps } from './write-ops';
import { toWireError, type FromWriter, type JobRequest, type JobResult, type ToWriter, type WriterData } from './writer-protocol';

/**
 * MUST: jobs run in the order they were posted (WriteBatch keeps enqueue order).
 * MUST: a job's result is posted only after the transaction holding it returned from COMMIT.
 * MUST: 'closed' is posted after every result, once the WAL is checkpointed and the connection closed.
 * SHOULD: results of one transaction travel in one message.
 */
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
  const base = writeOps(statements);
  const ops: WriteOps = { ...base, ...adminWriteOps(db, statements, base) };
  const batch = new WriteBatch(db, data.maxBatch);

  let outbox: JobResult[] = [];
  let postScheduled = false;
  const postOutbox = (): void => {
    postScheduled = false;
    if (outbox.length === 0) return;
    post({ type: 'settled', results: outbox, stats: batch.getStats() });
    outbox = [];
  };
  // A flush settles its jobs' promises one after another in the same microtask
  // checkpoint; posting from a microtask queued by the first one sends them together.
  const settle = (result: JobResult): void => {
    outbox.push(result);
    if (!postScheduled) {
      postScheduled = true;
      queueMicrotask(postOutbox);
    }
  };

  const runJob = (job: JobRequest): void => {
    if (!Object.hasOwn(ops, job.op) || !Array.isArray(job.args)) {
      settle({ id: job.id, ok: false, error: { name: 'Error', message: `SQLite writer: unknown operation ${String(job.op)}` } });
      return;
    }
    // The operations are plain functions of the statements: none of them uses `this`.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const op = ops[job.op] as (...args: unknown[]) => unknown;
    batch
      .enqueue(() => op(...job.args))
      .then(
        (value) => settle({ id: job.id, ok: true, value }),
        (error: unknown) => settle({ id: job.id, ok: false, error: toWireError(error) }),
      );
  };

  port.on('message', (message: ToWriter) => {
    switch (message.type) {
      case 'jobs':
        for (const job of message.jobs) runJob(job);
        break;
      case 'close':
        batch.flush();
        // setImmediate: after the microtasks that settle the flushed jobs.
        setImmediate(() => {
          postOutbox();
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
