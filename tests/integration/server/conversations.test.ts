// conversations, read positions, read receipts and the history of Everyone, on
// both transports and every backend. Client k talks to node(k), so on the
// cluster the reader and the sender sit on different nodes and receipts cross the bus.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { useBackend } from './harness';

for (const backend of backends) {
  describe(`conversations [${backend.name}]`, () => {
    const h = useBackend(backend);

    it('WS: lists direct peers (both ways), groups and Everyone with last message and unread counts, newest first', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.wsUser(0, 'carol');
      await alice.request({ type: 'create-group', group: 'team', members: ['bob'] });
      await bob.request({ type: 'message', to: 'alice', text: 'bob 1' });
      await bob.request({ type: 'message', to: 'alice', text: 'bob 2' });
      await alice.request({ type: 'message', to: 'carol', text: 'to carol' });
      const all = await carol.request({ type: 'broadcast', text: 'hello all' });
      const team = await bob.request({ type: 'message-group', group: 'team', text: 'team hi' });

      const list = await alice.request({ type: 'conversations' });
      expect(list.hasMore).toBe(false);
      expect(list.conversations.map((c) => [c.kind, c.with ?? null, c.lastMessage?.text ?? null, c.unread])).toEqual([
        ['group', 'team', 'team hi', 1],
        ['everyone', null, 'hello all', 1],
        ['direct', 'carol', 'to carol', 0],
        ['direct', 'bob', 'bob 2', 2],
      ]);
      expect(list.conversations[0]).toMatchObject({ at: team.message.ts, lastMessage: { id: team.message.id, from: 'bob', group: 'team' } });
      expect(list.conversations[1]?.lastMessage?.id).toBe(all.message.id);

      // Paging by the last message's id.
      const page = await alice.request({ type: 'conversations', limit: 2 });
      expect(page).toMatchObject({ hasMore: true, conversations: [{ with: 'team' }, { kind: 'everyone' }] });
      const next = await alice.request({ type: 'conversations', before: all.message.id, limit: 2 });
      expect(next.conversations.map((c) => c.with)).toEqual(['carol', 'bob']);
      expect((await alice.expectError({ type: 'conversations', limit: 0 })).code).toBe('BAD_REQUEST');
      const anon = await h.ws(0);
      expect((await anon.expectError({ type: 'conversations' })).code).toBe('NOT_SIGNED_IN');
    });

    it.runIf(backend.canRestart)('WS: the list, read positions and the setting survive a restart (single node)', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(0, 'bob');
      const first = await bob.request({ type: 'message', to: 'alice', text: 'one' });
      await bob.request({ type: 'message', to: 'alice', text: 'two' });
      await alice.request({ type: 'read', with: 'bob', messageId: first.message.id });
      await alice.request({ type: 'settings', readReceipts: false });
      alice.kill();
      bob.kill();
      await h.backend.restart!();
      const again = await h.wsUser(0, 'alice');
      const list = await again.request({ type: 'conversations' });
      expect(list.conversations.map((c) => [c.kind, c.with ?? null, c.lastMessage?.text ?? null, c.unread, c.read])).toEqual([
        ['direct', 'bob', 'two', 1, first.message.id],
        ['everyone', null, null, 0, expect.any(Number)],
      ]);
      expect(await again.request({ type: 'settings' })).toEqual({ readReceipts: false });
    });

    it('WS: read moves the counts for the next session of the same user, and tells the sender ("Seen")', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      await bob.request({ type: 'message', to: 'alice', text: 'one' });
      const two = await bob.request({ type: 'message', to: 'alice', text: 'two' });
      expect(await alice.request({ type: 'read', with: 'BOB', messageId: two.message.id })).toEqual({
        with: 'bob',
        group: false,
        everyone: false,
        messageId: two.message.id,
        unread: 0,
      });
      expect(await bob.waitEvent('read')).toEqual({ type: 'event', event: 'read', by: 'alice', with: 'alice', messageId: two.message.id });
      // The position never moves back.
      expect((await alice.request({ type: 'read', with: 'bob', messageId: 1 })).messageId).toBe(two.message.id);
      // bob sees how far alice read in his list; alice's next session (on the other node) sees 0 unread.
      expect((await bob.request({ type: 'conversations' })).conversations.find((c) => c.with === 'alice')).toMatchObject({ peerRead: two.message.id });
      await alice.request({ type: 'logout' });
      const later = await h.wsUser(1, 'alice');
      expect((await later.request({ type: 'conversations' })).conversations.find((c) => c.with === 'bob')).toMatchObject({
        unread: 0,
        read: two.message.id,
      });

      expect((await later.expectError({ type: 'read', with: 'zed', messageId: 1 })).code).toBe('UNKNOWN_USER');
      expect((await later.expectError({ type: 'read', with: 'alice', messageId: 1 })).code).toBe('SELF_TARGET');
      expect((await later.expectError({ type: 'read', messageId: 1 } as never)).code).toBe('BAD_REQUEST');
      expect((await later.expectError({ type: 'read', with: 'bob', everyone: true, messageId: 1 })).code).toBe('BAD_REQUEST');
    });

    it('WS: with read receipts off nobody is told, and the user sees no receipts of others', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const m = await bob.request({ type: 'message', to: 'alice', text: 'hi' });
      expect(await alice.request({ type: 'settings', readReceipts: false })).toEqual({ readReceipts: false });
      expect(await alice.request({ type: 'read', with: 'bob', messageId: m.message.id })).toMatchObject({ unread: 0 });
      const back = await alice.request({ type: 'message', to: 'bob', text: 'back' });
      await bob.request({ type: 'read', with: 'alice', messageId: back.message.id });
      // bob still sees his own position move, but alice (receipts off) is not shown it, and bob is not shown hers.
      expect((await bob.request({ type: 'conversations' })).conversations.find((c) => c.with === 'alice')).not.toHaveProperty('peerRead');
      expect((await alice.request({ type: 'conversations' })).conversations.find((c) => c.with === 'bob')).not.toHaveProperty('peerRead');
      // A marker proves nothing was in flight before it.
      await alice.request({ type: 'settings', readReceipts: true });
      const marker = await bob.request({ type: 'message', to: 'alice', text: 'marker' });
      await alice.request({ type: 'read', with: 'bob', messageId: marker.message.id });
      const seen = await bob.waitEvent('read');
      expect(seen.messageId).toBe(marker.message.id);
      // (waitEvent took it: no other receipt came before it.)
      expect(bob.events.filter((e) => e.event === 'read')).toEqual([]);
    });

    it('WS: no receipt to someone blocked; in a group, members hear "seen" and only members may read-mark', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.wsUser(0, 'carol');
      const dave = await h.wsUser(1, 'dave');
      const m = await bob.request({ type: 'message', to: 'alice', text: 'hi' });
      await alice.request({ type: 'block', user: 'bob' });
      await alice.request({ type: 'read', with: 'bob', messageId: m.message.id });

      await alice.request({ type: 'create-group', group: 'team', members: ['bob', 'carol'] });
      const g = await carol.request({ type: 'message-group', group: 'team', text: 'team msg' });
      expect(await bob.request({ type: 'read', with: 'team', group: true, messageId: g.message.id })).toMatchObject({
        with: 'team',
        group: true,
        unread: 0,
      });
      // carol and alice hear it... but alice blocks bob, so only carol.
      expect(await carol.waitEvent('read')).toEqual({ type: 'event', event: 'read', by: 'bob', with: 'team', group: true, messageId: g.message.id });
      const list = await carol.request({ type: 'conversations' });
      expect(list.conversations.find((c) => c.with === 'team')?.reads).toEqual({ bob: g.message.id });
      // Proof that alice got nothing: carol's later read reaches her, and it is her first read event.
      await carol.request({ type: 'read', with: 'team', group: true, messageId: g.message.id });
      await alice.waitEvent('read', (e) => e.by === 'carol');
      await bob.waitEvent('read', (e) => e.by === 'carol');
      // (waitEvent took carol's: nothing else came to either.)
      expect(alice.events.filter((e) => e.event === 'read')).toEqual([]);
      expect(bob.events.filter((e) => e.event === 'read')).toEqual([]);

      // "Seen by" counts current members only.
      expect((await bob.request({ type: 'conversations' })).conversations.find((c) => c.with === 'team')?.reads).toEqual({ carol: g.message.id });
      await alice.request({ type: 'group-remove', group: 'team', members: ['carol'] });
      expect((await bob.request({ type: 'conversations' })).conversations.find((c) => c.with === 'team')?.reads).toEqual({});

      expect((await dave.expectError({ type: 'read', with: 'team', group: true, messageId: 1 })).code).toBe('NOT_GROUP_MEMBER');
      expect((await dave.expectError({ type: 'read', with: 'nope', group: true, messageId: 1 })).code).toBe('UNKNOWN_GROUP');
      expect(dave.events.filter((e) => e.event === 'read')).toEqual([]);
    });

    it('WS: history of Everyone pages every broadcast, newest first, without blocked senders', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.wsUser(0, 'carol');
      for (let i = 1; i <= 4; i++) await (i === 2 ? bob : alice).request({ type: 'broadcast', text: `all ${i}` });
      const page = await carol.request({ type: 'history', everyone: true, limit: 2 });
      expect(page).toMatchObject({ with: 'everyone', group: false, everyone: true, hasMore: true });
      expect(page.messages.map((m) => m.text)).toEqual(['all 4', 'all 3']);
      const rest = await carol.request({ type: 'history', everyone: true, before: page.messages[1]!.id });
      expect(rest.messages.map((m) => m.text)).toEqual(['all 2', 'all 1']);
      expect(rest.hasMore).toBe(false);
      await carol.request({ type: 'block', user: 'bob' });
      expect((await carol.request({ type: 'history', everyone: true })).messages.map((m) => m.text)).toEqual(['all 4', 'all 3', 'all 1']);
      // Reading Everyone moves my count and tells nobody.
      expect((await carol.request({ type: 'conversations' })).conversations[0]).toMatchObject({ kind: 'everyone', unread: 3 });
      expect(await carol.request({ type: 'read', everyone: true, messageId: page.messages[0]!.id })).toEqual({
        group: false,
        everyone: true,
        messageId: page.messages[0]!.id,
        unread: 0,
      });
      expect((await carol.expectError({ type: 'history', with: 'bob', everyone: true })).code).toBe('BAD_REQUEST');
    });

    it('TCP: conversations, read, settings and history everyone', async () => {
      const alice = await h.tcpUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const m = await bob.request({ type: 'message', to: 'alice', text: 'hi alice' });
      await alice.waitLine(/bob \(private\): hi alice$/);
      const b = await bob.request({ type: 'broadcast', text: 'to all' });
      await alice.waitLine(/bob \(broadcast\): to all$/);
      alice.send('conversations');
      await alice.waitLine('Conversations (2):');
      await alice.waitLine(new RegExp(`^  everyone \\(1 unread\\): #${b.message.id} \\[\\d\\d:\\d\\d\\] bob: to all$`));
      await alice.waitLine(new RegExp(`^  bob \\(1 unread\\): #${m.message.id} \\[\\d\\d:\\d\\d\\] bob: hi alice$`));
      alice.send(`read bob ${m.message.id}`);
      await alice.waitLine(`Read bob up to #${m.message.id} (0 unread).`);
      expect(await bob.waitEvent('read')).toMatchObject({ by: 'alice', messageId: m.message.id });
      alice.send(`read everyone ${b.message.id}`);
      await alice.waitLine(`Read everyone up to #${b.message.id} (0 unread).`);
      alice.send('read group nope 1');
      await alice.waitLine(/^error UNKNOWN_GROUP: /);
      alice.send('read bob');
      await alice.waitLine(/^error BAD_REQUEST: Usage: read <user> <id>/);
      alice.send('settings receipts off');
      await alice.waitLine('Read receipts: off.');
      alice.send('settings');
      await alice.waitLine('Read receipts: off.');
      alice.send('history everyone');
      await alice.waitLine(new RegExp(`^${b.message.id} \\[\\d\\d:\\d\\d\\] bob: to all$`));
      await bob.request({ type: 'read', with: 'alice', messageId: m.message.id });
      // Receipts off: alice is shown none; bob's later broadcast arrives with no read line before it.
      await bob.request({ type: 'broadcast', text: 'after' });
      await alice.waitLine(/bob \(broadcast\): after$/);
      expect(alice.lines.some((l) => l.startsWith('* bob read'))).toBe(false);
    });

    it('an edited last message shows its new text, a deleted one its tombstone (WS), "(edited)" and "(message deleted)" on TCP', async () => {
      const alice = await h.tcpUser(0, 'alice');
      const carol = await h.wsUser(0, 'carol');
      const bob = await h.wsUser(1, 'bob');
      const dm = await bob.request({ type: 'message', to: 'alice', text: 'helo' });
      await bob.request({ type: 'message', to: 'carol', text: 'hi carol' });
      const all = await bob.request({ type: 'broadcast', text: 'oops' });
      await alice.waitLine(/bob \(broadcast\): oops$/);
      await bob.request({ type: 'edit', messageId: dm.message.id, text: 'hello' });
      await bob.request({ type: 'delete', messageId: all.message.id });
      await alice.waitLine(`* bob deleted #${all.message.id}`);

      alice.send('conversations');
      await alice.waitLine('Conversations (2):');
      await alice.waitLine(new RegExp(`^  everyone \\(1 unread\\): #${all.message.id} \\[\\d\\d:\\d\\d\\] bob: \\(message deleted\\)$`));
      await alice.waitLine(new RegExp(`^  bob \\(1 unread\\): #${dm.message.id} \\[\\d\\d:\\d\\d\\] bob: hello \\(edited\\)$`));

      const { conversations } = await carol.request({ type: 'conversations' });
      expect(conversations.map((c) => [c.kind, c.with ?? null, c.lastMessage?.text, c.lastMessage?.deleted ?? false, c.unread])).toEqual([
        ['everyone', null, '', true, 1],
        ['direct', 'bob', 'hi carol', false, 1],
      ]);
      expect((await bob.request({ type: 'conversations' })).conversations.find((c) => c.with === 'alice')?.lastMessage).toMatchObject({
        id: dm.message.id,
        text: 'hello',
        editedAt: expect.any(Number),
      });
    });
  });
}
