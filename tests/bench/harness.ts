// Shared plumbing for scenarios: start the system under test (our server or the
// baseline relay) in its own process, start load workers, run set-up / go /
// result with deadlines, merge what the workers measured, and clean up.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServerOptions } from '../../server/config';
import type { Transport } from './bench-client';
import type { Cred, Setup, WorkerResult } from './load-worker';
import { cpuSplitOf, type BenchProcess, type ProcessPool } from './proc';
import { Histogram, addTotals, emptyTotals, type StreamTotals } from './stats';

export interface RunContext {
  /** Load-generator processes per scenario (split of receivers). */
  workers: number;
  /** Hard limit for one measured phase, ms. */
  deadlineMs: number;
  /** Write a CPU profile of every server process into this directory. */
  profileDir: string | null;
  log: (line: string) => void;
  pool: ProcessPool;
}

export interface Target {
  proc: BenchProcess;
  transport: Transport;
  /** Port for the transport under test. */
  port: number;
  stop(): Promise<void>;
}

export interface ServerLaunch {
  store: 'memory' | 'sqlite';
  users: Cred[];
  hashCost: number;
  /** Pre-hashed accounts (`username hash`) created before start instead of a users file. */
  seed?: { username: string; hash: string }[];
  extra?: Partial<ServerOptions>;
}

/** Starts our server (ws or tcp under test) in a child process with a fresh data dir. */
export async function startServerTarget(ctx: RunContext, transport: 'ws' | 'tcp', launch: ServerLaunch): Promise<Target> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-bench-'));
  const options: ServerOptions = {
    host: '127.0.0.1',
    port: 0,
    wsPort: 0,
    dataDir,
    store: launch.store,
    hashCost: launch.hashCost,
    rateLimit: 0,
    logLevel: 'silent',
    // Benchmarks hold many idle connections; keep the server from closing them meanwhile.
    loginTimeoutSeconds: 3600,
    idleSeconds: 3600,
    ...launch.extra,
  };
  let seedFile: string | undefined;
  if (launch.seed) {
    seedFile = path.join(dataDir, 'seed.txt');
    await writeFile(seedFile, launch.seed.map((u) => `${u.username} ${u.hash}`).join('\n') + '\n');
  } else if (launch.users.length > 0) {
    options.usersFile = path.join(dataDir, 'users.txt');
    await writeFile(options.usersFile, launch.users.map((u) => `${u.username} ${u.password}`).join('\n') + '\n');
  }
  const nodeArgs = ['--expose-gc'];
  if (ctx.profileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`);
  const proc = ctx.pool.take('server', 'server-process.ts', nodeArgs);
  proc.send({ type: 'launch', launch: { options, ...(seedFile ? { seedFile } : {}) } });
  // Importing many accounts or creating seeded ones takes a while before the server listens.
  const ready = await proc
    .waitFor<{ type: 'ready'; tcpPort: number; wsPort: number }>('ready', 60_000 + launch.users.length * 5)
    .catch(async (err: unknown) => {
      await proc.stop(1_000);
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    });
  return {
    proc,
    transport,
    port: transport === 'ws' ? ready.wsPort : ready.tcpPort,
    async stop() {
      await proc.stop(10_000);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the baseline relay. */
export async function startRelayTarget(ctx: RunContext): Promise<Target> {
  const proc = ctx.pool.take('baseline-relay', 'baseline-relay.ts');
  const ready = await proc.waitFor<{ type: 'ready'; wsPort: number }>('ready', 30_000);
  return { proc, transport: 'relay', port: ready.wsPort, stop: () => proc.stop(5_000) };
}

type SetupBody = Setup extends infer S ? (S extends unknown ? Omit<S, 'type' | 'transport' | 'host' | 'port' | 'connectTimeoutMs'> : never) : never;

export interface Worker {
  proc: BenchProcess;
  ready: { connected: number; failed: number; firstError: string | null };
}

/** Starts one load worker per set-up body and waits until each reports ready. */
export async function startWorkers(ctx: RunContext, target: Target, bodies: SetupBody[], setupTimeoutMs: number): Promise<Worker[]> {
  const procs = bodies.map((_, i) => ctx.pool.take(`worker-${i}`, 'load-worker.ts'));
  try {
    return await Promise.all(
      procs.map(async (proc, i) => {
        proc.send({ type: 'setup', transport: target.transport, host: '127.0.0.1', port: target.port, connectTimeoutMs: 30_000, ...bodies[i]! });
        const ready = await proc.waitFor<{ type: 'ready'; connected: number; failed: number; firstError: string | null }>('ready', setupTimeoutMs);
        return { proc, ready };
      }),
    );
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop(1_000)));
    throw err;
  }
}

export async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.proc.stop(3_000)));
}

/** Sends `go` and collects each worker's result (a worker stops itself at the deadline). */
export async function runWorkers(workers: readonly Worker[], deadlineMs: number): Promise<WorkerResult[]> {
  for (const w of workers) w.proc.send({ type: 'go', deadlineMs });
  return Promise.all(workers.map((w) => w.proc.waitFor<WorkerResult>('result', deadlineMs + 15_000)));
}

export interface MeasuredRun {
  m: Merged;
  /** First send to last arrival, s (never 0). */
  durationS: number;
  /** CPU the target process used during the run, ms: all of it, and the part in the kernel. */
  targetCpuMs: number;
  targetSystemMs: number;
}

/** Runs the workers and reads the target's CPU time around the run. */
export async function runMeasured(target: Target, workers: readonly Worker[], deadlineMs: number): Promise<MeasuredRun> {
  const before = await cpuSplitOf(target.proc.pid);
  const m = merge(await runWorkers(workers, deadlineMs));
  const after = await cpuSplitOf(target.proc.pid);
  const targetSystemMs = after.systemMs - before.systemMs;
  return {
    m,
    durationS: Math.max(1e-6, (m.lastUs - m.startUs) / 1e6),
    targetCpuMs: after.userMs - before.userMs + targetSystemMs,
    targetSystemMs,
  };
}

export interface Merged {
  totals: StreamTotals;
  hist: Histogram;
  startUs: number;
  lastUs: number;
  sent: number;
  sendErrors: Record<string, number>;
  disconnects: number;
  timedOut: boolean;
  /** CPU used by all load workers during the run, ms. */
  workerCpuMs: number;
}

export function merge(results: readonly WorkerResult[]): Merged {
  const totals = emptyTotals();
  const hist = new Histogram();
  const sendErrors: Record<string, number> = {};
  let startUs = Infinity;
  let lastUs = 0;
  let sent = 0;
  let disconnects = 0;
  let timedOut = false;
  let workerCpuMs = 0;
  for (const r of results) {
    workerCpuMs += r.cpuMs;
    addTotals(totals, r.totals);
    hist.merge(r.hist);
    startUs = Math.min(startUs, r.startUs);
    lastUs = Math.max(lastUs, r.lastUs);
    sent += r.sent;
    disconnects += r.disconnects;
    timedOut ||= r.timedOut;
    for (const [code, n] of Object.entries(r.sendErrors)) sendErrors[code] = (sendErrors[code] ?? 0) + n;
  }
  return { totals, hist, startUs, lastUs, sent, sendErrors, disconnects, timedOut, workerCpuMs };
}

/** Splits `items` into `parts` nearly equal consecutive chunks (none empty unless items are fewer). */
export function split<T>(items: readonly T[], parts: number): T[][] {
  const n = Math.max(1, Math.min(parts, items.length));
  const out: T[][] = [];
  for (let i = 0; i < n; i++) out.push(items.slice(Math.floor((i * items.length) / n), Math.floor(((i + 1) * items.length) / n)));
  return out;
}

export function users(prefix: string, count: number, from = 0): Cred[] {
  return Array.from({ length: count }, (_, i) => ({ username: `${prefix}${from + i}`, password: `pw-${prefix}${from + i}` }));
}

/** ms from µs, rounded to 0.01. */
export function ms(us: number): number {
  return Math.round(us / 10) / 100;
}

/** Correctness problems of a merged run, as readable strings (empty = clean). */
export function problems(m: Merged, connectFailures = 0): string[] {
  const out: string[] = [];
  if (m.totals.lost > 0) out.push(`${m.totals.lost} lost`);
  if (m.totals.duplicated > 0) out.push(`${m.totals.duplicated} duplicated`);
  if (m.totals.reordered > 0) out.push(`${m.totals.reordered} out of order`);
  if (m.totals.seqErrors > 0) out.push(`${m.totals.seqErrors} seq gaps`);
  const errors = Object.entries(m.sendErrors);
  if (errors.length > 0) out.push(`error replies: ${errors.map(([c, n]) => `${c}×${n}`).join(', ')}`);
  if (m.disconnects > 0) out.push(`${m.disconnects} disconnected`);
  if (m.timedOut) out.push('deadline reached');
  if (connectFailures > 0) out.push(`${connectFailures} failed to connect/sign in`);
  return out;
}
