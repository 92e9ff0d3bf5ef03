// typing and users on both transports, on every backend. Client k talks to
// node(k), so on the cluster the typist and the one who sees it sit on
// different nodes and the notice crosses the bus.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { testClock } from '../../helpers/test-server';
import { useBackend } from './harness';

const CLOCK = '\\d\\d:\\d\\d';

for (const backend of backends) {
  describe(`people [${backend.name}]`, () => {
    // The servers' clock moves forward when a test waits out the typing rate limit: no sleeping.
    const clock = testClock();
    const h = useBackend(backend, {}, clock.now);

    describe('typing', () => {
      it('WS: reaches the other person at once, is refused for unknown users and self, and is rate-limited per conversation', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        expect(await alice.request({ type: 'typing', with: 'bob' })).toEqual({ with: 'bob', group: false });
        const seen = await bob.waitEvent('typing');
        expect(seen).toEqual({ type: 'event', event: 'typing', from: 'alice' });

        const again = await alice.expectError({ type: 'typing', with: 'bob' });
        expect(again.code).toBe('RATE_LIMITED');
        expect(again.retryAfter).toBeGreaterThanOrEqual(1);
        // Another conversation has its own allowance.
        await alice.request({ type: 'typing', with: 'carol' });
        clock.advance(2_000);
        await alice.request({ type: 'typing', with: 'bob' });
        await bob.waitEvent('typing', (e) => e.from === 'alice');

        expect((await alice.expectError({ type: 'typing', with: 'zed' })).code).toBe('UNKNOWN_USER');
        expect((await alice.expectError({ type: 'typing', with: 'alice' })).code).toBe('SELF_TARGET');
        expect((await alice.expectError({ type: 'typing', with: 'ALICE' })).code).toBe('SELF_TARGET');
        // Names match in any case; the reply and the notice use the registered spelling.
        clock.advance(2_000);
        expect(await alice.request({ type: 'typing', with: 'BOB' })).toEqual({ with: 'bob', group: false });
        await bob.waitEvent('typing', (e) => e.from === 'alice');
        expect((await alice.expectError({ type: 'typing', with: 'bad name' } as never)).code).toBe('BAD_REQUEST');
        const anon = await h.ws(0);
        expect((await anon.expectError({ type: 'typing', with: 'bob' })).code).toBe('NOT_SIGNED_IN');
      });

      it('WS: never stored, and a recipient who blocked the typist hears nothing', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        const carol = await h.wsUser(2, 'carol');
        await bob.request({ type: 'block', user: 'alice' });
        // The same answer as for anyone: the typist can't probe for blocks this way.
        expect(await alice.request({ type: 'typing', with: 'bob' })).toEqual({ with: 'bob', group: false });
        await carol.request({ type: 'typing', with: 'bob' });
        // Events from one node keep their order: carol's notice came after alice's would have.
        const first = await bob.waitEvent('typing');
        expect(first.from).toBe('carol');

        // An offline user gets nothing later: typing is never stored.
        await alice.request({ type: 'typing', with: 'dave' });
        const dave = await h.ws(1);
        const login = await dave.login('dave', 'dave-pw');
        expect(login).toMatchObject({ offlineCount: 0, lastSeq: 0 });
        await alice.request({ type: 'message', to: 'dave', text: 'marker' });
        await dave.waitMessages(1);
        expect(dave.events.filter((e) => e.event === 'typing')).toEqual([]);
        expect(await dave.request({ type: 'history', with: 'alice' })).toMatchObject({ messages: [{ text: 'marker' }] });
      });

      it('WS: in a group, reaches the online members but the typist and those who blocked them; members only', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(1, 'bob');
        const carol = await h.wsUser(0, 'carol');
        const dave = await h.wsUser(1, 'dave');
        await alice.request({ type: 'create-group', group: 'team', members: ['bob', 'carol', 'dave'] });
        await dave.request({ type: 'block', user: 'alice' });
        expect(await alice.request({ type: 'typing', with: 'team', group: true })).toEqual({ with: 'team', group: true });
        expect(await bob.waitEvent('typing')).toEqual({ type: 'event', event: 'typing', from: 'alice', group: 'team' });
        expect((await carol.waitEvent('typing')).group).toBe('team');
        // dave blocked alice: his next typing notice is bob's.
        await bob.request({ type: 'typing', with: 'team', group: true });
        expect(await dave.waitEvent('typing')).toMatchObject({ from: 'bob', group: 'team' });
        expect(alice.events.filter((e) => e.event === 'typing' && e.from === 'alice')).toEqual([]);

        const erin = await h.wsUser(1, 'erin');
        expect((await erin.expectError({ type: 'typing', with: 'team', group: true })).code).toBe('NOT_GROUP_MEMBER');
        expect((await erin.expectError({ type: 'typing', with: 'nogroup', group: true })).code).toBe('UNKNOWN_GROUP');
      });

      it('TCP: typing <user> and typing group <name>, shown as lines', async () => {
        const alice = await h.tcpUser(0, 'alice');
        const bob = await h.tcpUser(1, 'bob');
        alice.send('typing bob');
        await alice.waitLine('Typing notice sent to bob.');
        await bob.waitLine('* alice is typing');
        alice.send('create group team bob');
        await alice.waitLine(/group team/i);
        alice.send('typing group team');
        await alice.waitLine('Typing notice sent to group team.');
        await bob.waitLine('* alice is typing in group team');
        alice.send('typing bob');
        await alice.waitLine(/^error RATE_LIMITED: /);
        alice.send('typing');
        await alice.waitLine('error BAD_REQUEST: Usage: typing <user> | typing group <name>');
        alice.send('typing bob carol');
        await alice.waitLine('error BAD_REQUEST: Usage: typing <user> | typing group <name>');
        alice.send('typing zed');
        await alice.waitLine('error UNKNOWN_USER: No user "zed"');
      });
    });

    describe('users', () => {
      it('WS: every account, online or not, sorted, with presence and last sign-in; filtered by a query', async () => {
        const alice = await h.wsUser(0, 'alice');
        await alice.request({ type: 'watch', users: ['dave'] });
        await h.wsUser(1, 'bob');
        const all = await alice.request({ type: 'users' });
        expect(all.more).toBe(false);
        expect(all.users.map((u) => u.username)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
        expect(all.users.find((u) => u.username === 'bob')).toMatchObject({ online: true, lastLoginAt: expect.any(Number) });
        expect(all.users.find((u) => u.username === 'carol')).toEqual({
          username: 'carol',
          online: false,
          lastLoginAt: null,
          displayName: null,
          avatarUrl: null,
        });
        expect(all.users.find((u) => u.username === 'alice')?.online).toBe(true);

        // Case-insensitive "contains".
        const a = await alice.request({ type: 'users', query: 'A' });
        expect(a.users.map((u) => u.username)).toEqual(['alice', 'carol', 'dave']);
        expect((await alice.request({ type: 'users', query: 'nobody' })).users).toEqual([]);
        expect((await alice.expectError({ type: 'users', query: 'x'.repeat(33) })).code).toBe('BAD_REQUEST');
        const anon = await h.ws(0);
        expect((await anon.expectError({ type: 'users' })).code).toBe('NOT_SIGNED_IN');

        // A sign-out shows as offline, with the last sign-in kept.
        const bobAgain = all.users.find((u) => u.username === 'bob')!;
        const dave = await h.wsUser(1, 'dave');
        await dave.request({ type: 'logout' });
        await alice.waitEvent('presence', (e) => e.user === 'dave' && !e.online);
        const later = await alice.request({ type: 'users', query: 'dave' });
        expect(later.users).toEqual([{ username: 'dave', online: false, lastLoginAt: expect.any(Number), displayName: null, avatarUrl: null }]);
        expect(bobAgain.lastLoginAt).not.toBeNull();
      });

      it('TCP: users [query]', async () => {
        const alice = await h.tcpUser(0, 'alice');
        alice.send('users');
        await alice.waitLine(
          new RegExp(
            `^People \\(5\\): alice \\(online\\), bob \\(never signed in\\), carol \\(never signed in\\), dave \\(never signed in\\), erin \\(never signed in\\)$`,
          ),
        );
        alice.send('watch bob');
        await alice.waitLine('Watching (1): bob');
        const bob = await h.tcpUser(1, 'bob');
        alice.send('users B');
        await alice.waitLine('People (1): bob (online)');
        alice.send('users zzz');
        await alice.waitLine('No one matches.');
        alice.send('users a b');
        await alice.waitLine('error BAD_REQUEST: Usage: users [query]');
        bob.send('logout');
        await alice.waitLine('* bob went offline');
        alice.send('users bob');
        await alice.waitLine(new RegExp(`^People \\(1\\): bob \\(last login ${CLOCK}\\)$`));
      });
    });
  });
}
