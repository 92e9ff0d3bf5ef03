// Pairs: P pairs of users exchanging private messages, each user with at most
// `window` messages not yet delivered to its partner. Ours: `message`; the
// relay: a routed frame (plus a `+` reply, as our server replies); the IRC
// peers: PRIVMSG to the partner's nick. Measures messages delivered per second,
// latency and server CPU per message.
import { measurement, ratioTarget, type Measurement, type Scenario } from '../compare';
import { ms, problems, runMeasured, split, startTarget, startWorkers, stopWorkers, users, type RunContext, type ServerSpec, type Worker } from '../harness';
import type { Cred } from '../load-worker';
import { PAYLOAD_BYTES } from '../stats';

export interface PairsParams {
  pairs: number;
  /** Messages each user sends to its partner. */
  messages: number;
  window: number;
}

/** Runs one pairs measurement against a fresh server. */
export async function measurePairs(ctx: RunContext, spec: ServerSpec, p: PairsParams, profileName?: string): Promise<Measurement> {
  const all = users('p', p.pairs * 2);
  const pairs: [Cred, Cred][] = Array.from({ length: p.pairs }, (_, i) => [all[2 * i]!, all[2 * i + 1]!]);
  const target = await startTarget(ctx, spec, { users: all, connections: all.length, ...(profileName ? { profileName } : {}) });
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
    return measurement(
      {
        messagesPerSec: Math.round(m.totals.received / durationS),
        p50Ms: ms(m.hist.quantile(0.5)),
        p99Ms: ms(m.hist.quantile(0.99)),
        maxMs: ms(m.hist.max),
        cpuUsPerMessage: Math.round((cpuMs * 1000 * 100) / Math.max(1, m.totals.received)) / 100,
        serverKernelShare: Math.round((100 * systemMs) / Math.max(1, cpuMs)) / 100,
        serverCpuPercent: Math.round(cpuMs / 10 / durationS),
        loadGenCpuPercent: Math.round(m.workerCpuMs / 10 / durationS),
        delivered: m.totals.received,
        durationS: Math.round(durationS * 100) / 100,
        lost: m.totals.lost,
        duplicated: m.totals.duplicated,
        reordered: m.totals.reordered,
        seqErrors: m.totals.seqErrors,
      },
      {
        problems: problems(
          m,
          workers.reduce((n, w) => n + w.ready.failed, 0),
        ),
      },
    );
  } finally {
    await stopWorkers(workers);
    await target.stop();
  }
}

export function pairsScenario(ctx: RunContext, p: PairsParams & { servers: ServerSpec[]; skipped: string[]; smoke: boolean }): Scenario {
  const name = `pairs-${p.pairs}`;
  const judged = !p.smoke && p.pairs === 200;
  const vsNgircd = (store: 'memory' | 'sqlite'): [string, string][] => (['tcp', 'ws'] as const).map((t) => [`ours-${t}-${store}`, 'ngircd']);
  return {
    name,
    title: `${p.pairs} pairs: each user sends ${p.messages} private messages of ${PAYLOAD_BYTES} bytes to its partner, at most ${p.window} undelivered`,
    params: { pairs: p.pairs, messagesPerUser: p.messages, window: p.window, payloadBytes: PAYLOAD_BYTES, hashCost: 4 },
    servers: p.servers,
    skipped: p.skipped,
    columns: [
      { key: 'messagesPerSec', label: 'messages/s' },
      { key: 'p50Ms', label: 'p50 ms' },
      { key: 'p99Ms', label: 'p99 ms' },
      { key: 'cpuUsPerMessage', label: 'server CPU µs/message' },
      { key: 'serverKernelShare', label: 'kernel share' },
      { key: 'serverCpuPercent', label: 'server CPU %' },
      { key: 'loadGenCpuPercent', label: 'load-gen CPU %' },
    ],
    compared: [
      { key: 'messagesPerSec', label: 'messages/s' },
      { key: 'p99Ms', label: 'p99' },
      { key: 'cpuUsPerMessage', label: 'CPU/message' },
    ],
    targets: [
      ratioTarget('200 pairs: SQLite >= 0.7x ngIRCd messages/s', vsNgircd('sqlite'), 'messagesPerSec', (r) => r >= 0.7, judged),
      ratioTarget('200 pairs: memory >= 1x ngIRCd messages/s', vsNgircd('memory'), 'messagesPerSec', (r) => r >= 1, judged),
      ratioTarget('200 pairs: server CPU per message <= 2x ngIRCd', [...vsNgircd('memory'), ...vsNgircd('sqlite')], 'cpuUsPerMessage', (r) => r <= 2, judged),
    ],
    notes: [
      'the window counts messages not yet delivered to the partner, for every server (IRC sends no reply to a PRIVMSG)',
      'rates swing 2-3x between runs because the load generators saturate a core; server CPU per message is the steadier figure',
      'the peers and the relay persist nothing; ours on SQLite commits every message to disk before it is acknowledged',
    ],
    measure: (spec, repeat) => measurePairs(ctx, spec, p, `${name}-${spec.id}-r${repeat}`),
  };
}
