// The main thread's handle on the SQLite writer thread: queues write jobs, posts
// each event-loop turn's jobs in one message, and settles their promises when
// the writer reports the commit. Nothing here touches the database.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SqliteSettings } from './connection';
import type { WriteBatchStats } from './write-batch';
import type { WriteOp, WriteOps } from './write-ops';
import { fromWireError, type FromWriter, type ToWriter, type WriterData } from './writer-protocol';

/** Where a writer reports that its thread died (the store cannot write any more). */
export interface WriterLog {
  error(details: object, message: string): void;
}

type Resolve = (value: unknown) => void;
type Reject = (error: Error) => void;

/**
 * Acknowledgements queued one after another in a turn, sent as one ackAll job:
 * `pairs` is that job's argument, flat [username, position, …] with one pair per
 * user, and `at` where each user's position sits in it (the highest queued wins).
 * Every caller gets the run's one promise (not a promise of its own per acknowledgement).
 */
interface AckRun {
  pairs: (string | number)[];
  at: Map<string, number>;
  settled: Promise<void>;
}

/** Settled slots at the front of the pending list beyond which it is copied down (it is reset whenever it empties). */
const COMPACT_AFTER = 8192;

const NO_STATS: WriteBatchStats = { commits: 0, writes: 0, failures: 0, largestBatch: 0, reruns: 0 };

/**
 * How to start the writer thread in the way this code is running:
 * - from the esbuild bundle (dist/main/index.cjs, in Node or in Electron): the
 *   entry bundled beside it, dist/main/sqlite-writer.cjs (see scripts/build-main.mjs).
 *   In a packaged app it is read from inside app.asar, which Electron supports in
 *   worker threads since 17 (electron/electron#33216); better-sqlite3 is unpacked
 *   from the asar as for the main thread (electron-builder.yml);
 * - from TypeScript sources (vitest, tsx): the same entry bundled in memory with
 *   esbuild, once per process, and run as an `eval` worker. A worker does not
 *   inherit the parent's TypeScript loader, and registering tsx in each new
 *   thread cost ~0.5 s per open; bundling costs ~50 ms once.
 */
function writerScript(): Promise<{ script: string | URL; eval: boolean }> {
  const here = new URL(import.meta.url);
  if (!here.pathname.endsWith('.ts')) {
    const bundled = new URL('./sqlite-writer.cjs', here);
    if (!existsSync(fileURLToPath(bundled))) {
      return Promise.reject(new Error(`SQLite writer thread entry ${fileURLToPath(bundled)} is missing: build it with scripts/build-main.mjs`));
    }
    return Promise.resolve({ script: bundled, eval: false });
  }
  sourceBundle ??= bundleFromSources(here);
  return sourceBundle.then((code) => ({ script: code, eval: true }));
}

let sourceBundle: Promise<string> | undefined;

async function bundleFromSources(here: URL): Promise<string> {
  // Only reached from sources, where esbuild is installed (a devDependency, and tsx's own);
  // scripts/build-main.mjs keeps it out of the bundle.
  const esbuild = await import('esbuild');
  // An eval worker resolves bare names from the working directory: point at the real package instead.
  const sqlite = createRequire(here).resolve('better-sqlite3');
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./writer-thread.ts', here))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'sqlite-by-path',
        setup(build) {
          build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true }));
        },
      },
    ],
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no SQLite writer bundle');
  return output.text;
}

/**
 * MUST: jobs reach the writer in call order (one port, and each turn's jobs in one message);
 *       the writer settles them in that order, so results are matched to jobs by position.
 * MUST: a promise resolves only after the writer reported the COMMIT of its job.
 * MUST: when the thread dies, every pending and later job rejects with an error naming it, and it is logged once.
 * SHOULD: the thread keeps the process alive only while jobs are pending.
 */
export class SqliteWriter {
  /**
   * Jobs posted or queued and not settled yet, oldest first from `settledUpTo` (the order of
   * the writer's results), flat: [resolve, reject, resolve, reject, …]. No object per job, and
   * settling advances an index instead of copying what is still pending.
   */
  private pending: (Resolve | Reject)[] = [];
  private settledUpTo = 0;
  /** This turn's jobs, flat: [op, args, op, args, …] (see ToWriter). */
  private queue: unknown[] = [];
  /** The run of acknowledgements at the end of `queue`, which the next ack() joins; null once another job follows it. */
  private acks: AckRun | null = null;
  private timer: NodeJS.Immediate | null = null;
  private stats: WriteBatchStats = NO_STATS;
  private deathCause: Error | null = null;
  private dead: Error | null = null;
  private cleanlyClosed = false;
  private closing: Promise<void> | null = null;
  private readonly exited: Promise<void>;
  private onStartup: ((message: FromWriter) => void) | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly file: string,
    private readonly maxBatch: number,
    private readonly log: WriterLog | undefined,
  ) {
    worker.on('message', (message: FromWriter) => this.onMessage(message));
    worker.on('error', (error) => {
      this.deathCause ??= error;
    });
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        this.onExit(code);
        resolve();
      });
    });
  }

  /**
   * Starts the writer thread on `file` and waits until it has opened (and
   * migrated) the database. Rejects with the thread's error (SchemaTooNewError
   * among others) when it cannot, leaving no thread behind.
   */
  static async start(file: string, options: { maxBatch: number; log?: WriterLog }): Promise<{ writer: SqliteWriter; settings: SqliteSettings }> {
    const { script, eval: isCode } = await writerScript();
    const workerData: WriterData = { file, maxBatch: options.maxBatch };
    const worker = new Worker(script, { eval: isCode, workerData, name: 'sqlite-writer' });
    const writer = new SqliteWriter(worker, file, options.maxBatch, options.log);
    try {
      const settings = await new Promise<SqliteSettings>((resolve, reject) => {
        writer.onStartup = (message) => {
          if (message.type === 'ready') resolve(message.settings);
          else if (message.type === 'failed') reject(fromWireError(message.error));
        };
        void writer.exited.then(() => reject(writer.dead ?? new Error(`SQLite writer thread for ${file} exited during start-up`)));
      });
      writer.onStartup = null;
      writer.worker.unref();
      return { writer, settings };
    } catch (error) {
      await writer.worker.terminate();
      await writer.exited;
      throw error;
    }
  }

  /** Queues op(...args) for the writer; resolves with its result once its transaction committed. */
  run<K extends WriteOp>(op: K, args: Parameters<WriteOps[K]>): Promise<ReturnType<WriteOps[K]>> {
    return new Promise((resolve, reject) => {
      if (!this.track(resolve as Resolve, reject)) return;
      this.push(op, args);
    });
  }

  /**
   * Stores `username`'s acknowledged position, as run('ack', …) would, in fewer jobs:
   * acknowledgements queued one after another (no other job between them) form one
   * ackAll job holding each user's highest position. In a fan-out that turns a
   * job (and a statement) per delivery into one per turn.
   * MUST: equivalent to running the acks one by one where the run stands: positions are
   *       max'ed, so their order within the run does not matter, and any other job
   *       (a message that moves the head, a sign-in that reads the position, …) ends the run.
   * MUST: every caller's promise settles with the run's job: after its COMMIT, or
   *       rejected with its error (the callers of a run share one promise).
   */
  ack(username: string, position: number): Promise<void> {
    // Anything but a safe integer (no caller sends one) runs alone, exactly as before.
    if (!Number.isSafeInteger(position)) return this.run('ack', [username, position]);
    const run = this.acks;
    if (run === null) {
      const pairs = [username, position];
      const args: Parameters<WriteOps['ackAll']> = [pairs];
      const settled = this.run('ackAll', args);
      // Still the last job queued (not posted at once, nor refused): later acknowledgements join it.
      if (this.queue[this.queue.length - 1] === args) this.acks = { pairs, at: new Map([[username, 1]]), settled };
      return settled;
    }
    const at = run.at.get(username);
    if (at === undefined) {
      run.at.set(username, run.pairs.length + 1);
      run.pairs.push(username, position);
    } else if (position > (run.pairs[at] as number)) run.pairs[at] = position;
    return run.settled;
  }

  /** The writer's group-commit counters as of its latest report. */
  batchStats(): WriteBatchStats {
    return { ...this.stats };
  }

  /**
   * Drains every queued write, then has the thread checkpoint (TRUNCATE) and
   * close its connection, and waits for the thread to end. Idempotent. Resolves
   * even when the thread had died (that was logged, and its jobs rejected).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.dead === null) {
        this.send();
        this.post({ type: 'close' });
        this.worker.ref();
      }
      await this.exited;
    })();
    return this.closing;
  }

  /** Throws the cause when the thread has died (every write would be rejected). */
  assertAlive(): void {
    if (this.dead) throw this.dead;
  }

  /** Test seam: kills the thread as a crash would, without draining. */
  async terminateForTests(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
  }

  /** Registers a pending job; returns false (having rejected it) when the writer is gone. */
  private track(resolve: Resolve, reject: Reject): boolean {
    if (this.dead) {
      reject(this.dead);
      return false;
    }
    if (this.closing) {
      reject(new Error(`SQLite store ${this.file} is closed`));
      return false;
    }
    if (this.settledUpTo === this.pending.length) this.worker.ref();
    this.pending.push(resolve, reject);
    return true;
  }

  /** Queues one job; it ends any run of acknowledgements (ack() opens one after queueing an ackAll job). */
  private push(op: WriteOp, args: unknown[]): void {
    this.acks = null;
    this.queue.push(op, args);
    if (this.queue.length >= 2 * this.maxBatch) this.send();
    else this.timer ??= setImmediate(() => this.send());
  }

  private send(): void {
    if (this.timer) {
      clearImmediate(this.timer);
      this.timer = null;
    }
    if (this.queue.length === 0) return;
    const jobs = this.queue;
    this.queue = [];
    this.acks = null;
    this.post({ type: 'jobs', jobs });
  }

  private post(message: ToWriter): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: FromWriter): void {
    switch (message.type) {
      case 'settled': {
        this.stats = message.stats;
        const { values, failures } = message;
        const { pending } = this;
        const from = this.settledUpTo;
        // Taken off before any callback runs (a callback may queue, and track(), a new job).
        this.settledUpTo = from + 2 * values.length;
        if (this.settledUpTo === pending.length) {
          this.pending = [];
          this.settledUpTo = 0;
        } else if (this.settledUpTo >= COMPACT_AFTER) {
          this.pending = pending.slice(this.settledUpTo);
          this.settledUpTo = 0;
        }
        let nextFailure = 0;
        for (let i = 0; i < values.length; i++) {
          const failure = failures[nextFailure];
          if (failure?.[0] === i) {
            nextFailure++;
            (pending[from + 2 * i + 1] as Reject)(fromWireError(failure[1]));
          } else (pending[from + 2 * i] as Resolve)(values[i]);
        }
        if (this.settledUpTo === this.pending.length && this.closing === null) this.worker.unref();
        break;
      }
      case 'closed':
        this.cleanlyClosed = true;
        break;
      case 'ready':
      case 'failed':
        this.onStartup?.(message);
        break;
    }
  }

  private onExit(code: number): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = null;
    const abandoned = this.pending;
    const from = this.settledUpTo;
    this.pending = [];
    this.settledUpTo = 0;
    this.queue = [];
    this.acks = null;
    if (this.cleanlyClosed) {
      this.dead = new Error(`SQLite store ${this.file} is closed`);
      return;
    }
    const cause = this.deathCause ? `: ${this.deathCause.message}` : '';
    this.dead = new Error(
      `SQLite writer thread for ${this.file} stopped unexpectedly (exit code ${code}${cause}). ` +
        'Writes in flight were not confirmed (they may or may not be stored); this store accepts no more writes.',
      this.deathCause ? { cause: this.deathCause } : undefined,
    );
    // A failed start-up is reported to the opener, not logged as a crash.
    if (this.onStartup === null) {
      this.log?.error({ err: this.dead, file: this.file, exitCode: code, pendingWrites: (abandoned.length - from) / 2 }, 'SQLite writer thread died');
    }
    for (let i = from + 1; i < abandoned.length; i += 2) (abandoned[i] as Reject)(this.dead);
  }
}
