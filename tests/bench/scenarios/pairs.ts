// Pairs: P pairs of users exchanging private messages as fast as a window of
// unanswered requests allows, on our server over WebSocket or TCP and on the
// baseline relay (routed frames: one in, one to the peer, one reply). Measures
// messages delivered per second and latency, and our figures as ratios to the relay's.
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
  type Worker,
} from '../harness';
import type { Cred } from '../load-worker';
import type { ScenarioResult } from '../report';

export interface PairsParams {
  transport: Transport;
  pairs: number;
  messages: number;
  window: number;
}

export interface PairsMeasure {
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  delivered: number;
  /** CPU time of the server (or relay) process per delivered message, µs: robust on a busy machine. */
  cpuUsPerMessage: number;
  /** CPU use of the server and of all load workers during the run, % of one core. */
  serverCpuPercent: number;
  /** Share of the server's CPU time spent in the kernel (socket reads and writes). */
  serverKernelShare: number;
  loadGenCpuPercent: number;
  durationS: number;
  lost: number;
  duplicated: number;
  reordered: number;
  problems: string[];
}

/** Runs one pairs measurement against a fresh target. */
export async function measurePairs(ctx: RunContext, p: PairsParams): Promise<PairsMeasure> {
  const all = users('p', p.pairs * 2);
  const pairs: [Cred, Cred][] = Array.from({ length: p.pairs }, (_, i) => [all[2 * i]!, all[2 * i + 1]!]);
  const target: Target =
    p.transport === 'relay' ? await startRelayTarget(ctx) : await startServerTarget(ctx, p.transport, { store: 'memory', users: all, hashCost: 4 });
  let workers: Worker[] = [];
  try {
    workers = await startWorkers(
      ctx,
      target,
      split(pairs, ctx.workers).map((chunk) => ({
        role: 'pairs' as const,
        pairs: chunk,
        expected: p.messages,
        window: p.window,
        intervalMs: 0,
        concurrency: 50,
        localAddresses: [],
      })),
      60_000 + p.pairs * 100,
    );
    const { m, durationS, targetCpuMs: cpuMs, targetSystemMs: systemMs } = await runMeasured(target, workers, ctx.deadlineMs);
    return {
      messagesPerSec: m.totals.received / durationS,
      p50Ms: ms(m.hist.quantile(0.5)),
      p99Ms: ms(m.hist.quantile(0.99)),
      maxMs: ms(m.hist.max),
      delivered: m.totals.received,
      cpuUsPerMessage: Math.round((cpuMs * 1000 * 100) / Math.max(1, m.totals.received)) / 100,
      serverCpuPercent: Math.round(cpuMs / 10 / durationS),
      serverKernelShare: Math.round((100 * systemMs) / Math.max(1, cpuMs)) / 100,
      loadGenCpuPercent: Math.round(m.workerCpuMs / 10 / durationS),
      durationS: Math.round(durationS * 100) / 100,
      lost: m.totals.lost,
      duplicated: m.totals.duplicated,
      reordered: m.totals.reordered + m.totals.seqErrors,
      problems: problems(
        m,
        workers.reduce((n, w) => n + w.ready.failed, 0),
      ),
    };
  } finally {
    await stopWorkers(workers);
    await target.stop();
  }
}

/** Relay floors by size, measured once per run and shared by both transports. */
const floors = new Map<string, Promise<PairsMeasure>>();

function floorFor(ctx: RunContext, pairs: number, messages: number, window: number): Promise<PairsMeasure> {
  const key = `${pairs}/${messages}/${window}`;
  let floor = floors.get(key);
  if (!floor) {
    ctx.log(`  baseline relay: ${pairs} pairs, ${messages} messages each way`);
    floor = measurePairs(ctx, { transport: 'relay', pairs, messages, window });
    floors.set(key, floor);
  }
  return floor;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export async function pairsScenario(ctx: RunContext, p: PairsParams & { transport: 'ws' | 'tcp'; smoke: boolean }): Promise<ScenarioResult> {
  const name = `pairs-${p.transport}-${p.pairs}`;
  const floor = await floorFor(ctx, p.pairs, p.messages, p.window);
  ctx.log(`  ${name}`);
  const m = await measurePairs(ctx, p);
  const judged = !p.smoke && p.pairs >= 200;
  const met = m.messagesPerSec > 50_000 && m.p99Ms < 20;
  const notes = ['hashCost 4: this scenario is not about password hashing'];
  if (p.transport === 'tcp') notes.push('TCP compared with the WebSocket relay floor (there is no raw TCP floor)');
  if (floor.problems.length > 0) notes.push(`baseline relay problems: ${floor.problems.join('; ')}`);
  if (m.problems.length > 0) notes.push(`problems: ${m.problems.join('; ')}`);
  const { problems: _problems, ...metrics } = m;
  return {
    name,
    params: { transport: p.transport, pairs: p.pairs, messagesPerClient: p.messages, window: p.window, store: 'memory', hashCost: 4 },
    metrics: { ...metrics, messagesPerSec: Math.round(m.messagesPerSec) },
    baseline: {
      messagesPerSec: Math.round(floor.messagesPerSec),
      p50Ms: floor.p50Ms,
      p99Ms: floor.p99Ms,
      maxMs: floor.maxMs,
      cpuUsPerMessage: floor.cpuUsPerMessage,
      serverCpuPercent: floor.serverCpuPercent,
      serverKernelShare: floor.serverKernelShare,
      loadGenCpuPercent: floor.loadGenCpuPercent,
    },
    ratio: {
      messagesPerSec: round2(m.messagesPerSec / Math.max(1e-6, floor.messagesPerSec)),
      p99: round2(m.p99Ms / Math.max(1e-6, floor.p99Ms)),
      cpuPerMessage: round2(m.cpuUsPerMessage / Math.max(1e-6, floor.cpuUsPerMessage)),
    },
    target: judged
      ? '> 50,000 private messages/s delivered, p99 < 20 ms; nothing lost/duplicated/reordered'
      : 'nothing lost/duplicated/reordered (rate targets apply at 200 pairs)',
    status: m.problems.length > 0 ? 'fail' : judged && !met ? 'target-missed' : 'pass',
    notes,
  };
}
