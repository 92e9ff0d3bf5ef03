// A session's delivery order around sign-in, on the memory store: nothing goes
// out before the sign-in reply (catchUp() marks it sent), and a live message
// that arrives meanwhile neither jumps ahead of the waiting mailbox nor repeats.
import { describe, expect, it } from 'vitest';
import { testSession } from '../../helpers/session';
import { OutboundMessage, type Connection } from '../../../server/connection';
import { MemoryStore } from '../../../server/store/memory';
import { waitUntil } from '../../helpers/wait';

/** A connection that records what the session writes (the transport's side of the Connection interface). */
function recordingConnection(): Connection & { seqs: number[] } {
  const seqs: number[] = [];
  return {
    id: 1,
    kind: 'test',
    remoteAddress: 'test',
    address: 'test',
    open: true,
    acknowledgesOnWrite: false,
    seqs,
    reply: () => {},
    replyError: () => {},
    event: () => {},
    deliver: (seq) => void seqs.push(seq),
    drained: () => Promise.resolve(),
    close: () => {},
  };
}

describe('session order around sign-in', () => {
  for (const liveInOrder of [true, false]) {
    it(`${liveInOrder ? 'one node' : 'cluster'}: a live message before the sign-in reply waits behind the mailbox`, async () => {
      const store = await MemoryStore.open();
      for (const u of ['alice', 'bob']) await store.accounts.createUser(u, 'h', 1);
      const waiting = [];
      for (let i = 0; i < 3; i++) waiting.push(await store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: `w${i}`, ts: i }));
      const { away } = await store.messages.signIn('bob');
      const connection = recordingConnection();
      const session = testSession('bob', connection, store.messages, { away, liveInOrder });
      // Stored and routed while the sign-in reply is still being written.
      const live = await store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'live', ts: 9 });
      session.deliver(live.id, new OutboundMessage(live));
      expect(connection.seqs).toEqual([]);
      session.catchUp();
      const expected = [...waiting.map((m) => m.id), live.id];
      await waitUntil(() => connection.seqs.length >= expected.length, 'the catch-up');
      expect(connection.seqs).toEqual(expected);
      await session.end();
    });
  }
});
