// Paced fan-out: one sender sends to N receivers at a fixed rate (20 messages/s
// in the issue), whatever the receivers do, on every server. Measures the
// latency at that rate and checks nothing is refused (no error reply, no
// disconnect) and nothing lost, duplicated or reordered.
import { medianOf, ratioTarget, type Scenario, type TargetRule } from '../compare';
import type { RunContext, ServerSpec } from '../harness';
import { PAYLOAD_BYTES } from '../stats';
import { measureFanout } from './fanout';

export function pacedScenario(
  ctx: RunContext,
  p: { receivers: number; ratePerSec: number; seconds: number; servers: ServerSpec[]; skipped: string[]; smoke: boolean },
): Scenario {
  const intervalMs = 1000 / p.ratePerSec;
  const messages = Math.max(1, Math.round(p.ratePerSec * p.seconds));
  const name = `paced-${p.receivers}`;
  const oursIds = p.servers.filter((s) => s.kind === 'ours').map((s) => s.id);
  const judged = !p.smoke && p.receivers >= 1000;
  const nothingRefused: TargetRule = {
    text: 'nothing refused (no error reply, no disconnect) on any of ours',
    judge(s) {
      const refused = oursIds.map((id) => ({ id, n: medianOf(s, id, 'refused') }));
      const measured = refused.filter((r) => r.n !== null);
      if (measured.length === 0) return { met: null, detail: 'ours not measured' };
      const bad = s.servers.filter((x) => oursIds.includes(x.id) && (x.metrics.refused?.max ?? 0) > 0);
      return { met: bad.length === 0, detail: bad.length === 0 ? '0 refused' : bad.map((x) => `${x.id}: up to ${x.metrics.refused?.max}`).join(', ') };
    },
  };
  return {
    name,
    title: `${p.receivers} receivers, one sender at a paced ${p.ratePerSec} messages/s for ${p.seconds} s (${messages} messages of ${PAYLOAD_BYTES} bytes; ours: broadcast; IRC peers: a channel)`,
    params: { receivers: p.receivers, ratePerSec: p.ratePerSec, seconds: p.seconds, messages, payloadBytes: PAYLOAD_BYTES, hashCost: 4 },
    servers: p.servers,
    skipped: p.skipped,
    columns: [
      { key: 'delivered', label: 'delivered' },
      { key: 'p50Ms', label: 'p50 ms' },
      { key: 'p99Ms', label: 'p99 ms' },
      { key: 'maxMs', label: 'max ms' },
      { key: 'refused', label: 'refused' },
      { key: 'cpuUsPerDelivery', label: 'server CPU µs/delivery' },
      { key: 'maxSendLagMs', label: 'sender lag max ms' },
    ],
    compared: [
      { key: 'p99Ms', label: 'p99' },
      { key: 'cpuUsPerDelivery', label: 'CPU/delivery' },
    ],
    targets: [
      ratioTarget(
        `${p.receivers} receivers at ${p.ratePerSec} msg/s: p99 <= InspIRCd's on both transports and both stores`,
        oursIds.map((id) => [id, 'inspircd'] as [string, string]),
        'p99Ms',
        (r) => r <= 1,
        judged,
      ),
      nothingRefused,
    ],
    notes: [
      'latency counts from the scheduled send time (open loop), so a late sender cannot hide queueing; "sender lag" shows how late the load generator itself was',
      'the peers and the relay persist nothing; ours on SQLite commits every message to disk before it is acknowledged',
    ],
    measure: (spec, repeat) =>
      measureFanout(ctx, spec, { receivers: p.receivers, messages, window: messages, intervalMs, kind: 'broadcast' }, `${name}-${spec.id}-r${repeat}`),
  };
}
