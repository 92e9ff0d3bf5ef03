// Fan-out: one sender to N receivers (broadcast, or a group of N members), on
// our server over WebSocket or TCP and on the baseline relay. Receivers check
// every message arrives once and in order, and measure latency.
import type { Transport } from '../bench-client';
import {
  ms,
  problems,
  runMeasured,
  split,
  startRelayTarget,
  startServerTarget,
  startWorkers,
  stopWorkers,
  users,
  type RunContext,
  type Target,
} from '../harness';
import type { ScenarioResult } from '../report';

export interface FanoutParams {
  transport: Transport;
  receivers: number;
  messages: number;
  kind: 'broadcast' | 'group';
  store: 'memory' | 'sqlite';
  /** Messages the sender may be ahead of the slowest receiver. */
  window: number;
}

export interface FanoutMeasure {
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  problems: string[];
  durationS: number;
  /** CPU time of the server (or relay) process per delivery, µs: robust on a busy machine. */
  cpuUsPerDelivery: number;
  /** CPU use of the server and of all load workers during the run, % of one core. */
  serverCpuPercent: number;
  loadGenCpuPercent: number;
  lost: number;
  duplicated: number;
  reordered: number;
}

/** Runs one fan-out measurement against a fresh target. */
export async function measureFanout(ctx: RunContext, p: FanoutParams): Promise<FanoutMeasure> {
  const receivers = users('u', p.receivers);
  const sender = { username: 'sender', password: 'pw-sender' };
  let target: Target;
  if (p.transport === 'relay') target = await startRelayTarget(ctx);
  else target = await startServerTarget(ctx, p.transport, { store: p.store, users: [...receivers, sender], hashCost: 4 });
  const workers = [];
  try {
    // The probe (u0) lives with the sender; the other receivers are split across workers.
    const rest = receivers.slice(1);
    const setupMs = 60_000 + p.receivers * 60;
    workers.push(
      ...(await startWorkers(
        ctx,
        target,
        split(rest, ctx.workers).map((chunk) => ({ role: 'receivers' as const, users: chunk, expected: p.messages, concurrency: 50, localAddresses: [] })),
        setupMs,
      )),
    );
    const connectFailures = workers.reduce((n, w) => n + w.ready.failed, 0);
    if (connectFailures > 0) throw new Error(`${connectFailures} receivers could not connect: ${workers.find((w) => w.ready.firstError)?.ready.firstError}`);
    const group = p.kind === 'group' ? { name: 'fanout', members: receivers.map((u) => u.username) } : undefined;
    workers.push(
      ...(await startWorkers(
        ctx,
        target,
        [
          {
            role: 'fanout-sender',
            sender,
            probe: receivers[0]!,
            expected: p.messages,
            window: p.window,
            kind: p.kind,
            concurrency: 1,
            localAddresses: [],
            ...(group ? { group } : {}),
          },
        ],
        setupMs,
      )),
    );
    // Relay each receiver worker's progress to the sender as the minimum over workers.
    const senderProc = workers[workers.length - 1]!.proc;
    const progress = workers.slice(0, -1).map(() => 0);
    workers.slice(0, -1).forEach((w, i) =>
      w.proc.handlers.set('progress', (msg) => {
        progress[i] = msg.value as number;
        senderProc.send({ type: 'progress', value: Math.min(...progress) });
      }),
    );
    if (progress.length === 0) senderProc.send({ type: 'progress', value: p.messages });
    const { m, durationS, targetCpuMs: cpuMs } = await runMeasured(target, workers, ctx.deadlineMs);
    return {
      deliveriesPerSec: m.totals.received / durationS,
      p50Ms: ms(m.hist.quantile(0.5)),
      p99Ms: ms(m.hist.quantile(0.99)),
      maxMs: ms(m.hist.max),
      problems: problems(m),
      durationS: Math.round(durationS * 100) / 100,
      cpuUsPerDelivery: Math.round((cpuMs * 1000 * 100) / Math.max(1, m.totals.received)) / 100,
      serverCpuPercent: Math.round(cpuMs / 10 / durationS),
      loadGenCpuPercent: Math.round(m.workerCpuMs / 10 / durationS),
      lost: m.totals.lost,
      duplicated: m.totals.duplicated,
      reordered: m.totals.reordered + m.totals.seqErrors,
    };
  } finally {
    await stopWorkers(workers);
    await target.stop();
  }
}

/** Baseline results by receivers/messages, measured once per run and shared by the scenarios. */
const baselines = new Map<string, Promise<FanoutMeasure>>();

export function baselineFor(ctx: RunContext, receivers: number, messages: number, window: number): Promise<FanoutMeasure> {
  const key = `${receivers}/${messages}/${window}`;
  let b = baselines.get(key);
  if (!b) {
    ctx.log(`  baseline relay: ${receivers} receivers, ${messages} messages`);
    b = measureFanout(ctx, { transport: 'relay', receivers, messages, kind: 'broadcast', store: 'memory', window });
    baselines.set(key, b);
  }
  return b;
}

/** The fan-out scenario: our server vs the relay, with the targets at 1000 receivers. */
export async function fanoutScenario(ctx: RunContext, p: Omit<FanoutParams, 'store'> & { transport: 'ws' | 'tcp'; smoke: boolean }): Promise<ScenarioResult> {
  const name = `fanout-${p.kind}-${p.transport}-${p.receivers}`;
  const params = { transport: p.transport, receivers: p.receivers, messages: p.messages, kind: p.kind, store: 'memory', window: p.window, hashCost: 4 };
  const notes = ['hashCost 4: this scenario is not about password hashing'];
  if (p.transport === 'tcp') notes.push('TCP compared with the WebSocket relay floor (there is no raw TCP floor)');
  const base = await baselineFor(ctx, p.receivers, p.messages, p.window);
  if (base.problems.length > 0) notes.push(`baseline relay problems: ${base.problems.join('; ')}`);
  ctx.log(`  ${name}`);
  const ours = await measureFanout(ctx, { ...p, store: 'memory' });
  const ratio = { deliveriesPerSec: ours.deliveriesPerSec / base.deliveriesPerSec, p99Ms: ours.p99Ms / Math.max(0.01, base.p99Ms) };
  const judged = p.receivers >= 1000 && !p.smoke;
  const targetMet = ratio.deliveriesPerSec >= 0.5 && ratio.p99Ms < 2;
  return {
    name,
    params,
    metrics: {
      deliveriesPerSec: Math.round(ours.deliveriesPerSec),
      p50Ms: ours.p50Ms,
      p99Ms: ours.p99Ms,
      maxMs: ours.maxMs,
      durationS: ours.durationS,
      cpuUsPerDelivery: ours.cpuUsPerDelivery,
      serverCpuPercent: ours.serverCpuPercent,
      loadGenCpuPercent: ours.loadGenCpuPercent,
      lost: ours.lost,
      duplicated: ours.duplicated,
      reordered: ours.reordered,
    },
    baseline: {
      deliveriesPerSec: Math.round(base.deliveriesPerSec),
      p50Ms: base.p50Ms,
      p99Ms: base.p99Ms,
      maxMs: base.maxMs,
      cpuUsPerDelivery: base.cpuUsPerDelivery,
    },
    ratio: {
      deliveriesPerSec: Math.round(ratio.deliveriesPerSec * 1000) / 1000,
      p99Ms: Math.round(ratio.p99Ms * 1000) / 1000,
      cpuUsPerDelivery: Math.round((ours.cpuUsPerDelivery / Math.max(0.01, base.cpuUsPerDelivery)) * 1000) / 1000,
    },
    target: judged
      ? '>= 0.5x the relay floor deliveries/s, p99 < 2x the floor; nothing lost/duplicated/reordered'
      : 'nothing lost/duplicated/reordered (rate targets apply at 1000 receivers)',
    status: ours.problems.length > 0 ? 'fail' : judged && !targetMet ? 'target-missed' : 'pass',
    notes: ours.problems.length > 0 ? [...notes, `problems: ${ours.problems.join('; ')}`] : notes,
  };
}
