// Pairs: P pairs of users exchanging private messages as fast as a window of
// unanswered requests allows. Measures messages delivered per second and latency.
import { merge, ms, problems, split, startServerTarget, startWorkers, stopWorkers, runWorkers, users, type RunContext, type Worker } from '../harness';
import type { Cred } from '../load-worker';
import { cpuMsOf } from '../proc';
import type { ScenarioResult } from '../report';

export async function pairsScenario(ctx: RunContext, p: { transport: 'ws' | 'tcp'; pairs: number; messages: number; window: number; smoke: boolean }): Promise<ScenarioResult> {
  const name = `pairs-${p.transport}-${p.pairs}`;
  ctx.log(`  ${name}`);
  const all = users('p', p.pairs * 2);
  const pairs: [Cred, Cred][] = Array.from({ length: p.pairs }, (_, i) => [all[2 * i]!, all[2 * i + 1]!]);
  const target = await startServerTarget(ctx, p.transport, { store: 'memory', users: all, hashCost: 4 });
  let workers: Worker[] = [];
  try {
    workers = await startWorkers(
      ctx,
      target,
      split(pairs, ctx.workers).map((chunk) => ({ role: 'pairs' as const, pairs: chunk, expected: p.messages, window: p.window, intervalMs: 0, concurrency: 50, localAddresses: [] })),
      60_000 + p.pairs * 100,
    );
    const cpuBefore = await cpuMsOf(target.proc.pid);
    const m = merge(await runWorkers(workers, ctx.deadlineMs));
    const cpuMs = (await cpuMsOf(target.proc.pid)) - cpuBefore;
    const durationS = Math.max(1e-6, (m.lastUs - m.startUs) / 1e6);
    const rate = m.totals.received / durationS;
    const p99 = ms(m.hist.quantile(0.99));
    const bad = problems(m, workers.reduce((n, w) => n + w.ready.failed, 0));
    const judged = !p.smoke && p.pairs >= 200;
    const met = rate > 50_000 && p99 < 20;
    return {
      name,
      params: { transport: p.transport, pairs: p.pairs, messagesPerClient: p.messages, window: p.window, store: 'memory', hashCost: 4 },
      metrics: {
        messagesPerSec: Math.round(rate),
        p50Ms: ms(m.hist.quantile(0.5)),
        p99Ms: p99,
        maxMs: ms(m.hist.max),
        delivered: m.totals.received,
        cpuUsPerMessage: Math.round((cpuMs * 1000 * 100) / Math.max(1, m.totals.received)) / 100,
        serverCpuPercent: Math.round(cpuMs / 10 / Math.max(1e-6, durationS)),
        loadGenCpuPercent: Math.round(m.workerCpuMs / 10 / Math.max(1e-6, durationS)),
        durationS: Math.round(durationS * 100) / 100,
        lost: m.totals.lost,
        duplicated: m.totals.duplicated,
        reordered: m.totals.reordered + m.totals.seqErrors,
      },
      target: judged ? '> 50,000 private messages/s delivered, p99 < 20 ms; nothing lost/duplicated/reordered' : 'nothing lost/duplicated/reordered (rate targets apply at 200 pairs)',
      status: bad.length > 0 ? 'fail' : judged && !met ? 'target-missed' : 'pass',
      notes: ['hashCost 4: this scenario is not about password hashing', ...(bad.length > 0 ? [`problems: ${bad.join('; ')}`] : [])],
    };
  } finally {
    await stopWorkers(workers);
    await target.stop();
  }
}
