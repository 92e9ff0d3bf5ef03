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

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Job {
  work: () => unknown;
  settle: (outcome: Outcome) => void;
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
  private queue: Job[] = [];
  private timer: NodeJS.Immediate | null = null;
  private readonly runFast: Transaction<(jobs: Job[]) => Outcome[]>;
  private readonly runAll: Transaction<(jobs: Job[]) => Outcome[]>;
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
    this.runFast = db.transaction((jobs: Job[]) => {
      begin();
      const outcomes = jobs.map((job): Outcome => {
        try {
          return { ok: true, value: job.work() };
        } catch {
          throw JOB_THREW;
        }
      });
      beforeCommit();
      return outcomes;
    });
    // A transaction function called inside another one becomes a SAVEPOINT.
    const inSavepoint = db.transaction((work: () => unknown) => work());
    this.runAll = db.transaction((jobs: Job[]) => {
      begin();
      const outcomes = jobs.map((job): Outcome => {
        try {
          return { ok: true, value: inSavepoint(job.work) };
        } catch (error) {
          return { ok: false, error };
        }
      });
      beforeCommit();
      return outcomes;
    });
  }

  /** Queues `work`; resolves with its result once the batch holding it has committed. */
  enqueue<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Rejects with what the job threw, as the job threw it.
      const fail: (reason: unknown) => void = reject;
      this.run(work, (outcome) => (outcome.ok ? resolve(outcome.value as T) : fail(outcome.error)));
    });
  }

  /**
   * Queues `work`; calls `settle` with its outcome once the batch holding it has
   * committed (or failed). The callbacks of one flush are called in enqueue order,
   * synchronously inside flush().
   */
  run(work: () => unknown, settle: (outcome: Outcome) => void): void {
    this.queue.push({ work, settle });
    if (this.queue.length >= this.maxBatch) this.flush();
    else this.timer ??= setImmediate(() => this.flush());
  }

  /** Number of writes waiting for the next flush. */
  get pending(): number {
    return this.queue.length;
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
    let outcomes: Outcome[];
    let rerun = false;
    try {
      // BEGIN IMMEDIATE: take the write lock before the first read. Another process may write
      // the same file (the admin CLI beside a running server); a deferred transaction that read
      // first and then wrote would fail at once with SQLITE_BUSY instead of waiting its turn.
      outcomes = this.runFast.immediate(jobs);
    } catch (error) {
      if (error !== JOB_THREW) return this.failAll(jobs, error);
      // A job threw and the whole run was rolled back: redo it with a savepoint per job.
      this.stats.reruns++;
      rerun = true;
      try {
        outcomes = this.runAll.immediate(jobs);
      } catch (rerunError) {
        return this.failAll(jobs, rerunError);
      }
    }
    this.stats.commits++;
    this.hooks.committed?.(rerun);
    this.stats.largestBatch = Math.max(this.stats.largestBatch, jobs.length);
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) this.stats.writes++;
      else this.stats.failures++;
      (jobs[i] as Job).settle(outcome);
    });
  }

  /** BEGIN or COMMIT failed (disk full, I/O error): nothing in the batch is durable. */
  private failAll(jobs: Job[], error: unknown): void {
    this.stats.failures += jobs.length;
    for (const job of jobs) job.settle({ ok: false, error });
  }

  /** A snapshot of the counters (for tests, logs and benchmarks). */
  getStats(): WriteBatchStats {
    return { ...this.stats };
  }
}
