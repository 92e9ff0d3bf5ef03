// Sends with an idempotency key (`clientKey`) over real WebSockets, on every
// backend (on the cluster the resend goes to the other node): a repeat is
// answered with the first reply and delivers nothing; a bad key is BAD_REQUEST.
import { describe, expect, it } from 'vitest';
import type { Command } from '../../../server/protocol';
import { backends } from '../../helpers/backends';
import type { WsClient } from '../../helpers/ws-client';
import { useBackend } from './harness';

/** The texts of the message events `client` received so far (taken off its queue). */
const textsReceived = (client: WsClient): string[] => client.takeMessages().map((e) => e.message.text);

for (const backend of backends) {
  describe(`idempotent sends [${backend.name}]`, () => {
    const h = useBackend(backend);

    it('a resent message with the same key gets the same reply and is delivered once, also from a new connection', async () => {
      let alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const command: Command = { type: 'message', to: 'bob', text: 'exactly once', clientKey: 'a1B2_c3-d4' };
      const first = await alice.send(command);
      expect(first).toMatchObject({ ok: true, result: { message: { from: 'alice', to: 'bob', text: 'exactly once' }, queued: false } });
      await bob.waitEvent('message', (e) => e.message.text === 'exactly once');
      expect(await alice.send(command)).toEqual(first);

      // The reply was lost with the connection: the client signs in again (here: on the other node) and resends.
      await alice.request({ type: 'logout' });
      alice = await h.wsUser(1, 'alice');
      expect(await alice.send(command)).toEqual(first);
      // Even with other content, the key names the first message.
      expect(await alice.send({ ...command, text: 'edited before the resend' })).toEqual(first);

      // A marker after the repeats: once it arrived, every repeat would have too.
      await alice.request({ type: 'message', to: 'bob', text: 'marker' });
      await bob.waitEvent('message', (e) => e.message.text === 'marker');
      expect(textsReceived(bob)).toEqual([]);
      const history = await bob.request({ type: 'history', with: 'alice' });
      expect(history.messages.map((m) => m.text)).toEqual(['marker', 'exactly once']);
    });

    it('pipelined copies with one key (racing before the first commits) store and deliver one message', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const command: Command = { type: 'message', to: 'bob', text: 'raced', clientKey: 'race' };
      const replies = await Promise.all([alice.send(command), alice.send(command), alice.send(command)]);
      expect(replies[1]).toEqual(replies[0]);
      expect(replies[2]).toEqual(replies[0]);
      await alice.request({ type: 'message', to: 'bob', text: 'marker' });
      expect((await bob.waitMessages(2)).map((e) => e.message.text)).toEqual(['raced', 'marker']);
      expect((await bob.request({ type: 'history', with: 'alice' })).messages.map((m) => m.text)).toEqual(['marker', 'raced']);
    });

    it('broadcast, message-group and reply take a key too; keys are per sender; a message without one is sent every time', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      await alice.request({ type: 'create-group', group: 'team', members: ['bob'] });
      const sends: Command[] = [
        { type: 'broadcast', text: 'to all', clientKey: 'k-broadcast' },
        { type: 'message-group', group: 'team', text: 'to the team', clientKey: 'k-group' },
      ];
      for (const command of sends) {
        const first = await alice.send(command);
        expect(first.ok).toBe(true);
        expect(await alice.send(command)).toEqual(first);
      }
      const original = (await alice.request({ type: 'message', to: 'bob', text: 'question' })).message;
      const reply: Command = { type: 'reply', messageId: original.id, text: 'answer', clientKey: 'k-reply' };
      const firstReply = await alice.send(reply);
      expect(firstReply).toMatchObject({ ok: true, result: { message: { text: 'answer', replyTo: { id: original.id } } } });
      expect(await alice.send(reply)).toEqual(firstReply);
      // Bob may use alice's key: it is another sender's.
      const bobs = await bob.request({ type: 'message', to: 'alice', text: 'mine', clientKey: 'k-reply' });
      expect(bobs.message.id).not.toBe((firstReply as { result: { message: { id: number } } }).result.message.id);
      // Without a key, the same command twice is two messages.
      await alice.request({ type: 'message', to: 'bob', text: 'twice' });
      await alice.request({ type: 'message', to: 'bob', text: 'twice' });
      await alice.request({ type: 'message', to: 'bob', text: 'marker' });
      await bob.waitEvent('message', (e) => e.message.text === 'marker');
      expect(textsReceived(bob)).toEqual(['to all', 'to the team', 'question', 'answer', 'twice', 'twice']);
    });

    it('a repeat is answered even when a new send would now be refused (the recipient blocked the sender meanwhile)', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const command: Command = { type: 'message', to: 'bob', text: 'before the block', clientKey: 'kb' };
      const first = await alice.send(command);
      await bob.request({ type: 'block', user: 'alice' });
      expect(await alice.send(command)).toEqual(first);
      expect(await alice.expectError({ ...command, clientKey: 'another' })).toMatchObject({ code: 'BLOCKED' });
    });

    it('a key that is not 1-64 letters, digits, "_" or "-" is BAD_REQUEST, naming the command and the field', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bad: unknown[] = ['', 'x'.repeat(65), 'has space', 'dot.ted', 'ünï', 42, null, ['k']];
      for (const clientKey of bad) {
        for (const base of [
          { type: 'message', to: 'bob', text: 'hi' },
          { type: 'broadcast', text: 'hi' },
          { type: 'message-group', group: 'team', text: 'hi' },
          { type: 'reply', messageId: 1, text: 'hi' },
        ]) {
          const error = await alice.expectError({ ...base, clientKey } as unknown as Command);
          expect(error.code).toBe('BAD_REQUEST');
          expect(error.message).toMatch(new RegExp(`^${base.type}: clientKey: `));
        }
      }
      expect((await alice.expectError({ type: 'message', to: 'bob', text: 'hi', clientKey: 'bad key' })).message).toBe(
        'message: clientKey: must be 1-64 letters, digits, "_" or "-"',
      );
      // 64 characters of the whole alphabet is fine.
      const longest = 'aZ09_-'.repeat(11).slice(0, 64);
      expect((await alice.request({ type: 'message', to: 'bob', text: 'ok', clientKey: longest })).message.text).toBe('ok');
    });
  });
}
