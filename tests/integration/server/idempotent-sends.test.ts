// Sends with an idempotency key (`clientKey`) over real WebSockets, on every
// backend (on the cluster the resend goes to the other node): a repeat is
// answered with the first reply and delivers nothing; a bad key is BAD_REQUEST.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Command } from '../../../server/protocol';
import { backends } from '../../helpers/backends';
import { download, unsigned, upload } from '../../helpers/files';
import { waitUntil } from '../../helpers/wait';
import type { Reply, WsClient } from '../../helpers/ws-client';
import { useBackend } from './harness';

/** The texts of the message events `client` received so far (taken off its queue). */
const textsReceived = (client: WsClient): string[] => client.takeMessages().map((e) => e.message.text);

/** The message a send's reply names; throws if the send was refused. */
function sentOf(reply: Reply): ChatMessage {
  if (!reply.ok) throw new Error(`refused: ${reply.error.code}`);
  return (reply.result as { message: ChatMessage }).message;
}

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

    it('a repeat of a reply is answered after the quoted message was deleted, or left out of sight with its group', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const question = (await bob.request({ type: 'message', to: 'alice', text: 'question' })).message;
      const answer: Command = { type: 'reply', messageId: question.id, text: 'answer', clientKey: 'k-answer' };
      const first = await alice.send(answer);
      expect(first).toMatchObject({ ok: true, result: { message: { text: 'answer', replyTo: { id: question.id } } } });
      await bob.request({ type: 'delete', messageId: question.id });
      // A new reply is refused now; the repeat is answered with the first reply's message (as it reads now).
      expect((await alice.expectError({ ...answer, clientKey: 'k-new' })).code).toBe('MESSAGE_DELETED');
      expect(sentOf(await alice.send(answer))).toMatchObject({ id: sentOf(first).id, ts: sentOf(first).ts, text: 'answer' });

      // In a group alice has left since: the original is out of her sight, the repeat still answered.
      await bob.request({ type: 'create-group', group: 'team', members: ['alice'] });
      const topic = (await bob.request({ type: 'message-group', group: 'team', text: 'topic' })).message;
      const inGroup: Command = { type: 'reply', messageId: topic.id, text: 'on topic', clientKey: 'k-topic' };
      const firstInGroup = await alice.send(inGroup);
      expect(firstInGroup.ok).toBe(true);
      await bob.request({ type: 'group-remove', group: 'team', members: ['alice'] });
      expect((await alice.expectError({ ...inGroup, clientKey: 'k-topic-new' })).code).toBe('UNKNOWN_MESSAGE');
      expect(await alice.send(inGroup)).toEqual(firstInGroup);
      // But message-group itself still requires membership, repeat or not.
      expect((await alice.expectError({ type: 'message-group', group: 'team', text: 'x', clientKey: 'k-topic' })).code).toBe('NOT_GROUP_MEMBER');

      // Nothing of the repeats reached bob: only the two replies, once each.
      await alice.request({ type: 'message', to: 'bob', text: 'marker' });
      await bob.waitEvent('message', (e) => e.message.text === 'marker');
      expect(textsReceived(bob)).toEqual(['answer', 'on topic']);
    });

    it('a refused keyed send stores nothing: its key stays free, and the same key goes through once the send is allowed', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      await bob.request({ type: 'block', user: 'alice' });
      const command: Extract<Command, { type: 'message' }> = { type: 'message', to: 'bob', text: 'after the unblock', clientKey: 'k-free' };
      expect((await alice.expectError(command)).code).toBe('BLOCKED');
      expect((await alice.expectError({ type: 'message', to: 'nobody', text: 'lost', clientKey: 'k-nobody' })).code).toBe('UNKNOWN_USER');
      await bob.request({ type: 'unblock', user: 'alice' });
      const sent = await alice.request(command);
      expect(sent.message).toMatchObject({ from: 'alice', to: 'bob', text: 'after the unblock' });
      const other = await alice.request({ type: 'message', to: 'bob', text: 'to bob instead', clientKey: 'k-nobody' });
      expect(other.message.id).toBeGreaterThan(sent.message.id);
      expect((await bob.waitMessages(2)).map((e) => e.message.text)).toEqual(['after the unblock', 'to bob instead']);
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

  describe(`idempotent sends, files collected since [${backend.name}]`, () => {
    // Uploads no message carries are collected 3.6 s after upload here (time enough to send one first).
    const h = useBackend(backend, { uploadGraceHours: 0.001, fileGcMinutes: 0.002 });

    it('a repeat is answered after its attachment was deleted (the message deleted, then the file collected)', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const http = `http://127.0.0.1:${h.backend.node(0).wsPort}`;
      const token = (await alice.request({ type: 'file-token' })).token;
      const file = (await upload(http, token, 'gone.txt', 'soon gone')).body;
      const command: Command = { type: 'message', to: 'bob', attachments: [file.id], clientKey: 'k-file' };
      const first = await alice.send(command);
      expect(first.ok).toBe(true);
      await alice.request({ type: 'delete', messageId: sentOf(first).id });
      await waitUntil(async () => (await download(http, unsigned(file.url), token)).status === 404, 'the file is collected', 20_000);
      expect((await alice.expectError({ ...command, clientKey: 'k-file-new' })).code).toBe('UNKNOWN_FILE');
      // The repeat: the first message, as it reads now (a tombstone), not stored or delivered again.
      expect(sentOf(await alice.send(command))).toMatchObject({ id: sentOf(first).id, ts: sentOf(first).ts, deleted: true, text: '' });
      await alice.request({ type: 'message', to: 'bob', text: 'marker' });
      await bob.waitEvent('message', (e) => e.message.text === 'marker');
      expect(textsReceived(bob)).toEqual(['']);
    });
  });
}
