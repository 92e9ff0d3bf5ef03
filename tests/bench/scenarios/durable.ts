// Durable: the fan-out scenario on the SQLite store (group commit, fsync) next to
// the memory store, to show what durability costs.
import type { RunContext } from '../harness';
import type { ScenarioResult } from '../report';
import { measureFanout } from './fanout';

export async function durableScenario(
  ctx: RunContext,
  p: { receivers: number; messages: number; window: number; transport: 'ws' | 'tcp' },
): Promise<ScenarioResult> {
  const name = `durable-${p.transport}-${p.receivers}`;
  ctx.log(`  ${name}: memory store`);
  const memory = await measureFanout(ctx, { ...p, kind: 'broadcast', store: 'memory' });
  ctx.log(`  ${name}: sqlite store`);
  const sqlite = await measureFanout(ctx, { ...p, kind: 'broadcast', store: 'sqlite' });
  const bad = [...memory.problems.map((x) => `memory: ${x}`), ...sqlite.problems.map((x) => `sqlite: ${x}`)];
  return {
    name,
    params: { transport: p.transport, receivers: p.receivers, messages: p.messages, window: p.window, kind: 'broadcast', hashCost: 4 },
    metrics: {
      sqliteDeliveriesPerSec: Math.round(sqlite.deliveriesPerSec),
      memoryDeliveriesPerSec: Math.round(memory.deliveriesPerSec),
      sqliteToMemory: Math.round((sqlite.deliveriesPerSec / memory.deliveriesPerSec) * 1000) / 1000,
      sqliteP99Ms: sqlite.p99Ms,
      memoryP99Ms: memory.p99Ms,
      sqliteMaxMs: sqlite.maxMs,
      lost: sqlite.lost + memory.lost,
      duplicated: sqlite.duplicated + memory.duplicated,
      reordered: sqlite.reordered + memory.reordered,
    },
    target: 'nothing lost/duplicated/reordered on either store (the issue sets no rate target: this shows the cost)',
    status: bad.length > 0 ? 'fail' : 'pass',
    notes: ['hashCost 4: this scenario is not about password hashing', ...(bad.length > 0 ? [`problems: ${bad.join('; ')}`] : [])],
  };
}
