// Durable: fan-out to N WebSocket (or TCP) receivers on our memory store and on
// SQLite (group commit, fsync before the acknowledgement), side by side, to
// show what durability costs. The same measurement as fanout, ours only.
import type { Scenario } from '../compare';
import { ours, type RunContext } from '../harness';
import { PAYLOAD_BYTES } from '../stats';
import { fanoutScenario } from './fanout';

export function durableScenario(
  ctx: RunContext,
  p: { receivers: number; messages: number; window: number; transport: 'ws' | 'tcp'; kind: 'broadcast' | 'group'; smoke: boolean },
): Scenario {
  return fanoutScenario(ctx, {
    receivers: p.receivers,
    messages: p.messages,
    window: p.window,
    kind: p.kind,
    servers: [ours(p.transport, 'memory'), ours(p.transport, 'sqlite')],
    skipped: [],
    smoke: p.smoke,
    name: `durable-${p.transport}-${p.receivers}`,
    title: `Durable: fan-out to ${p.receivers} ${p.transport.toUpperCase()} receivers (${p.kind}), ${p.messages} messages of ${PAYLOAD_BYTES} bytes, window ${p.window}, memory store vs SQLite`,
  });
}
