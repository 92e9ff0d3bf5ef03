// Private messages to a user signed in on this node skip the account lookup;
// the name must still mean exactly what a lookup would say, and a recipient
// deleted or renamed while their session lingers must get UNKNOWN_USER.
import { describe, expect, it } from 'vitest';
import { testSession } from '../../helpers/session';
import { LocalBus } from '../../../server/bus/local';
import { resolveConfig } from '../../../server/config';
import type { Connection, OutboundMessage } from '../../../server/connection';
import { createLogger } from '../../../server/log';
import { Metrics } from '../../../server/metrics';
import { ErrorCode, ProtocolError } from '../../../server/protocol';
import { createServices } from '../../../server/services/index';
import { MemoryStore } from '../../../server/store/memory/memory-store';

async function setUp() {
  const store = new MemoryStore();
  for (const name of ['alice', 'bob', 'Carol']) await store.accounts.createUser(name, 'x', 0);
  const services = createServices(resolveConfig({}), store, new LocalBus(), createLogger('silent'), new Metrics());
  const got: { to: string; id: number }[] = [];
  /** Signs `username` in on a stand-in connection that records deliveries. */
  const signIn = (username: string) => {
    const connection = {
      kind: 'tcp',
      acknowledgesOnWrite: false,
      deliver: (_seq: number, _offline: boolean, m: OutboundMessage) => got.push({ to: username, id: m.message.id }),
    } as unknown as Connection;
    const away = { from: 0, to: 0 };
    const session = testSession(username, connection, store.messages, { log: services.log, away, startedAt: 0 });
    session.catchUp();
    services.registry.add(session);
  };
  return { store, services, got, signIn };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof ProtocolError ? err.code : String(err);
  }
}

describe('private message recipients', () => {
  it('a recipient signed in here, typed in any case, is found and gets the message live', async () => {
    const { services, got, signIn } = await setUp();
    signIn('bob');
    signIn('Carol');
    const a = await services.delivery.sendPrivate('alice', 'bob', 'hi');
    const b = await services.delivery.sendPrivate('alice', 'CAROL', 'hi');
    expect([a.message.to, b.message.to]).toEqual(['bob', 'Carol']);
    expect([a.queued, b.queued]).toEqual([[], []]);
    expect(got).toEqual([
      { to: 'bob', id: a.message.id },
      { to: 'Carol', id: b.message.id },
    ]);
  });

  it('answers SELF_TARGET and UNKNOWN_USER as before', async () => {
    const { services, signIn } = await setUp();
    signIn('alice');
    expect(await code(services.delivery.sendPrivate('alice', 'alice', 'hi'))).toBe(ErrorCode.SELF_TARGET);
    expect(await code(services.delivery.sendPrivate('alice', 'ALICE', 'hi'))).toBe(ErrorCode.SELF_TARGET);
    expect(await code(services.delivery.sendPrivate('alice', 'nobody', 'hi'))).toBe(ErrorCode.UNKNOWN_USER);
  });

  it('UNKNOWN_USER for a recipient deleted or renamed while still signed in here, and nothing is stored', async () => {
    const { store, services, got, signIn } = await setUp();
    signIn('bob');
    signIn('Carol');
    const head = await store.messages.head();
    await store.admin.deleteUser('bob');
    expect(await code(services.delivery.sendPrivate('alice', 'bob', 'hi'))).toBe(ErrorCode.UNKNOWN_USER);
    expect(await store.admin.renameUser('Carol', 'dave')).toBe('ok');
    expect(await code(services.delivery.sendPrivate('alice', 'Carol', 'hi'))).toBe(ErrorCode.UNKNOWN_USER);
    expect(await store.messages.head()).toBe(head);
    expect(got).toEqual([]);
  });

  it('UNKNOWN_USER, not a delivery to someone else, when a lingering session’s name now belongs to another user', async () => {
    const { store, services, got, signIn } = await setUp();
    signIn('Carol');
    const head = await store.messages.head();
    expect(await store.admin.renameUser('Carol', 'dave')).toBe('ok');
    expect(await store.accounts.createUser('carol', 'x', 0)).toBe(true);
    expect(await code(services.delivery.sendPrivate('alice', 'Carol', 'hi'))).toBe(ErrorCode.UNKNOWN_USER);
    expect(await store.messages.head()).toBe(head);
    expect(got).toEqual([]);
  });

  it('BLOCKED once the recipient blocks the sender, also after the sender’s blockers were cached', async () => {
    const { services, signIn } = await setUp();
    signIn('bob');
    expect(await code(services.delivery.sendPrivate('alice', 'bob', 'one'))).toBe('ok');
    await services.blocks.block('bob', 'alice');
    expect(await code(services.delivery.sendPrivate('alice', 'bob', 'two'))).toBe(ErrorCode.BLOCKED);
    await services.blocks.unblock('bob', 'alice');
    expect(await code(services.delivery.sendPrivate('alice', 'bob', 'three'))).toBe('ok');
  });

  it('an unblock made on another node is honoured before its notice arrives: no stale BLOCKED', async () => {
    // Two nodes on one store; their buses are apart, so node A never hears of B's change.
    const { store, services: nodeA } = await setUp();
    const nodeB = createServices(resolveConfig({}), store, new LocalBus(), createLogger('silent'), new Metrics());
    await nodeB.blocks.block('bob', 'alice');
    expect(await code(nodeA.delivery.sendPrivate('alice', 'bob', 'one'))).toBe(ErrorCode.BLOCKED);
    expect(nodeA.blocks.knownBlockersOf('alice')).toEqual(new Set(['bob']));
    await nodeB.blocks.unblock('bob', 'alice');
    const sent = await nodeA.delivery.sendPrivate('alice', 'bob', 'two');
    expect(sent.message.text).toBe('two');
    // The stale answer is dropped, so the next message does not ask the store again.
    expect(nodeA.blocks.knownBlockersOf('alice')).toBeUndefined();
    await nodeB.blocks.block('bob', 'alice');
    expect(await code(nodeA.delivery.sendPrivate('alice', 'bob', 'three'))).toBe(ErrorCode.BLOCKED);
  });

  it('a message from another node whose cache missed a block is not delivered live: the recipient’s node reads the mailbox, which leaves the blocked sender out', async () => {
    // Node A sends; bob is signed in on node B, as in a cluster (live deliveries are read from the store).
    const { store, services: nodeA } = await setUp();
    const nodeB = createServices(resolveConfig({}), store, new LocalBus(), createLogger('silent'), new Metrics());
    const got: string[] = [];
    const connection = {
      kind: 'tcp',
      acknowledgesOnWrite: false,
      deliver: (_seq: number, _offline: boolean, m: OutboundMessage) => got.push(m.message.text),
      drained: () => Promise.resolve(),
    } as unknown as Connection;
    const session = testSession('bob', connection, store.messages, { liveInOrder: false });
    session.catchUp();
    nodeB.registry.add(session);
    const relay = async (text: string) => {
      const { message } = await nodeA.delivery.sendPrivate('alice', 'bob', text);
      nodeB.delivery.deliverFromBus({ message, users: ['bob'], skip: [] });
    };
    await relay('before');
    await expect.poll(() => got).toEqual(['before']);
    // Node A cached "nobody blocked alice" and never hears of the block (the buses are apart).
    await nodeB.blocks.block('bob', 'alice');
    await relay('after the block');
    expect(nodeA.blocks.knownBlockersOf('alice')).toEqual(new Set());
    await nodeB.blocks.unblock('bob', 'alice');
    await relay('after the unblock');
    await expect.poll(() => got).toEqual(['before', 'after the unblock']);
  });

  it('a reaction refused BLOCKED on a stale cache is confirmed with the store: an unblock on another node is honoured', async () => {
    const { store, services: nodeA } = await setUp();
    const nodeB = createServices(resolveConfig({}), store, new LocalBus(), createLogger('silent'), new Metrics());
    const { message } = await nodeB.delivery.sendPrivate('bob', 'alice', 'react to this');
    await nodeB.blocks.block('bob', 'alice');
    expect(await code(nodeA.changes.react('alice', message.id, '👍'))).toBe(ErrorCode.BLOCKED);
    await nodeB.blocks.unblock('bob', 'alice');
    expect(await code(nodeA.changes.react('alice', message.id, '👍'))).toBe('ok');
  });

  it('block and unblock are answered only once the bus has taken their notice to the other nodes', async () => {
    const { store } = await setUp();
    const bus = new LocalBus();
    const published: string[] = [];
    let release = () => {};
    bus.publish = (event) => {
      published.push(event.kind);
      return new Promise<void>((resolve) => (release = resolve));
    };
    const node = createServices(resolveConfig({}), store, bus, createLogger('silent'), new Metrics());
    for (const verb of ['block', 'unblock'] as const) {
      let answered = false;
      const done = node.blocks[verb]('bob', 'alice').then(() => (answered = true));
      await expect.poll(() => published.length).toBe(verb === 'block' ? 1 : 2);
      // The store has the change and the notice is on its way, but not yet taken: no answer.
      await new Promise((resolve) => setImmediate(resolve));
      expect(answered).toBe(false);
      release();
      await done;
    }
    expect(published).toEqual(['blocks-changed', 'blocks-changed']);
  });
});
