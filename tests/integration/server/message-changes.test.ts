// Edits, deletions, reactions and replies over real sockets, on every backend:
// who may and may not, the events online users get (on the cluster, across
// nodes: client k talks to node(k)), and the final state offline users and
// history read, also after a restart.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { testClock } from '../../helpers/test-server';
import { useBackend } from './harness';

const EDIT_MINUTES = 10;

for (const backend of backends) {
  describe(`message changes [${backend.name}]`, () => {
    const clock = testClock();
    const h = useBackend(backend, { editMinutes: EDIT_MINUTES }, clock.now);

    it('edit: only the author, within --edit-minutes, never a deleted message; the recipient is told and history shows "(edited)"', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.wsUser(1, 'carol');
      const { message } = await alice.request({ type: 'message', to: 'bob', text: 'helo bob' });
      await bob.waitMessages(1);

      const { message: edited } = await alice.request({ type: 'edit', messageId: message.id, text: 'hello bob' });
      expect(edited).toMatchObject({ id: message.id, text: 'hello bob', editedAt: expect.any(Number) });
      const event = await bob.waitEvent('edited');
      expect(event).toMatchObject({ id: message.id, kind: 'private', from: 'alice', to: 'bob', text: 'hello bob', editedAt: edited.editedAt });

      expect((await bob.expectError({ type: 'edit', messageId: message.id, text: 'mine now' })).code).toBe('NOT_MESSAGE_AUTHOR');
      // Not a party: the message does not exist for carol.
      expect((await carol.expectError({ type: 'edit', messageId: message.id, text: 'x' })).code).toBe('UNKNOWN_MESSAGE');
      expect((await alice.expectError({ type: 'edit', messageId: 999_999, text: 'x' })).code).toBe('UNKNOWN_MESSAGE');
      expect((await alice.expectError({ type: 'edit', messageId: message.id, text: '   ' })).code).toBe('BAD_REQUEST');

      const page = await bob.request({ type: 'history', with: 'alice' });
      expect(page.messages[0]).toMatchObject({ id: message.id, text: 'hello bob', editedAt: edited.editedAt });

      clock.advance((EDIT_MINUTES + 1) * 60_000);
      expect((await alice.expectError({ type: 'edit', messageId: message.id, text: 'too late' })).code).toBe('EDIT_WINDOW_PASSED');
      // Deleting has no time limit.
      await alice.request({ type: 'delete', messageId: message.id });
      expect((await alice.expectError({ type: 'edit', messageId: message.id, text: 'x' })).code).toBe('MESSAGE_DELETED');
    });

    it('delete: the author, or the owner of the group; a tombstone stays, without text, reactions or files', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.wsUser(0, 'carol');
      await alice.request({ type: 'create-group', group: 'team', members: ['bob', 'carol'] });
      const { message: fromBob } = await bob.request({ type: 'message-group', group: 'team', text: 'off-topic' });
      const { message: fromCarol } = await carol.request({ type: 'message-group', group: 'team', text: 'carol here' });
      await carol.request({ type: 'react', messageId: fromBob.id, emoji: '👍' });

      // A member who is neither the author nor the owner may not.
      expect((await bob.expectError({ type: 'delete', messageId: fromCarol.id })).code).toBe('NOT_MESSAGE_AUTHOR');
      // The owner may delete anyone's message in the group.
      await alice.request({ type: 'delete', messageId: fromBob.id });
      expect(await bob.waitEvent('deleted', (e) => e.id === fromBob.id)).toMatchObject({ kind: 'group', group: 'team', from: 'bob', by: 'alice' });
      expect(await carol.waitEvent('deleted', (e) => e.id === fromBob.id)).toMatchObject({ by: 'alice' });
      expect((await bob.expectError({ type: 'delete', messageId: fromBob.id })).code).toBe('MESSAGE_DELETED');
      expect((await carol.expectError({ type: 'react', messageId: fromBob.id, emoji: '👍' })).code).toBe('MESSAGE_DELETED');
      expect((await bob.expectError({ type: 'edit', messageId: fromBob.id, text: 'x' })).code).toBe('MESSAGE_DELETED');

      // The author deletes their own.
      await carol.request({ type: 'delete', messageId: fromCarol.id });
      const page = await bob.request({ type: 'history', with: 'team', group: true });
      const tombstone = page.messages.find((m) => m.id === fromBob.id)!;
      expect(tombstone).toEqual({ id: fromBob.id, kind: 'group', from: 'bob', group: 'team', text: '', ts: fromBob.ts, deleted: true });
      expect(page.messages.find((m) => m.id === fromCarol.id)).toMatchObject({ text: '', deleted: true });

      // Private: only the author.
      const { message: dm } = await alice.request({ type: 'message', to: 'bob', text: 'private' });
      expect((await bob.expectError({ type: 'delete', messageId: dm.id })).code).toBe('NOT_MESSAGE_AUTHOR');
      expect((await carol.expectError({ type: 'delete', messageId: dm.id })).code).toBe('UNKNOWN_MESSAGE');
    });

    it('group membership: a non-member, or a member removed since, can neither see, react to, reply to nor delete', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const dave = await h.wsUser(1, 'dave');
      await alice.request({ type: 'create-group', group: 'team', members: ['bob'] });
      const { message } = await alice.request({ type: 'message-group', group: 'team', text: 'members only' });
      expect((await dave.expectError({ type: 'react', messageId: message.id, emoji: '🎉' })).code).toBe('UNKNOWN_MESSAGE');
      expect((await dave.expectError({ type: 'reply', messageId: message.id, text: 'me too' })).code).toBe('UNKNOWN_MESSAGE');
      await bob.request({ type: 'react', messageId: message.id, emoji: '🎉' });
      await alice.request({ type: 'group-remove', group: 'team', members: ['bob'] });
      expect((await bob.expectError({ type: 'react', messageId: message.id, emoji: '🎉' })).code).toBe('UNKNOWN_MESSAGE');
      expect((await bob.expectError({ type: 'delete', messageId: message.id })).code).toBe('UNKNOWN_MESSAGE');
    });

    it('reactions toggle, carry who reacted, reach those who can see the message, and are refused to the blocked and for bad emoji', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.wsUser(0, 'carol');
      await alice.request({ type: 'create-group', group: 'team', members: ['bob', 'carol'] });
      const { message } = await alice.request({ type: 'message-group', group: 'team', text: 'lunch?' });

      const first = await bob.request({ type: 'react', messageId: message.id, emoji: '👍' });
      expect(first).toEqual({ messageId: message.id, emoji: '👍', added: true, reactions: [{ emoji: '👍', users: ['bob'] }] });
      expect(await alice.waitEvent('reaction', (e) => e.user === 'bob')).toMatchObject({ id: message.id, emoji: '👍', added: true, group: 'team' });
      await carol.waitEvent('reaction', (e) => e.user === 'bob');
      await carol.request({ type: 'react', messageId: message.id, emoji: '👍' });
      const heart = await carol.request({ type: 'react', messageId: message.id, emoji: '❤️' });
      expect(heart.reactions).toEqual([
        { emoji: '👍', users: ['bob', 'carol'] },
        { emoji: '❤️', users: ['carol'] },
      ]);
      // Toggle off.
      const off = await bob.request({ type: 'react', messageId: message.id, emoji: '👍' });
      expect(off.added).toBe(false);
      expect(await alice.waitEvent('reaction', (e) => e.user === 'bob' && !e.added)).toMatchObject({
        reactions: [
          { emoji: '👍', users: ['carol'] },
          { emoji: '❤️', users: ['carol'] },
        ],
      });
      const page = await alice.request({ type: 'history', with: 'team', group: true });
      expect(page.messages[0]!.reactions).toEqual([
        { emoji: '👍', users: ['carol'] },
        { emoji: '❤️', users: ['carol'] },
      ]);

      // Nor is a lone joiner or variation selector (invisible), or one grapheme of more than 16 UTF-16 units.
      for (const emoji of ['', 'ok', '👍👍', ' ', '<b>', 'x'.repeat(40), '\u200d', '\ufe0f', '\u20e3', '👨‍👩‍👧‍👦‍👦‍👦']) {
        expect((await bob.expectError({ type: 'react', messageId: message.id, emoji })).code, emoji).toBe('BAD_REQUEST');
      }
      // A family emoji (one grapheme of several code points) is one emoji.
      expect((await bob.request({ type: 'react', messageId: message.id, emoji: '👨‍👩‍👧' })).added).toBe(true);

      // Blocked by the author: refused.
      await alice.request({ type: 'block', user: 'bob' });
      expect((await bob.expectError({ type: 'react', messageId: message.id, emoji: '😀' })).code).toBe('BLOCKED');
      const { message: dm } = await bob.request({ type: 'message', to: 'carol', text: 'psst' });
      expect((await alice.expectError({ type: 'react', messageId: dm.id, emoji: '😀' })).code).toBe('UNKNOWN_MESSAGE');
    });

    it('reactions of someone you block are not pushed to you, but the reactions list still counts them', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      // carol on bob's node: bob's reaction would reach her before it crosses to alice's.
      const carol = await h.wsUser(1, 'carol');
      await alice.request({ type: 'create-group', group: 'team', members: ['bob', 'carol'] });
      const { message } = await alice.request({ type: 'message-group', group: 'team', text: 'lunch?' });
      await carol.request({ type: 'block', user: 'bob' });

      await bob.request({ type: 'react', messageId: message.id, emoji: '👍' });
      expect(await alice.waitEvent('reaction', (e) => e.user === 'bob')).toMatchObject({ id: message.id, emoji: '👍', added: true });
      await alice.request({ type: 'react', messageId: message.id, emoji: '👍' });
      const fromAlice = await carol.waitEvent('reaction', (e) => e.user === 'alice');
      expect(fromAlice.reactions).toEqual([{ emoji: '👍', users: ['bob', 'alice'] }]);
      expect(carol.events.filter((e) => e.event === 'reaction' && e.user === 'bob')).toEqual([]);
      const page = await carol.request({ type: 'history', with: 'team', group: true });
      expect(page.messages[0]!.reactions).toEqual([{ emoji: '👍', users: ['bob', 'alice'] }]);

      // A broadcast too; once unblocked, carol is told again.
      const { message: news } = await alice.request({ type: 'broadcast', text: 'news' });
      await bob.request({ type: 'react', messageId: news.id, emoji: '🎉' });
      await alice.waitEvent('reaction', (e) => e.user === 'bob' && e.id === news.id);
      await alice.request({ type: 'react', messageId: news.id, emoji: '🎉' });
      await carol.waitEvent('reaction', (e) => e.user === 'alice' && e.id === news.id);
      expect(carol.events.filter((e) => e.event === 'reaction' && e.user === 'bob')).toEqual([]);
      await carol.request({ type: 'unblock', user: 'bob' });
      await bob.request({ type: 'react', messageId: news.id, emoji: '🎉' });
      expect(await carol.waitEvent('reaction', (e) => e.user === 'bob')).toMatchObject({
        id: news.id,
        added: false,
        reactions: [{ emoji: '🎉', users: ['alice'] }],
      });
    });

    it('replies: same conversation only, quoted to the recipients (following later edits), on both transports', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const { message: question } = await alice.request({ type: 'message', to: 'bob', text: 'Are we still on for Friday evening at the usual place?' });
      await bob.waitMessages(1);
      const { message: answer } = await bob.request({ type: 'message', to: 'alice', text: 'yes', replyTo: question.id });
      expect(answer.replyTo).toEqual({ id: question.id, from: 'alice', text: question.text });
      const [got] = await alice.waitMessages(1);
      expect(got!.message.replyTo).toEqual({ id: question.id, from: 'alice', text: question.text });

      // Another conversation's message, a missing one, or a broadcast from a private chat: refused.
      const { message: toCarol } = await alice.request({ type: 'message', to: 'carol', text: 'other chat' });
      expect((await alice.expectError({ type: 'message', to: 'bob', text: 'x', replyTo: toCarol.id })).code).toBe('UNKNOWN_MESSAGE');
      expect((await bob.expectError({ type: 'message', to: 'alice', text: 'x', replyTo: toCarol.id })).code).toBe('UNKNOWN_MESSAGE');
      expect((await bob.expectError({ type: 'message', to: 'alice', text: 'x', replyTo: 999_999 })).code).toBe('UNKNOWN_MESSAGE');
      const { message: shout } = await alice.request({ type: 'broadcast', text: 'hello all' });
      expect((await bob.expectError({ type: 'message', to: 'alice', text: 'x', replyTo: shout.id })).code).toBe('UNKNOWN_MESSAGE');
      await bob.waitMessages(1);
      const { message: echo } = await bob.request({ type: 'broadcast', text: 'hi!', replyTo: shout.id });
      expect(echo.replyTo).toMatchObject({ id: shout.id, from: 'alice' });

      // The quote follows edits and deletion of the original.
      await alice.request({ type: 'edit', messageId: question.id, text: 'Friday?' });
      let page = await alice.request({ type: 'history', with: 'bob' });
      expect(page.messages.find((m) => m.id === answer.id)!.replyTo).toEqual({ id: question.id, from: 'alice', text: 'Friday?' });
      await alice.request({ type: 'delete', messageId: question.id });
      page = await alice.request({ type: 'history', with: 'bob' });
      expect(page.messages.find((m) => m.id === answer.id)!.replyTo).toEqual({ id: question.id, from: 'alice', text: '', deleted: true });
      expect((await bob.expectError({ type: 'message', to: 'alice', text: 'x', replyTo: question.id })).code).toBe('MESSAGE_DELETED');

      // TCP: `reply <id> <text>` answers in that message's conversation; lines quote it.
      const carol = await h.tcpUser(1, 'carol');
      const dave = await h.tcpUser(0, 'dave');
      dave.send('message carol The quick brown fox jumps over the lazy dog, twice');
      const sent = await dave.waitLine(/^Sent to carol\. \(#\d+\)$/);
      const id = Number(/#(\d+)/.exec(sent)![1]);
      await carol.waitLine(new RegExp(`^#${id} \\[\\d\\d:\\d\\d\\] dave \\(private\\): The quick`));
      carol.send(`reply ${id} indeed`);
      await carol.waitLine(new RegExp(`^Replied to #${id}\\. \\(#\\d+\\)$`));
      await dave.waitLine(/^#\d+ \[\d\d:\d\d\] carol \(private\): \(re dave: "The quick brown fox jumps over…"\) indeed$/);
      carol.send(`reply ${question.id} not yours`);
      await carol.waitLine(/^error UNKNOWN_MESSAGE: /);
    });

    it('TCP: edit, delete and react by id; events name the message; history shows the final state', async () => {
      const alice = await h.tcpUser(0, 'alice');
      const bob = await h.tcpUser(1, 'bob');
      alice.send('message bob typo hre');
      const id = Number(/#(\d+)/.exec(await alice.waitLine(/^Sent to bob\. \(#\d+\)$/))![1]);
      await bob.waitLine(new RegExp(`^#${id} `));
      alice.send(`edit ${id} typo here`);
      await alice.waitLine(`Edited #${id}.`);
      await bob.waitLine(`* alice edited #${id}: typo here`);
      bob.send(`react ${id} 👍`);
      await bob.waitLine(`Reacted 👍 to #${id}.`);
      await alice.waitLine(`* bob reacted 👍 to #${id} [👍 1]`);
      bob.send(`history alice`);
      await bob.waitLine(new RegExp(`^${id} \\[\\d\\d:\\d\\d\\] alice: typo here \\(edited\\) \\[👍 1\\]$`));
      bob.send(`edit ${id} mine`);
      await bob.waitLine(/^error NOT_MESSAGE_AUTHOR: /);
      bob.send('edit x y');
      await bob.waitLine('error BAD_REQUEST: Usage: edit <message-id> <text>');
      alice.send(`delete ${id}`);
      await alice.waitLine(`Deleted #${id}.`);
      await bob.waitLine(`* alice deleted #${id}`);
      bob.send(`history alice`);
      await bob.waitLine(new RegExp(`^${id} \\[\\d\\d:\\d\\d\\] alice: \\(message deleted\\)$`));
    });

    it('offline recipients get the final state from their mailbox', async () => {
      const alice = await h.wsUser(0, 'alice');
      const kept = await alice.request({ type: 'message', to: 'dave', text: 'first draft' });
      const gone = await alice.request({ type: 'message', to: 'dave', text: 'oops' });
      await alice.request({ type: 'edit', messageId: kept.message.id, text: 'final text' });
      await alice.request({ type: 'delete', messageId: gone.message.id });
      const dave = await h.ws(1);
      await dave.login('dave', 'dave-pw');
      const [a, b] = await dave.waitMessages(2);
      expect(a!.message).toMatchObject({ id: kept.message.id, text: 'final text', editedAt: expect.any(Number) });
      expect(b!.message).toMatchObject({ id: gone.message.id, text: '', deleted: true });
    });

    it.runIf(backend.canRestart)('history keeps edits, deletions, replies and reactions across a restart (single node)', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(0, 'bob');
      const { message: one } = await alice.request({ type: 'message', to: 'bob', text: 'one' });
      const { message: two } = await bob.request({ type: 'message', to: 'alice', text: 'two', replyTo: one.id });
      const { message: three } = await alice.request({ type: 'message', to: 'bob', text: 'three' });
      await alice.request({ type: 'edit', messageId: one.id, text: 'one!' });
      await alice.request({ type: 'react', messageId: two.id, emoji: '😂' });
      await alice.request({ type: 'delete', messageId: three.id });
      alice.kill();
      bob.kill();
      await h.backend.restart!();
      const again = await h.wsUser(0, 'alice');
      const page = await again.request({ type: 'history', with: 'bob' });
      expect(page.messages.map((m) => ({ ...m, ts: 0 }))).toEqual([
        { id: three.id, kind: 'private', from: 'alice', to: 'bob', text: '', ts: 0, deleted: true },
        {
          id: two.id,
          kind: 'private',
          from: 'bob',
          to: 'alice',
          text: 'two',
          ts: 0,
          replyTo: { id: one.id, from: 'alice', text: 'one!' },
          reactions: [{ emoji: '😂', users: ['alice'] }],
        },
        { id: one.id, kind: 'private', from: 'alice', to: 'bob', text: 'one!', ts: 0, editedAt: expect.any(Number) },
      ]);
    });
  });
}
