// The node's session report (for `sessions list`): rebuilt and written only
// when someone signed in or out here, or every REPORT_EVERY_MS to stay fresh;
// each session is reported since it signed in.
import { describe, expect, it } from 'vitest';
import { testSession } from '../../helpers/session';
import type { Connection } from '../../../server/connection';
import { createLogger } from '../../../server/log';
import { ControlLoop, REPORT_EVERY_MS } from '../../../server/ops/control';
import { SessionRegistry } from '../../../server/services/registry';
import type { Session } from '../../../server/services/session';
import { MemoryStore } from '../../../server/store/memory/memory-store';
import type { LiveSession } from '../../../server/store/store';

function sessionOf(store: MemoryStore, username: string, startedAt: number, address: string): Session {
  const connection = { kind: 'tcp', remoteAddress: address, acknowledgesOnWrite: false } as unknown as Connection;
  return testSession(username, connection, store.messages, { startedAt });
}

describe('session report', () => {
  it('writes the sessions only when they change or the report grows old, each since its sign-in', async () => {
    const store = new MemoryStore();
    const writes: Omit<LiveSession, 'node' | 'seenAt'>[][] = [];
    const put = store.admin.putNodeSessions.bind(store.admin);
    store.admin.putNodeSessions = async (node, sessions, now) => {
      writes.push([...sessions]);
      return put(node, sessions, now);
    };
    const registry = new SessionRegistry();
    let now = 1_000_000;
    const hooks = { endSession: () => {}, groupDeleted: () => {}, everyPoll: async () => {} };
    const loop = new ControlLoop(store.admin, 'node-a', registry, hooks, createLogger('silent'), { auditRetentionMs: null }, () => now);
    const poll = () => (loop as unknown as { runOnce(): Promise<void> }).runOnce();

    registry.add(sessionOf(store, 'alice', now - 5_000, '127.0.0.1:4000'));
    await poll();
    expect(writes).toEqual([[{ username: 'alice', transport: 'tcp', address: '127.0.0.1:4000', since: now - 5_000 }]]);
    now += 1_000;
    await poll();
    expect(writes).toHaveLength(1);

    const bob = sessionOf(store, 'bob', now, '127.0.0.1:4001');
    registry.add(bob);
    now += 1_000;
    await poll();
    expect(writes.at(-1)?.map((s) => s.username)).toEqual(['alice', 'bob']);
    registry.remove(bob);
    now += 1_000;
    await poll();
    expect(writes.at(-1)?.map((s) => s.username)).toEqual(['alice']);
    expect(writes).toHaveLength(3);

    // Unchanged, but old enough: written again so other nodes' views do not count it stale.
    now += REPORT_EVERY_MS;
    await poll();
    expect(writes).toHaveLength(4);
    expect((await store.admin.liveSessions(now - 1)).map((s) => s.username)).toEqual(['alice']);
  });
});
