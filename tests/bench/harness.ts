// Shared plumbing for scenarios: start the server under test (ours, the
// baseline relay, or an IRC peer) with its own PID, start load workers, run
// set-up / go / result with deadlines, merge what the workers measured, and
// clean up.
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServerOptions } from '../../server/config';
import type { Transport } from './bench-client';
import type { Cred, Setup, WorkerResult } from './load-worker';
import { SEND_QUEUE_BYTES, peerTitle, startPeer, type PeerAvailability, type PeerName } from './peers';
import { cpuSplitOf, type BenchProcess, type ProcessPool } from './proc';
import { topSelfTime } from './profile-top';
import { Histogram, addTotals, emptyTotals, type SeqRule, type StreamTotals } from './stats';

export interface RunContext {
  /** Load-generator processes per scenario (split of receivers). */
  workers: number;
  /** Hard limit for one measured phase, ms. */
  deadlineMs: number;
  /** Write a CPU profile of every server process of ours into this directory. */
  profileDir: string | null;
  /** The rule our server's per-recipient seq must follow (stats.ts, OUR_SEQ_RULE). */
  seqRule: SeqRule;
  /** Our chat sends over WebSocket carry a fresh `clientKey` each (--client-key; TCP has no key). */
  clientKey: boolean;
  /** Open files one process may have here (servers and load workers alike). */
  fdLimit: number;
  log: (line: string) => void;
  pool: ProcessPool;
}

/** A server the scenarios can measure. `id` is stable (JSON, ratios); the label is for people. */
export type ServerSpec =
  /** `label` when the row stands for more than one transport (the sign-in scenario loads both). */
  | { id: string; kind: 'ours'; transport: 'tcp' | 'ws'; store: 'memory' | 'sqlite'; label?: string }
  | { id: 'relay'; kind: 'relay' }
  | { id: PeerName; kind: 'peer'; peer: PeerAvailability & { available: true } };

export function ours(transport: 'tcp' | 'ws', store: 'memory' | 'sqlite'): ServerSpec {
  return { id: `ours-${transport}-${store}`, kind: 'ours', transport, store };
}

export const RELAY: ServerSpec = { id: 'relay', kind: 'relay' };

export function serverLabel(spec: ServerSpec): string {
  if (spec.kind === 'ours') return spec.label ?? `ours ${spec.transport.toUpperCase()}`;
  if (spec.kind === 'relay') return 'ws relay';
  return peerTitle(spec.peer.name);
}

/** The store a figure used: ours memory or SQLite; the others keep nothing. */
export function storeLabel(spec: ServerSpec): string {
  return spec.kind === 'ours' ? (spec.store === 'sqlite' ? 'SQLite' : 'memory') : 'none';
}

/** Whether the server keeps messages on disk (only ours on SQLite). */
export function persists(spec: ServerSpec): boolean {
  return spec.kind === 'ours' && spec.store === 'sqlite';
}

export interface Target {
  label: string;
  transport: Transport;
  /** Port for the transport under test. */
  port: number;
  /** The server's own PID: CPU (/proc/PID/stat) and RSS are read from it. */
  pid: number;
  /** Ours and the relay: the child process (gc, loop stats); null for the peers. */
  proc: BenchProcess | null;
  /** Connections each load worker may open at once (ngIRCd listens with a backlog of 10). */
  connectConcurrency: number;
  /** IRC: the channel every fan-out member joins; null elsewhere. */
  channel: string | null;
  /** Ours: both listeners (a scenario may load TCP and WebSocket on one server). */
  ports?: { tcp: number; ws: number };
  stop(): Promise<void>;
}

export interface ServerLaunch {
  store: 'memory' | 'sqlite';
  users: Cred[];
  hashCost: number;
  /** Pre-hashed accounts (`username hash`) created before start instead of a users file. */
  seed?: { username: string; hash: string }[];
  extra?: Partial<ServerOptions>;
  /** File name of the CPU profile (with --cpu-prof). */
  profileName?: string;
}

/** Starts our server (both listeners; `transport` is the one under test) in a child process with a fresh data dir. */
export async function startServerTarget(ctx: RunContext, transport: 'ws' | 'tcp', launch: ServerLaunch): Promise<Target> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-bench-'));
  const options: ServerOptions = {
    host: '127.0.0.1',
    port: 0,
    wsPort: 0,
    dataDir,
    store: launch.store,
    hashCost: launch.hashCost,
    // The peers' courtesy: no per-connection rate limit, the same send queue as theirs.
    rateLimit: 0,
    maxSendQueueBytes: SEND_QUEUE_BYTES,
    logLevel: 'silent',
    // Benchmarks hold many idle connections; keep the server from closing them meanwhile.
    loginTimeoutSeconds: 3600,
    idleSeconds: 3600,
    // Every load-generator connection comes from 127.0.0.1, and the storm sends
    // 1000 sign-ins at once: the abuse limits would measure themselves, not the server.
    signInBudgetPerAddress: 0,
    signInBudgetTotal: 0,
    maxHashQueue: 0,
    maxConnectionsPerAddress: 0,
    maxUnauthenticatedPerAddress: 0,
    maxUnauthenticated: 0,
    // Benchmark accounts have short generated passwords (pw-u0, ...): the password
    // policy is not what is measured.
    minPasswordLength: 1,
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
  // Node writes one profile per thread (tsx runs its loader in a worker) under default
  // names into a directory of this server's own; stop() keeps the main thread's.
  const profileTmp = ctx.profileDir ? path.join(ctx.profileDir, `.tmp-${process.pid}-${Date.now()}-${launch.profileName ?? 'server'}`) : null;
  if (profileTmp) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileTmp}`);
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
    label: `ours ${transport}`,
    proc,
    pid: proc.pid,
    transport,
    port: transport === 'ws' ? ready.wsPort : ready.tcpPort,
    ports: { tcp: ready.tcpPort, ws: ready.wsPort },
    connectConcurrency: Infinity,
    channel: null,
    async stop() {
      await proc.stop(10_000);
      await rm(dataDir, { recursive: true, force: true });
      if (profileTmp && ctx.profileDir) {
        const kept = await keepMainThreadProfile(profileTmp, path.join(ctx.profileDir, `${launch.profileName ?? `server-${proc.pid}`}.cpuprofile`));
        if (kept) ctx.log(`  cpu profile ${path.relative(process.cwd(), kept)}, top self time:\n${topSelfTime(kept, 8)}`);
      }
    },
  };
}

/** Moves the main thread's profile (thread id 0 in Node's default name) out of `tmpDir` to `target`; removes the rest. */
async function keepMainThreadProfile(tmpDir: string, target: string): Promise<string | null> {
  try {
    const files = (await readdir(tmpDir)).filter((f) => f.endsWith('.cpuprofile'));
    const main = files.find((f) => f.split('.').at(-3) === '0') ?? files[0];
    if (!main) return null;
    await rename(path.join(tmpDir, main), target);
    return target;
  } catch {
    return null;
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

/** Starts the baseline relay. */
export async function startRelayTarget(ctx: RunContext): Promise<Target> {
  const proc = ctx.pool.take('baseline-relay', 'baseline-relay.ts', ['--expose-gc']);
  const ready = await proc.waitFor<{ type: 'ready'; wsPort: number }>('ready', 30_000);
  return {
    label: 'ws relay',
    proc,
    pid: proc.pid,
    transport: 'relay',
    port: ready.wsPort,
    connectConcurrency: Infinity,
    channel: null,
    stop: () => proc.stop(5_000),
  };
}

/** The IRC channel that stands for "everyone" in fan-out on the peers. */
export const IRC_CHANNEL = '#bench';

/** Starts any server under test. `connections` sizes the peers' limits; users are created on ours only. */
export async function startTarget(
  ctx: RunContext,
  spec: ServerSpec,
  o: { users: Cred[]; connections: number; hashCost?: number; extra?: Partial<ServerOptions>; profileName?: string },
): Promise<Target> {
  if (spec.kind === 'ours') {
    return startServerTarget(ctx, spec.transport, {
      store: spec.store,
      users: o.users,
      hashCost: o.hashCost ?? 4,
      ...(o.extra ? { extra: o.extra } : {}),
      ...(o.profileName ? { profileName: o.profileName } : {}),
    });
  }
  if (spec.kind === 'relay') return startRelayTarget(ctx);
  const peer = await startPeer(spec.peer, { connections: o.connections, fdLimit: ctx.fdLimit });
  return {
    label: peerTitle(spec.peer.name),
    proc: null,
    pid: peer.pid,
    transport: 'irc',
    port: peer.port,
    // ngIRCd's listen backlog is 10 (built in): open connections in small batches.
    connectConcurrency: spec.peer.name === 'ngircd' ? 4 : Infinity,
    channel: IRC_CHANNEL,
    stop: () => peer.stop(),
  };
}

/** What a scenario says about a worker; the target fills in where to connect and how to check. */
type SetupBody = Setup extends infer S
  ? S extends unknown
    ? Omit<S, 'type' | 'transport' | 'host' | 'port' | 'connectTimeoutMs' | 'seqRule' | 'channel' | 'clientKey'>
    : never
  : never;

export interface Worker {
  proc: BenchProcess;
  ready: { connected: number; failed: number; firstError: string | null; incomplete?: boolean };
}

/** Starts one load worker per set-up body and waits until each reports ready. */
export async function startWorkers(ctx: RunContext, target: Target, bodies: SetupBody[], setupTimeoutMs: number): Promise<Worker[]> {
  // CHAT_BENCH_WORKER_CPU_PROF=DIR: a CPU profile of every load worker into DIR (Node's default names; tsx's loader thread writes one too).
  const profDir = process.env.CHAT_BENCH_WORKER_CPU_PROF;
  const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profDir)}`] : [];
  const procs = bodies.map((_, i) => ctx.pool.take(`worker-${i}`, 'load-worker.ts', nodeArgs));
  try {
    return await Promise.all(
      procs.map(async (proc, i) => {
        const body = bodies[i]!;
        proc.send({
          type: 'setup',
          transport: target.transport,
          host: '127.0.0.1',
          port: target.port,
          connectTimeoutMs: 30_000,
          seqRule: ctx.seqRule,
          channel: target.channel,
          // Ours only (peers and the relay have no such thing); BenchClient applies it to WebSocket only.
          clientKey: ctx.clientKey && target.transport === 'ws',
          ...body,
          concurrency: Math.min(body.concurrency, target.connectConcurrency),
        });
        const ready = await proc.waitFor<{ type: 'ready' } & Worker['ready']>('ready', setupTimeoutMs);
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
  const before = await cpuSplitOf(target.pid);
  const m = merge(await runWorkers(workers, deadlineMs));
  const after = await cpuSplitOf(target.pid);
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
  /** Paced senders: the most any fell behind its schedule, µs. */
  maxSendLagUs: number;
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
  let maxSendLagUs = 0;
  for (const r of results) {
    workerCpuMs += r.cpuMs;
    maxSendLagUs = Math.max(maxSendLagUs, r.maxSendLagUs ?? 0);
    addTotals(totals, r.totals);
    hist.merge(r.hist);
    startUs = Math.min(startUs, r.startUs);
    lastUs = Math.max(lastUs, r.lastUs);
    sent += r.sent;
    disconnects += r.disconnects;
    timedOut ||= r.timedOut;
    for (const [code, n] of Object.entries(r.sendErrors)) sendErrors[code] = (sendErrors[code] ?? 0) + n;
  }
  return { totals, hist, startUs, lastUs, sent, sendErrors, disconnects, timedOut, workerCpuMs, maxSendLagUs };
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

/**
 * Correctness problems of a merged run, as readable strings (empty = clean).
 * With `receiversPerSend` (fan-out), sends the server refused are told apart
 * from losses: a refused message is missing at every receiver and leaves a gap
 * there, which the stream checks count as lost and out of order.
 */
export function problems(m: Merged, connectFailures = 0, receiversPerSend = 0): string[] {
  const out: string[] = [];
  const errors = Object.entries(m.sendErrors);
  const refused = errors.reduce((n, [, k]) => n + k, 0);
  const codes = errors.map(([c, n]) => `${c}×${n}`).join(', ');
  const explained = receiversPerSend > 0 && refused > 0 && m.totals.lost === refused * receiversPerSend && m.totals.reordered <= m.totals.lost;
  if (explained) {
    out.push(
      `${refused} sends refused (${codes}): their ${m.totals.lost} deliveries are missing (${refused} × ${receiversPerSend} receivers) and the gaps count ${m.totals.reordered} out of order; nothing the server accepted was lost`,
    );
  } else {
    if (m.totals.lost > 0) out.push(`${m.totals.lost} lost`);
    if (m.totals.reordered > 0) out.push(`${m.totals.reordered} out of order`);
    if (errors.length > 0) out.push(`error replies: ${codes}`);
  }
  if (m.totals.duplicated > 0) out.push(`${m.totals.duplicated} duplicated`);
  if (m.totals.seqErrors > 0) out.push(`${m.totals.seqErrors} seq broke the rule`);
  if (m.disconnects > 0) out.push(`${m.disconnects} disconnected`);
  if (m.timedOut) out.push(explained ? 'deadline reached (waiting for the refused messages)' : 'deadline reached');
  if (connectFailures > 0) out.push(`${connectFailures} failed to connect/sign in`);
  return out;
}
