// Group commit: writes queued in the same tick run in ONE transaction, so one
// fsync covers many messages, while each caller still learns of its own commit.
import type { Database, Transaction } from 'better-sqlite3';

/** Default number of queued writes that forces a flush without waiting for the tick to end. */
export const DEFAULT_MAX_BATCH = 512;

export interface WriteBatchStats {
  /** Transactions committed by the batcher (successful flushes). */
  commits: number;
  /** Writes that resolved (committed). A run of acknowledgements the writer client coalesced (SqliteWriter.ack) is one. */
  writes: number;
  /** Writes that rejected (their own error, or a failed commit). */
  failures: number;
  /** Largest number of writes one flush carried. */
  largestBatch: number;
  /** Flushes run a second time, each job in its own savepoint, because a job threw in the first run. */
  reruns: number;
}

/** How a job ended: `ok` with its result, or not with what it threw (or the error that failed its batch). */
export type Settle = (ok: boolean, valueOrError: unknown) => void;

/** A job's work: called with its arguments (none when they are null). */
type Work = (...args: never[]) => unknown;

/** Runs the job at `i` of a flat queue ([work, args, settle, …]). */
function runJob(jobs: readonly unknown[], i: number): unknown {
  const work = jobs[i] as Work;
  const args = jobs[i + 1] as unknown[] | null;
  return args === null ? work() : Reflect.apply(work, undefined, args);
}

/** Called around each batch's transaction (see the constructor). */
export interface BatchHooks {
  /** First thing in each run of a batch's transaction (a batch rerun with savepoints calls it again). */
  begin?(this: void): void;
  /** After the batch committed; `rerun` when it ran a second time, each job in its own savepoint. */
  committed?(this: void, rerun: boolean): void;
}

/** Thrown out of the fast run when a job throws: the run rolls back and is redone with savepoints. */
class JobThrew extends Error {}
const JOB_THREW = new JobThrew('a job of the batch threw');

/**
 * Queues write closures and runs them together.
 * MUST: jobs run in enqueue order (so sequence numbers follow call order).
 * MUST: a job that throws is rolled back alone and rejects; the others in the
 *       batch still commit. A batch first runs without savepoints (a SAVEPOINT
 *       and RELEASE per job cost as much as a small job); when a job throws, that
 *       run is rolled back and the batch runs again with each job in its own
 *       savepoint. So a job may run twice: its work MUST touch nothing but the
 *       database (the first run leaves no trace), and only the last run's results count.
 * MUST: promises settle only after the batch's COMMIT returned (or failed).
 * SHOULD: callers that read call flush() first so reads see queued writes.
 */
export class WriteBatch {
  /** Queued jobs, flat: [work, args, settle, …] (args null: the work takes none). No object per job. */
  private queue: unknown[] = [];
  private timer: NodeJS.Immediate | null = null;
  /** Runs the jobs; returns their results in order (throws JOB_THREW when one throws). */
  private readonly runFast: Transaction<(jobs: unknown[]) => unknown[]>;
  /** Runs each job in its own savepoint; returns results or errors in order, `failed` marking the errors. */
  private readonly runAll: Transaction<(jobs: unknown[], failed: boolean[]) => unknown[]>;
  private readonly stats: WriteBatchStats = { commits: 0, writes: 0, failures: 0, largestBatch: 0, reruns: 0 };

  /**
   * `beforeCommit` runs in each batch's transaction after its jobs (once per
   * commit, whatever they were); when it or `hooks.begin` throws, the whole batch fails.
   */
  constructor(
    db: Database,
    private readonly maxBatch: number = DEFAULT_MAX_BATCH,
    beforeCommit: () => void = () => {},
    private readonly hooks: BatchHooks = {},
  ) {
    const begin = hooks.begin ?? (() => {});
    // better-sqlite3 rolls the transaction back when its function throws.
    this.runFast = db.transaction((jobs: unknown[]) => {
      begin();
      const values: unknown[] = [];
      for (let i = 0; i < jobs.length; i += 3) {
        try {
          values.push(runJob(jobs, i));
        } catch {
          throw JOB_THREW;
        }
      }
      beforeCommit();
      return values;
    });
    // A transaction function called inside another one becomes a SAVEPOINT.
    const inSavepoint = db.transaction((jobs: unknown[], i: number) => runJob(jobs, i));
    this.runAll = db.transaction((jobs: unknown[], failed: boolean[]) => {
      begin();
      const values: unknown[] = [];
      for (let i = 0; i < jobs.length; i += 3) {
        try {
          values.push(inSavepoint(jobs, i));
          failed.push(false);
        } catch (error) {
          values.push(error);
          failed.push(true);
        }
      }
      beforeCommit();
      return values;
    });
  }

  /** Queues `work`; resolves with its result once the batch holding it has committed. */
  enqueue<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Rejects with what the job threw, as the job threw it.
      const fail: (reason: unknown) => void = reject;
      this.run(work, (ok, value) => (ok ? resolve(value as T) : fail(value)));
    });
  }

  /**
   * Queues `work`; calls `settle` with its outcome once the batch holding it has
   * committed (or failed). The callbacks of one flush are called in enqueue order,
   * synchronously inside flush().
   */
  run(work: () => unknown, settle: Settle): void {
    this.call(work, null, settle);
  }

  /** As run(), for `work(...args)`: no closure per job over its arguments. */
  call(work: Work, args: unknown[] | null, settle: Settle): void {
    this.queue.push(work, args, settle);
    if (this.queue.length >= 3 * this.maxBatch) this.flush();
    else this.timer ??= setImmediate(() => this.flush());
  }

  /** Number of writes waiting for the next flush. */
  get pending(): number {
    return this.queue.length / 3;
  }

  /** Runs every queued write now, in one transaction. Synchronous; never throws. */
  flush(): void {
    if (this.timer) {
      clearImmediate(this.timer);
      this.timer = null;
    }
    const jobs = this.queue;
    if (jobs.length === 0) return;
    this.queue = [];
    let values: unknown[];
    let failed: boolean[] | null = null;
    try {
      // BEGIN IMMEDIATE: take the write lock before the first read. Another process may write
      // the same file (the admin CLI beside a running server); a deferred transaction that read
      // first and then wrote would fail at once with SQLITE_BUSY instead of waiting its turn.
      values = this.runFast.immediate(jobs);
    } catch (error) {
      if (error !== JOB_THREW) return this.failAll(jobs, error);
      // A job threw and the whole run was rolled back: redo it with a savepoint per job.
      this.stats.reruns++;
      failed = [];
      try {
        values = this.runAll.immediate(jobs, failed);
      } catch (rerunError) {
        return this.failAll(jobs, rerunError);
      }
    }
    const count = jobs.length / 3;
    this.stats.commits++;
    this.hooks.committed?.(failed !== null);
    this.stats.largestBatch = Math.max(this.stats.largestBatch, count);
    for (let j = 0; j < count; j++) {
      const ok = failed === null || !failed[j];
      if (ok) this.stats.writes++;
      else this.stats.failures++;
      (jobs[3 * j + 2] as Settle)(ok, values[j]);
    }
  }

  /** BEGIN or COMMIT failed (disk full, I/O error): nothing in the batch is durable. */
  private failAll(jobs: unknown[], error: unknown): void {
    this.stats.failures += jobs.length / 3;
    for (let i = 2; i < jobs.length; i += 3) (jobs[i] as Settle)(false, error);
  }

  /** A snapshot of the counters (for tests, logs and benchmarks). */
  getStats(): WriteBatchStats {
    return { ...this.stats };
  }
}
