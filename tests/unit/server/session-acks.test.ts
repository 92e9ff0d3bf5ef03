// A session's acknowledgement writes: for a connection that acknowledges on
// write (TCP), written positions start a store write only when none is in
// flight, and the newest position always reaches the store once the write in
// flight is done; acknowledge() (the `ack` command) resolves once its position
// is durable, and a failed write neither loops nor stops later ones.
import { describe, expect, it } from 'vitest';
import { testSession } from '../../helpers/session';
import { OutboundMessage, type Connection, type WrittenAcks } from '../../../server/connection';
import { MemoryStore } from '../../../server/store/memory';
import type { MessageStore } from '../../../server/store/store';
import { waitUntil } from '../../helpers/wait';

/** A connection that acknowledges on write: it keeps what the session passes to be told of writes, for the test to call. */
function writingConnection(): Connection & { written: ((seq: number) => void) | null } {
  const conn = {
    id: 1,
    kind: 'test',
    remoteAddress: 'test',
    address: 'test',
    open: true,
    acknowledgesOnWrite: true,
    written: null as ((seq: number) => void) | null,
    reply: () => {},
    replyError: () => {},
    event: () => {},
    deliver: (_seq: number, _offline: boolean, _m: OutboundMessage, acks?: WrittenAcks) => {
      conn.written = acks ? (seq: number) => acks.writtenUpTo(seq) : null;
    },
    drained: () => Promise.resolve(),
    close: () => {},
  };
  return conn;
}

/** The store's ack, held until the test releases (or fails) each call. */
function heldAcks(messages: MessageStore): {
  store: MessageStore;
  calls: { position: number; release: () => void; fail: () => void }[];
} {
  const calls: { position: number; release: () => void; fail: () => void }[] = [];
  const ack: MessageStore['ack'] = (username, position) =>
    new Promise<void>((resolve, reject) => {
      calls.push({
        position,
        release: () => void messages.ack(username, position).then(resolve, reject),
        fail: () => reject(new Error('disk full')),
      });
    });
  const store = new Proxy(messages, {
    get: (target, key) => {
      if (key === 'ack') return ack;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, calls };
}

async function setup() {
  const memory = await MemoryStore.open();
  for (const u of ['alice', 'bob']) await memory.accounts.createUser(u, 'h', 1);
  const { away } = await memory.messages.signIn('bob');
  const held = heldAcks(memory.messages);
  const connection = writingConnection();
  const session = testSession('bob', connection, held.store, { away });
  session.catchUp();
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    const m = await memory.messages.saveMessage({ kind: 'broadcast', from: 'alice', text: `m${i}`, ts: i });
    session.deliver(m.id, new OutboundMessage(m));
    ids.push(m.id);
  }
  await waitUntil(() => connection.written !== null, 'a delivery');
  return { memory, session, connection, calls: held.calls, ids };
}

describe('session acknowledgements', () => {
  it('written positions: one store write in flight, then the newest position', async () => {
    const { memory, connection, calls, ids } = await setup();
    const written = connection.written!;
    written(ids[0]!);
    written(ids[1]!);
    written(ids[2]!);
    expect(calls.map((c) => c.position)).toEqual([ids[0]]);
    calls[0]!.release();
    await waitUntil(() => calls.length === 2, 'the follow-up write');
    expect(calls[1]!.position).toBe(ids[2]);
    written(ids[4]!);
    expect(calls).toHaveLength(2);
    calls[1]!.release();
    await waitUntil(() => calls.length === 3, 'the last write');
    expect(calls[2]!.position).toBe(ids[4]);
    calls[2]!.release();
    await waitUntil(async () => (await memory.messages.lastAcked('bob')) === ids[4], 'the stored position');
  });

  it('acknowledge() resolves once its position is stored, riding the write in flight', async () => {
    const { memory, session, connection, calls, ids } = await setup();
    connection.written!(ids[0]!);
    let resolved: number | null = null;
    const acking = session.acknowledge(ids[3]!).then((seq) => (resolved = seq));
    calls[0]!.release();
    await waitUntil(() => calls.length === 2, 'the write of the acknowledged position');
    expect(calls[1]!.position).toBe(ids[3]);
    expect(resolved).toBeNull();
    calls[1]!.release();
    await acking;
    expect(resolved).toBe(ids[3]);
    expect(await memory.messages.lastAcked('bob')).toBe(ids[3]);
  });

  it('a failed write of written positions (no caller waiting) leaves no unhandled rejection; the next position is written', async () => {
    const { memory, connection, calls, ids } = await setup();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      connection.written!(ids[1]!);
      calls[0]!.fail();
      // A few turns for an unhandled rejection to be reported.
      for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(calls).toHaveLength(1);
      connection.written!(ids[3]!);
      await waitUntil(() => calls.length === 2, 'the next write');
      expect(calls[1]!.position).toBe(ids[3]);
      calls[1]!.release();
      await waitUntil(async () => (await memory.messages.lastAcked('bob')) === ids[3], 'the stored position');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a failed write is not retried in a loop; the next written position is written again', async () => {
    const { memory, session, connection, calls, ids } = await setup();
    const acking = session.acknowledge(ids[1]!);
    calls[0]!.fail();
    await expect(acking).rejects.toThrow('disk full');
    expect(calls).toHaveLength(1);
    connection.written!(ids[2]!);
    await waitUntil(() => calls.length === 2, 'the next write');
    expect(calls[1]!.position).toBe(ids[2]);
    calls[1]!.release();
    await waitUntil(async () => (await memory.messages.lastAcked('bob')) === ids[2], 'the stored position');
    await session.end();
  });
});
