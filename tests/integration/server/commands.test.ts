// Every chat command on both transports, on every backend. Client k talks to
// node(k), so on the cluster sender and recipient sit on different nodes.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import type { WsClient } from '../../helpers/ws-client';
import { useBackend } from './harness';

const CLOCK = '\\[\\d\\d:\\d\\d\\]';

/** The next message event, which must be `text` (proves nothing else arrived before it). */
async function nextText(c: WsClient, text: string): Promise<number> {
  const [m] = await c.waitMessages(1);
  expect(m!.message.text).toBe(text);
  return m!.seq;
}

for (const backend of backends) {
  describe(`commands [${backend.name}]`, () => {
    const h = useBackend(backend);

    describe('message', () => {
      it('WS: delivers to an online user, queues for an offline one, refuses unknown users and self', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        const sent = await alice.request({ type: 'message', to: 'bob', text: 'hi  bob' });
        expect(sent).toMatchObject({ queued: false, message: { kind: 'private', from: 'alice', to: 'bob', text: 'hi  bob' } });
        const [m] = await bob.waitMessages(1);
        // A delivery's seq is the message's position in the stream: its id.
        expect(m).toMatchObject({ seq: sent.message.id, offline: false, message: { id: sent.message.id, from: 'alice', to: 'bob' } });
        const queued = await alice.request({ type: 'message', to: 'dave', text: 'for later' });
        expect(queued.queued).toBe(true);
        expect((await alice.expectError({ type: 'message', to: 'zed', text: 'x' })).code).toBe('UNKNOWN_USER');
        expect((await alice.expectError({ type: 'message', to: 'alice', text: 'x' })).code).toBe('SELF_TARGET');
        const dave = await h.ws(1);
        const login = await dave.login('dave', 'dave-pw');
        expect(login).toMatchObject({ offlineCount: 1, lastSeq: queued.message.id, resumeFrom: 0 });
        const [d] = await dave.waitMessages(1);
        expect(d).toMatchObject({ seq: queued.message.id, offline: true, message: { from: 'alice', text: 'for later' } });
      });

      it('TCP: the same, in text', async () => {
        const alice = await h.tcpUser(0, 'alice');
        const bob = await h.tcpUser(1, 'bob');
        alice.send('message bob hello   there');
        await alice.waitLine('Sent to bob.');
        await bob.waitLine(new RegExp(`^#\\d+ ${CLOCK} alice \\(private\\): hello   there$`));
        // Extra spaces between the words separate them, as in `broadcast`: the text starts at its first word.
        alice.send('message   bob    spaced   out');
        await alice.waitLine('Sent to bob.');
        await bob.waitLine(new RegExp(`^#\\d+ ${CLOCK} alice \\(private\\): spaced   out$`));
        alice.send('message dave see you');
        await alice.waitLine('dave is offline; the message is queued and will be delivered when they sign in.');
        alice.send('message zed hi');
        await alice.waitLine('error UNKNOWN_USER: No user "zed"');
        alice.send('message alice hi');
        await alice.waitLine(/^error SELF_TARGET: /);
        alice.send('message bob');
        await alice.waitLine('error BAD_REQUEST: Usage: message <user> <text> [+file <id>]...');
        const dave = await h.tcp(1);
        await dave.login('dave', 'dave-pw');
        await dave.waitLine('1 message(s) arrived while you were offline; they follow.');
        await dave.waitLine(new RegExp(`^#\\d+ ${CLOCK} alice \\(private, offline\\): see you$`));
      });
    });

    describe('broadcast', () => {
      it('WS: reaches online users only, not the sender, counts who blocked the sender', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        const carol = await h.wsUser(0, 'carol');
        await carol.request({ type: 'block', user: 'alice' });
        const out = await alice.request({ type: 'broadcast', text: 'hello all' });
        expect(out).toMatchObject({ delivered: 1, blockedBy: 1, message: { kind: 'broadcast', from: 'alice' } });
        expect(await nextText(bob, 'hello all')).toBe(out.message.id);
        await bob.request({ type: 'message', to: 'carol', text: 'after' });
        await nextText(carol, 'after');
        await bob.request({ type: 'message', to: 'alice', text: 'after' });
        await nextText(alice, 'after');
        // dave was offline: a broadcast is not queued.
        const dave = await h.ws(1);
        expect((await dave.login('dave', 'dave-pw')).offlineCount).toBe(0);
        await bob.request({ type: 'message', to: 'dave', text: 'first for dave' });
        await nextText(dave, 'first for dave');
      });

      it('TCP: reports the blocked-by count with the seed text', async () => {
        const alice = await h.tcpUser(0, 'alice');
        const bob = await h.tcpUser(1, 'bob');
        const carol = await h.wsUser(1, 'carol');
        alice.send('broadcast nobody blocks me yet');
        await alice.waitLine('Broadcast sent to 2 user(s).');
        await bob.waitLine(new RegExp(`^#\\d+ ${CLOCK} alice \\(broadcast\\): nobody blocks me yet$`));
        await nextText(carol, 'nobody blocks me yet');
        bob.send('block alice');
        await bob.waitLine('alice is blocked: their messages will not reach you.');
        alice.send('broadcast  second');
        await alice.waitLine('Broadcast sent to 1 user(s).');
        await alice.waitLine('Your message could not be delivered to some recipients (1 have blocked you).');
        await nextText(carol, 'second');
        alice.send('broadcast');
        await alice.waitLine('error BAD_REQUEST: Usage: broadcast <text>');
      });
    });

    describe('whoelse and wholasthr', () => {
      it('WS: lists others online, and everyone signed in within the hour', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        expect((await alice.request({ type: 'whoelse' })).users).toEqual(['bob']);
        // whoelse lists everyone online; presence changes come only of users one watches (or is related to).
        await bob.request({ type: 'watch', users: ['carol'] });
        const carol = await h.wsUser(0, 'carol');
        expect((await bob.request({ type: 'whoelse' })).users).toEqual(['alice', 'carol']);
        await carol.request({ type: 'logout' });
        await bob.waitEvent('presence', (e) => e.user === 'carol' && !e.online);
        expect((await bob.request({ type: 'whoelse' })).users).toEqual(['alice']);
        const last = (await alice.request({ type: 'wholasthr' })).users;
        expect(last.map((u) => u.username)).toEqual(['bob', 'carol']);
        expect(last[0]).toMatchObject({ online: true });
        expect(last[1]).toMatchObject({ online: false });
        expect(last[1]!.lastLoginAt).toBeGreaterThan(Date.now() - 60_000);
      });

      it('TCP: the same, in text', async () => {
        const alice = await h.tcpUser(0, 'alice');
        alice.send('whoelse');
        await alice.waitLine('No one else is online.');
        alice.send('wholasthr');
        await alice.waitLine('No one else was online in the last hour.');
        alice.send('watch carol');
        await alice.waitLine('Watching (1): carol');
        const bob = await h.tcpUser(1, 'bob');
        const carol = await h.tcpUser(1, 'carol');
        carol.send('logout');
        await carol.waitLine('Goodbye.');
        await carol.waitClosed();
        await alice.waitLine('* carol went offline');
        alice.send('whoelse');
        await alice.waitLine('Online now (1): bob');
        alice.send('wholasthr');
        await alice.waitLine(new RegExp(`^Online in the last hour \\(2\\): bob \\(online\\), carol \\(last login \\d\\d:\\d\\d\\)$`));
        alice.send('whoelse now');
        await alice.waitLine('error BAD_REQUEST: Usage: whoelse');
        bob.close();
      });
    });

    describe('block, unblock, blocklist', () => {
      it('WS: blocks stop private, broadcast and group messages; unblock restores them', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        await alice.request({ type: 'create-group', group: 'team', members: ['bob', 'carol'] });
        await bob.waitEvent('group');
        expect(await bob.request({ type: 'block', user: 'alice' })).toEqual({ user: 'alice' });
        expect((await bob.request({ type: 'blocklist' })).users).toEqual(['alice']);
        const err = await alice.expectError({ type: 'message', to: 'bob', text: 'hi' });
        expect(err).toMatchObject({ code: 'BLOCKED', message: 'Your message could not be delivered as the recipient has blocked you' });
        expect((await alice.request({ type: 'broadcast', text: 'b' })).blockedBy).toBe(1);
        const g = await alice.request({ type: 'message-group', group: 'team', text: 'g' });
        expect(g).toMatchObject({ blockedBy: 1, queued: ['carol'] });
        // bob may still write to alice: a block is one-way.
        await bob.request({ type: 'message', to: 'alice', text: 'one-way' });
        await nextText(alice, 'one-way');
        // Group history hides what blocked users wrote.
        expect((await bob.request({ type: 'history', with: 'team', group: true })).messages).toEqual([]);
        expect((await bob.expectError({ type: 'block', user: 'bob' })).code).toBe('SELF_TARGET');
        expect((await bob.expectError({ type: 'block', user: 'zed' })).code).toBe('UNKNOWN_USER');
        await bob.request({ type: 'unblock', user: 'alice' });
        expect((await bob.request({ type: 'blocklist' })).users).toEqual([]);
        const unblocked = await alice.request({ type: 'message', to: 'bob', text: 'unblocked' });
        // Nothing alice sent while blocked reaches bob, not even now.
        expect(await nextText(bob, 'unblocked')).toBe(unblocked.message.id);
      });

      it('TCP: the same, in text', async () => {
        const alice = await h.tcpUser(0, 'alice');
        const bob = await h.tcpUser(1, 'bob');
        bob.send('blocklist');
        await bob.waitLine('You have blocked no one.');
        bob.send('block alice');
        await bob.waitLine('alice is blocked: their messages will not reach you.');
        bob.send('block carol');
        await bob.waitLine('carol is blocked: their messages will not reach you.');
        bob.send('blocklist');
        await bob.waitLine('Blocked (2): alice, carol');
        alice.send('message bob hi');
        await alice.waitLine('error BLOCKED: Your message could not be delivered as the recipient has blocked you');
        bob.send('unblock alice');
        await bob.waitLine('alice is unblocked.');
        alice.send('message bob back again');
        await alice.waitLine('Sent to bob.');
        await bob.waitLine(/^#\d+ .* alice \(private\): back again$/);
        bob.send('block');
        await bob.waitLine('error BAD_REQUEST: Usage: block <user>');
      });
    });

    describe('ping', () => {
      it('WS: online or offline, and blocks in either direction', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        expect(await alice.request({ type: 'ping', user: 'bob' })).toMatchObject({ user: 'bob', online: true, blockedByMe: false, blockedMe: false });
        const dave = await alice.request({ type: 'ping', user: 'dave' });
        expect(dave).toEqual({ user: 'dave', online: false, lastLoginAt: null, blockedByMe: false, blockedMe: false });
        await bob.request({ type: 'block', user: 'alice' });
        expect(await alice.request({ type: 'ping', user: 'bob' })).toMatchObject({ online: true, blockedMe: true, blockedByMe: false });
        expect(await bob.request({ type: 'ping', user: 'alice' })).toMatchObject({ online: true, blockedMe: false, blockedByMe: true });
        await alice.request({ type: 'block', user: 'dave' });
        expect(await alice.request({ type: 'ping', user: 'dave' })).toMatchObject({ online: false, blockedByMe: true });
        expect((await alice.expectError({ type: 'ping', user: 'zed' })).code).toBe('UNKNOWN_USER');
      });

      it('TCP: the same, in text', async () => {
        const alice = await h.tcpUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        alice.send('watch bob');
        await alice.waitLine('Watching (1): bob');
        alice.send('ping bob');
        await alice.waitLine('bob is online.');
        alice.send('ping dave');
        await alice.waitLine('dave is offline (last login never).');
        await bob.request({ type: 'block', user: 'alice' });
        alice.send('ping bob');
        await alice.waitLine('bob is online; bob has blocked you.');
        alice.send('block dave');
        await alice.waitLine(/dave is blocked/);
        alice.send('ping dave');
        await alice.waitLine('dave is offline (last login never); you have blocked dave.');
        bob.close();
        await alice.waitLine('* bob went offline');
        alice.send('ping bob');
        await alice.waitLine(/^bob is offline \(last login \d\d:\d\d\); bob has blocked you\.$/);
      });
    });

    describe('offline', () => {
      it('WS and TCP: lists the messages queued while I was offline', async () => {
        const alice = await h.wsUser(0, 'alice');
        const one = await alice.request({ type: 'message', to: 'bob', text: 'one' });
        const two = await alice.request({ type: 'message', to: 'bob', text: 'two' });
        const three = await alice.request({ type: 'message', to: 'carol', text: 'three' });
        const bob = await h.wsUser(1, 'bob');
        await bob.waitMessages(2);
        await alice.request({ type: 'message', to: 'bob', text: 'live' });
        await nextText(bob, 'live');
        const list = (await bob.request({ type: 'offline' })).messages;
        expect(list.map((d) => [d.seq, d.offline, d.message.text])).toEqual([
          [one.message.id, true, 'one'],
          [two.message.id, true, 'two'],
        ]);
        const carol = await h.tcpUser(1, 'carol');
        await carol.waitLine(/\(private, offline\): three$/);
        carol.send('offline');
        await carol.waitLine('Messages that waited for you while you were offline (1):');
        await carol.waitLine(new RegExp(`^#${three.message.id} ${CLOCK} alice \\(private, offline\\): three$`));
        const dave = await h.tcpUser(0, 'dave');
        dave.send('offline');
        await dave.waitLine('No messages waited for you while you were offline.');
      });
    });

    describe('groups', () => {
      it('WS: create (creator is a member, members must exist, names unique), message, list', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        const created = await alice.request({ type: 'create-group', group: 'team', members: ['bob', 'carol', 'bob'] });
        expect(created.group).toMatchObject({ name: 'team', owner: 'alice', members: ['alice', 'bob', 'carol'] });
        const ev = await bob.waitEvent('group');
        expect(ev).toMatchObject({ name: 'team', change: 'created', actor: 'alice', group: { owner: 'alice' } });
        expect((await alice.expectError({ type: 'create-group', group: 'other', members: ['bob', 'zed'] })).code).toBe('UNKNOWN_USER');
        expect((await bob.expectError({ type: 'create-group', group: 'team', members: [] })).code).toBe('GROUP_EXISTS');
        expect((await bob.expectError({ type: 'create-group', group: 'carol', members: [] })).code).toBe('GROUP_EXISTS');
        expect((await bob.expectError({ type: 'create-group', group: 'group', members: [] })).code).toBe('BAD_REQUEST');
        const solo = await bob.request({ type: 'create-group', group: 'solo', members: [] });
        expect(solo.group.members).toEqual(['bob']);

        const sent = await alice.request({ type: 'message-group', group: 'team', text: 'team hi' });
        expect(sent).toMatchObject({ queued: ['carol'], blockedBy: 0, message: { kind: 'group', group: 'team', from: 'alice' } });
        const [m] = await bob.waitMessages(1);
        expect(m).toMatchObject({ seq: sent.message.id, offline: false, message: { kind: 'group', group: 'team', text: 'team hi' } });
        const dave = await h.wsUser(0, 'dave');
        expect((await dave.expectError({ type: 'message-group', group: 'team', text: 'x' })).code).toBe('NOT_GROUP_MEMBER');
        expect((await dave.expectError({ type: 'message-group', group: 'nope', text: 'x' })).code).toBe('UNKNOWN_GROUP');
        expect((await dave.request({ type: 'grouplist' })).groups).toEqual([]);
        const carol = await h.wsUser(1, 'carol');
        const [c] = await carol.waitMessages(1);
        expect(c).toMatchObject({ offline: true, message: { group: 'team', text: 'team hi' } });
        const groups = (await bob.request({ type: 'grouplist' })).groups;
        expect(groups.map((g) => g.name)).toEqual(['solo', 'team']);
      });

      it('WS: only the owner adds and removes; leaving passes ownership on; members see group events', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        const carol = await h.wsUser(0, 'carol');
        await alice.request({ type: 'create-group', group: 'team', members: ['bob'] });
        await bob.waitEvent('group', (e) => e.change === 'created');
        expect((await bob.expectError({ type: 'group-add', group: 'team', members: ['carol'] })).code).toBe('NOT_GROUP_OWNER');
        expect((await carol.expectError({ type: 'group-add', group: 'team', members: ['carol'] })).code).toBe('NOT_GROUP_MEMBER');
        const added = await alice.request({ type: 'group-add', group: 'team', members: ['carol', 'dave'] });
        expect(added.group.members).toEqual(['alice', 'bob', 'carol', 'dave']);
        expect(await bob.waitEvent('group', (e) => e.change === 'added')).toMatchObject({ actor: 'alice', members: ['carol', 'dave'] });
        expect(await carol.waitEvent('group', (e) => e.change === 'added')).toMatchObject({ group: { name: 'team' } });
        expect((await alice.expectError({ type: 'group-add', group: 'team', members: ['zed'] })).code).toBe('UNKNOWN_USER');
        expect((await bob.expectError({ type: 'group-remove', group: 'team', members: ['carol'] })).code).toBe('NOT_GROUP_OWNER');
        const removed = await alice.request({ type: 'group-remove', group: 'team', members: ['carol'] });
        expect(removed.group.members).toEqual(['alice', 'bob', 'dave']);
        expect(await carol.waitEvent('group', (e) => e.change === 'removed')).toMatchObject({ members: ['carol'], group: null });
        await bob.waitEvent('group', (e) => e.change === 'removed');
        expect((await carol.expectError({ type: 'message-group', group: 'team', text: 'x' })).code).toBe('NOT_GROUP_MEMBER');
        expect(await alice.request({ type: 'group-leave', group: 'team' })).toEqual({ group: 'team' });
        const left = await bob.waitEvent('group', (e) => e.change === 'left');
        expect(left).toMatchObject({ actor: 'alice', group: { owner: 'bob', members: ['bob', 'dave'] } });
        // bob is the owner now.
        await bob.request({ type: 'group-add', group: 'team', members: ['erin'] });
        expect((await alice.expectError({ type: 'message-group', group: 'team', text: 'x' })).code).toBe('NOT_GROUP_MEMBER');
        expect((await alice.request({ type: 'grouplist' })).groups).toEqual([]);
      });

      it('a group ends when its last member leaves: a new group with the same name starts empty', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        await alice.request({ type: 'create-group', group: 'secret', members: ['bob'] });
        await alice.request({ type: 'message-group', group: 'secret', text: 'the old plan' });
        await nextText(bob, 'the old plan');
        await alice.request({ type: 'group-leave', group: 'secret' });
        await bob.request({ type: 'group-leave', group: 'secret' });
        // carol takes the free name: she must not read the ended group's messages.
        const carol = await h.wsUser(0, 'carol');
        await carol.request({ type: 'create-group', group: 'secret', members: ['alice'] });
        expect((await carol.request({ type: 'history', with: 'secret', group: true })).messages).toEqual([]);
        expect((await alice.request({ type: 'history', with: 'secret', group: true })).messages).toEqual([]);
        const fresh = await carol.request({ type: 'message-group', group: 'secret', text: 'new start' });
        expect((await alice.request({ type: 'history', with: 'secret', group: true })).messages.map((m) => m.id)).toEqual([fresh.message.id]);
      });

      it('TCP: create, message, list, add, remove, leave in text', async () => {
        const alice = await h.tcpUser(0, 'alice');
        const bob = await h.tcpUser(1, 'bob');
        alice.send('create group team bob');
        await alice.waitLine('Group team created. Members: alice, bob');
        await bob.waitLine('* alice created group team with you in it');
        alice.send('create group team bob');
        await alice.waitLine(/^error GROUP_EXISTS: /);
        alice.send('create group x zed');
        await alice.waitLine('error UNKNOWN_USER: No such user(s): zed');
        alice.send('message group team hello   team');
        await alice.waitLine('Sent to group team.');
        await bob.waitLine(new RegExp(`^#\\d+ ${CLOCK} alice \\(group team\\): hello   team$`));
        alice.send('add group team carol');
        await alice.waitLine('Group team members: alice, bob, carol');
        await bob.waitLine('* alice added carol to group team');
        alice.send('message group team for carol');
        await alice.waitLine('Sent to group team.');
        await alice.waitLine('Queued for offline member(s): carol');
        bob.send('remove group team carol');
        await bob.waitLine(/^error NOT_GROUP_OWNER: /);
        alice.send('remove group team carol');
        await alice.waitLine('Group team members: alice, bob');
        await bob.waitLine('* alice removed carol from group team');
        bob.send('grouplist');
        await bob.waitLine('Your groups (1):');
        await bob.waitLine('  team (owner alice): alice, bob');
        alice.send('leave group team');
        await alice.waitLine('You left group team.');
        await bob.waitLine('* alice left group team');
        bob.send('grouplist');
        await bob.waitLine('  team (owner bob): bob');
        alice.send('grouplist');
        await alice.waitLine('You are in no groups.');
        alice.send('message group team hi');
        await alice.waitLine(/^error NOT_GROUP_MEMBER: /);
        alice.send('leave group');
        await alice.waitLine('error BAD_REQUEST: Usage: leave group <name>');
      });
    });

    describe('history', () => {
      it('WS: pages newest first with before-id and hasMore', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        for (let i = 1; i <= 5; i++) {
          const from = i % 2 === 0 ? bob : alice;
          await from.request({ type: 'message', to: from === bob ? 'alice' : 'bob', text: `m${i}` });
        }
        await alice.request({ type: 'message', to: 'carol', text: 'not in this conversation' });
        const p1 = await alice.request({ type: 'history', with: 'bob', limit: 2 });
        expect(p1.messages.map((m) => m.text)).toEqual(['m5', 'm4']);
        expect(p1.hasMore).toBe(true);
        const p2 = await bob.request({ type: 'history', with: 'alice', limit: 2, before: p1.messages[1]!.id });
        expect(p2.messages.map((m) => m.text)).toEqual(['m3', 'm2']);
        const p3 = await alice.request({ type: 'history', with: 'bob', limit: 2, before: p2.messages[1]!.id });
        expect(p3).toMatchObject({ hasMore: false });
        expect(p3.messages.map((m) => m.text)).toEqual(['m1']);
        await alice.request({ type: 'create-group', group: 'team', members: ['bob'] });
        await alice.request({ type: 'message-group', group: 'team', text: 'g1' });
        expect((await bob.request({ type: 'history', with: 'team' })).messages.map((m) => m.text)).toEqual(['g1']);
        const carol = await h.wsUser(0, 'carol');
        expect((await carol.expectError({ type: 'history', with: 'team' })).code).toBe('NOT_GROUP_MEMBER');
        expect((await carol.expectError({ type: 'history', with: 'zed' })).code).toBe('UNKNOWN_USER');
      });

      it('TCP: shows a page oldest-first with the command for the older page', async () => {
        const alice = await h.wsUser(0, 'alice');
        for (let i = 1; i <= 52; i++) await alice.request({ type: 'message', to: 'bob', text: `n${i}` });
        const bob = await h.tcpUser(1, 'bob');
        await bob.waitLine(/\(private, offline\): n52$/);
        bob.send('history alice');
        const first = await bob.waitLine(/^\d+ \[\d\d:\d\d\] alice: n3$/);
        await bob.waitLine(/^\d+ \[\d\d:\d\d\] alice: n52$/);
        const more = await bob.waitLine(/^\(older messages: history alice \d+\)$/);
        const before = /history alice (\d+)/.exec(more)![1]!;
        expect(first.startsWith(`${before} `)).toBe(true);
        bob.send(`history alice ${before}`);
        await bob.waitLine(/^\d+ \[\d\d:\d\d\] alice: n1$/);
        await bob.waitLine(/^\d+ \[\d\d:\d\d\] alice: n2$/);
        bob.send('history carol');
        await bob.waitLine('No messages.');
        bob.send('history alice x');
        await bob.waitLine('error BAD_REQUEST: Usage: history <user|group> [before-id]');
      });
    });

    describe('ack, help, logout', () => {
      it('WS: ack confirms, help lists commands, logout closes and shows me offline', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        await alice.request({ type: 'message', to: 'bob', text: 'x' });
        await bob.waitMessages(1);
        expect(await bob.request({ type: 'ack', seq: 1 })).toEqual({ seq: 1 });
        // Acknowledging beyond what was delivered is clamped to the last delivered seq.
        expect(await bob.request({ type: 'ack', seq: 999 })).toEqual({ seq: 1 });
        const help = await bob.request({ type: 'help' });
        expect(help.commands).toEqual(expect.arrayContaining(['message <user> <text> [+file <id>]...', 'create group <name> <member> ...', 'logout']));
        expect(await bob.request({ type: 'logout' })).toEqual({});
        expect(await bob.waitClosed()).toEqual({ code: 1000, reason: 'logout' });
        expect(await alice.waitEvent('presence', (e) => e.user === 'bob' && !e.online)).toMatchObject({ online: false });
        expect((await alice.request({ type: 'whoelse' })).users).toEqual([]);
      });

      it('TCP: ack, help and logout in text', async () => {
        const alice = await h.wsUser(0, 'alice');
        await alice.request({ type: 'watch', users: ['bob'] });
        const bob = await h.tcpUser(1, 'bob');
        bob.send('help');
        await bob.waitLine('Commands:');
        await bob.waitLine('  message group <name> <text>');
        await bob.waitLine('  help');
        bob.send('ack 0');
        await bob.waitLine('Acknowledged up to #0.');
        bob.send('ack -1');
        await bob.waitLine('error BAD_REQUEST: Usage: ack <seq>');
        bob.send('logout');
        await bob.waitLine('Goodbye.');
        await bob.waitClosed();
        expect(await alice.waitEvent('presence', (e) => e.user === 'bob' && !e.online)).toMatchObject({ online: false });
      });

      it('presence events reach both transports; presence: false opts out', async () => {
        const quiet = await h.wsUser(0, 'erin', { presence: false });
        await quiet.request({ type: 'watch', users: ['bob', 'carol'] });
        const alice = await h.wsUser(0, 'alice');
        await alice.request({ type: 'watch', users: ['bob', 'carol'] });
        const tcp = await h.tcpUser(1, 'bob');
        tcp.send('watch carol');
        await tcp.waitLine('Watching (1): carol');
        expect(await alice.waitEvent('presence', (e) => e.user === 'bob')).toMatchObject({ online: true });
        const carol = await h.wsUser(1, 'carol');
        await tcp.waitLine('* carol is online');
        carol.close();
        await tcp.waitLine('* carol went offline');
        await alice.waitEvent('presence', (e) => e.user === 'carol' && !e.online);
        await alice.request({ type: 'message', to: 'erin', text: 'marker' });
        await nextText(quiet, 'marker');
        expect(quiet.events.filter((e) => e.event === 'presence')).toEqual([]);
      });
    });
  });
}
