// Sign-in behaviour on every backend and both transports: passwords, lockout,
// one session per user, tokens, registration and the sign-in timeout.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { waitUntil } from '../../helpers/wait';
import { useBackend } from './harness';

for (const backend of backends) {
  describe(`sign-in [${backend.name}]`, () => {
    describe('passwords and sessions', () => {
      const h = useBackend(backend);

      it('signs in on both transports and reports the mailbox position', async () => {
        const ws = await h.ws(0);
        const result = await ws.login('alice', 'alice-pw');
        expect(result).toMatchObject({ username: 'alice', resumeFrom: 0, lastSeq: 0, offlineCount: 0 });
        expect(result.token).toBeUndefined();
        const tcp = await h.tcp(1);
        await tcp.waitLine(/^Welcome to chat\./);
        await tcp.login('bob', 'bob-pw');
        tcp.send('whoelse');
        await tcp.waitLine('Online now (1): alice');
      });

      it('refuses a wrong password and says how many attempts are left (WS and TCP)', async () => {
        const ws = await h.ws(0);
        const err = await ws.expectError({ type: 'login', username: 'alice', password: 'nope' });
        expect(err.code).toBe('INVALID_CREDENTIALS');
        expect(err.message).toMatch(/2 attempts left/);
        const tcp = await h.tcp(1);
        await tcp.waitPrompt('Username: ');
        tcp.send('alice');
        await tcp.waitPrompt('Password: ');
        tcp.send('still-wrong');
        await tcp.waitLine(/^error INVALID_CREDENTIALS: .*1 attempt left/);
        // A wrong password asks for the password again, and the right one then works.
        await tcp.waitPrompt('Password: ');
        tcp.send('alice-pw');
        await tcp.waitLine('Welcome, alice!');
      });

      it('a command typed at the TCP username prompt is taken as a name, never run', async () => {
        const tcp = await h.tcp(0);
        await tcp.waitPrompt('Username: ');
        tcp.send('whoelse');
        await tcp.waitPrompt('Password: ');
        tcp.send('x');
        await tcp.waitLine(/^error INVALID_CREDENTIALS/);
        expect(tcp.unread().some((l) => l.startsWith('Online'))).toBe(false);
      });

      it('commands before sign-in get NOT_SIGNED_IN on WS; help works without it', async () => {
        const ws = await h.ws(0);
        for (const cmd of [{ type: 'whoelse' }, { type: 'message', to: 'bob', text: 'x' }, { type: 'logout' }, { type: 'ack', seq: 1 }] as const) {
          expect((await ws.expectError(cmd)).code).toBe('NOT_SIGNED_IN');
        }
        expect((await ws.request({ type: 'help' })).commands).toContain('message <user> <text> [+file <id>]...');
        await ws.login('alice', 'alice-pw');
        expect((await ws.request({ type: 'whoelse' })).users).toEqual([]);
      });

      it('refuses a second session with ALREADY_SIGNED_IN and the first keeps working', async () => {
        const first = await h.wsUser(0, 'alice');
        const bob = await h.wsUser(0, 'bob');
        const second = await h.ws(1);
        const err = await second.expectError({ type: 'login', username: 'alice', password: 'alice-pw' });
        expect(err.code).toBe('ALREADY_SIGNED_IN');
        const tcp = await h.tcp(1);
        await tcp.waitPrompt('Username: ');
        tcp.send('alice');
        await tcp.waitPrompt('Password: ');
        tcp.send('alice-pw');
        await tcp.waitLine(/^error ALREADY_SIGNED_IN: /);
        await tcp.waitPrompt('Username: ');
        await first.request({ type: 'message', to: 'bob', text: 'still here' });
        const [m] = await bob.waitMessages(1);
        expect(m!.message.text).toBe('still here');
        // The refused connection can sign in as someone else.
        await second.login('carol', 'carol-pw');
      });

      it('of two simultaneous sign-ins of one user, exactly one wins', async () => {
        const a = await h.ws(0);
        const b = await h.ws(1);
        const replies = await Promise.all([a, b].map((c) => c.send({ type: 'login', username: 'alice', password: 'alice-pw' })));
        expect(replies.filter((r) => r.ok)).toHaveLength(1);
        expect(replies.find((r) => !r.ok)).toMatchObject({ error: { code: 'ALREADY_SIGNED_IN' } });
      });

      it('a sign-in right after logout always works, without waiting for the reply (40 rounds, alternating nodes and transports)', async () => {
        let node = 0;
        let current = await h.ws(node);
        await current.login('alice', 'alice-pw');
        for (let round = 0; round < 40; round++) {
          // logout is sent, and the next sign-in starts at once on another connection (and node).
          current.sendRaw(JSON.stringify({ id: `bye-${round}`, type: 'logout' }));
          node++;
          if (round % 5 === 4) {
            const tcp = await h.tcp(node);
            await tcp.login('alice', 'alice-pw');
            tcp.send('logout');
            node++;
          }
          current = await h.ws(node);
          const reply = await current.send({ type: 'login', username: 'alice', password: 'alice-pw' });
          expect(reply, `round ${round}`).toMatchObject({ ok: true });
        }
      });

      it('TCP: name, password and commands typed ahead in one write are handled in order', async () => {
        const watcher = await h.wsUser(0, 'bob');
        const tcp = await h.tcp(1);
        tcp.write('alice\nalice-pw\nwhoelse\nmessage bob typed ahead\n');
        await tcp.waitLine('Welcome, alice!');
        await tcp.waitLine('Online now (1): bob');
        await tcp.waitLine('Sent to bob.');
        const [m] = await watcher.waitMessages(1);
        expect(m!.message).toMatchObject({ from: 'alice', text: 'typed ahead' });
      });

      it('signs in again at once after the first session dropped', async () => {
        const watcher = await h.wsUser(0, 'bob');
        await watcher.request({ type: 'watch', users: ['alice', 'carol'] });
        const first = await h.wsUser(1, 'alice');
        first.kill();
        await watcher.waitEvent('presence', (e) => e.user === 'alice' && !e.online);
        const again = await h.ws(1);
        await again.login('alice', 'alice-pw');
        const tcpFirst = await h.tcpUser(0, 'carol');
        tcpFirst.kill();
        await watcher.waitEvent('presence', (e) => e.user === 'carol' && !e.online);
        const tcpAgain = await h.tcp(1);
        await tcpAgain.login('carol', 'carol-pw');
      });

      it('remember issues a token; it signs in (and is replaced), is revoked by logout', async () => {
        const watcher = await h.wsUser(1, 'bob');
        await watcher.request({ type: 'watch', users: ['alice'] });
        const a = await h.ws(0);
        const first = await a.login('alice', 'alice-pw', { remember: true });
        expect(first.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
        expect(first.tokenExpiresAt).toBeGreaterThan(Date.now());
        a.close();
        await watcher.waitEvent('presence', (e) => e.user === 'alice' && !e.online);
        const b = await h.ws(1);
        const second = await b.request({ type: 'login', username: 'alice', token: first.token! });
        expect(second.username).toBe('alice');
        // A token sign-in answers the token that replaces it (see token-rotation.test.ts).
        expect(second.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
        expect(second.token).not.toBe(first.token);
        // A token belongs to its user only.
        const c = await h.ws(0);
        expect((await c.expectError({ type: 'login', username: 'carol', token: first.token! })).code).toBe('INVALID_TOKEN');
        await b.request({ type: 'logout' });
        await b.waitClosed();
        const d = await h.ws(0);
        expect((await d.expectError({ type: 'login', username: 'alice', token: first.token! })).code).toBe('INVALID_TOKEN');
        expect((await d.expectError({ type: 'login', username: 'alice', token: second.token! })).code).toBe('INVALID_TOKEN');
        expect((await d.expectError({ type: 'login', username: 'alice' })).code).toBe('BAD_REQUEST');
        await d.login('alice', 'alice-pw');
      });

      it('refuses registration without --allow-register', async () => {
        const ws = await h.ws(0);
        expect(ws.events).toEqual([]);
        const err = await ws.expectError({ type: 'register', username: 'frank', password: 'frank-pw' });
        expect(err.code).toBe('REGISTRATION_DISABLED');
        expect((await ws.expectError({ type: 'login', username: 'frank', password: 'frank-pw' })).code).toBe('INVALID_CREDENTIALS');
      });
    });

    // 2.5 s: long enough that the cross-connection checks finish inside the lock on a loaded machine.
    describe('lockout (maxAttempts 3, lockoutSeconds 2.5)', () => {
      const h = useBackend(backend, { lockoutSeconds: 2.5 });

      it('locks across connections and transports, tells the seconds left, unlocks after expiry', async () => {
        const a = await h.ws(0);
        for (const left of [2, 1]) {
          const err = await a.expectError({ type: 'login', username: 'alice', password: 'bad' });
          expect(err).toMatchObject({ code: 'INVALID_CREDENTIALS' });
          expect(err.message).toContain(`${left} attempt`);
        }
        const third = await a.expectError({ type: 'login', username: 'alice', password: 'bad' });
        expect(third.code).toBe('ACCOUNT_LOCKED');
        expect(third.retryAfter).toBeGreaterThanOrEqual(1);
        expect(third.retryAfter).toBeLessThanOrEqual(3);
        // Another connection, on another node, with the right password: still locked.
        const b = await h.ws(1);
        const locked = await b.expectError({ type: 'login', username: 'alice', password: 'alice-pw' });
        expect(locked.code).toBe('ACCOUNT_LOCKED');
        expect(locked.message).toMatch(/Try again in [123] s/);
        const tcp = await h.tcp(1);
        await tcp.waitPrompt('Username: ');
        tcp.send('alice');
        await tcp.waitPrompt('Password: ');
        tcp.send('alice-pw');
        await tcp.waitLine(/^error ACCOUNT_LOCKED: .*Try again in [123] s\./);
        await tcp.waitPrompt('Username: ');
        // Other accounts are not affected.
        await b.login('bob', 'bob-pw');
        // After the lock expires the right password works (bounded wait on the lock's own clock).
        const c = await h.ws(0);
        await waitUntil(
          async () => {
            const reply = await c.send({ type: 'login', username: 'alice', password: 'alice-pw' });
            if (!reply.ok && reply.error.code !== 'ACCOUNT_LOCKED') throw new Error(`unexpected ${reply.error.code}`);
            return reply.ok;
          },
          'the lock to expire',
          6_000,
          250,
        );
      });

      it('failures on TCP lock the WebSocket sign-in too', async () => {
        const tcp = await h.tcp(0);
        await tcp.waitPrompt('Username: ');
        tcp.send('bob');
        for (let i = 0; i < 3; i++) {
          await tcp.waitPrompt('Password: ');
          tcp.send(`wrong-${i}`);
          await tcp.waitLine(/^error (INVALID_CREDENTIALS|ACCOUNT_LOCKED): /);
        }
        const ws = await h.ws(1);
        const err = await ws.expectError({ type: 'login', username: 'bob', password: 'bob-pw' });
        expect(err.code).toBe('ACCOUNT_LOCKED');
        expect(err.retryAfter).toBeGreaterThanOrEqual(1);
      });

      it('locks unknown usernames the same way, without revealing whether they exist', async () => {
        const ws = await h.ws(0);
        const unknown = await ws.expectError({ type: 'login', username: 'nobody', password: 'x' });
        const known = await ws.expectError({ type: 'login', username: 'carol', password: 'x' });
        expect(unknown.code).toBe('INVALID_CREDENTIALS');
        expect(unknown).toEqual(known);
        await ws.expectError({ type: 'login', username: 'nobody', password: 'x' });
        const third = await ws.expectError({ type: 'login', username: 'nobody', password: 'x' });
        expect(third.code).toBe('ACCOUNT_LOCKED');
        const other = await h.ws(1);
        const locked = await other.expectError({ type: 'login', username: 'nobody', password: 'x' });
        expect(locked).toMatchObject({ code: 'ACCOUNT_LOCKED' });
        expect(locked.retryAfter).toBeGreaterThanOrEqual(1);
      });
    });

    describe('lockout (maxAttempts 3, lockoutSeconds 60)', () => {
      const h = useBackend(backend, { lockoutSeconds: 60 });

      it.runIf(backend.canRestart)(
        'the lock belongs to the name: the same TCP connection signs in as another; it survives a restart (single node)',
        async () => {
          const tcp = await h.tcp(0);
          await tcp.waitPrompt('Username: ');
          tcp.send('alice');
          for (let i = 0; i < 3; i++) {
            await tcp.waitPrompt('Password: ');
            tcp.send(`wrong-${i}`);
            await tcp.waitLine(/^error (INVALID_CREDENTIALS|ACCOUNT_LOCKED): /);
          }
          // Back at `Username:`: another name signs in on the same connection.
          await tcp.login('bob', 'bob-pw');
          tcp.kill();
          await h.backend.restart!();
          const ws = await h.ws(0);
          const locked = await ws.expectError({ type: 'login', username: 'alice', password: 'alice-pw' });
          expect(locked.code).toBe('ACCOUNT_LOCKED');
          expect(locked.retryAfter).toBeGreaterThan(30);
        },
      );
    });

    // A real hash cost (2^14), so checks overlap: the old code read the lock before hashing and let all six through.
    describe('lockout under concurrency (maxAttempts 3, hashCost 14)', () => {
      const h = useBackend(backend, { hashCost: 14 });

      it('six sign-ins for one name at once, over both nodes: three are checked, the rest refused unchecked', async () => {
        const clients = await Promise.all(Array.from({ length: 6 }, (_, k) => h.ws(k)));
        const replies = await Promise.all(clients.map((c, k) => c.send({ type: 'login', username: 'alice', password: `wrong-${k}` })));
        const errors = replies.map((r) => {
          if (r.ok) throw new Error('a wrong password signed in');
          return r.error;
        });
        // A checked attempt says "Invalid ... password"; a refused one only that the account is locked.
        const checked = errors.filter((e) => /Invalid (username or )?password/.test(e.message));
        expect(checked).toHaveLength(3);
        expect(errors.filter((e) => e.code === 'ACCOUNT_LOCKED')).toHaveLength(4);
        // The lock holds for the right password, on either node.
        for (const k of [0, 1]) {
          const after = await h.ws(k);
          expect((await after.expectError({ type: 'login', username: 'alice', password: 'alice-pw' })).code).toBe('ACCOUNT_LOCKED');
        }
      });
    });

    describe('registration (--allow-register)', () => {
      const h = useBackend(backend, { allowRegister: true });

      it('user names are unique by canonical form; sign-in and lookups match it; others see the registered spelling', async () => {
        const ws = await h.ws(0);
        const other = await h.ws(1);
        for (const taken of ['ALICE', 'Alice', '\uFF21lice']) {
          expect((await other.expectError({ type: 'register', username: taken, password: 'whatever-1' })).code).toMatch(/USERNAME_TAKEN|BAD_REQUEST/);
        }
        expect((await other.expectError({ type: 'register', username: 'ALICE', password: 'whatever-1' })).code).toBe('USERNAME_TAKEN');
        await ws.request({ type: 'register', username: 'Frank', password: 'frank-pw-1' });
        // Sign-in in another case, on the other node: the session is bob's, spelled as registered.
        const signedIn = await other.request({ type: 'login', username: 'BOB', password: 'bob-pw' });
        expect(signedIn.username).toBe('bob');
        expect((await ws.request({ type: 'whoelse' })).users).toEqual(['bob']);
        const sent = await other.request({ type: 'message', to: 'frank', text: 'hi' });
        expect(sent.message.to).toBe('Frank');
        const [m] = await ws.waitMessages(1);
        expect(m!.message).toMatchObject({ from: 'bob', to: 'Frank', text: 'hi' });
        expect((await other.request({ type: 'ping', user: 'FRANK' })).user).toBe('Frank');
        expect((await other.request({ type: 'block', user: 'fRaNk' })).user).toBe('Frank');
        expect((await other.request({ type: 'blocklist' })).users).toEqual(['Frank']);
        expect((await other.request({ type: 'unblock', user: 'FRANK' })).user).toBe('Frank');
        const group = await ws.request({ type: 'create-group', group: 'crew', members: ['BOB', 'Carol'] });
        expect(group.group.members).toEqual(['Frank', 'bob', 'carol']);
        expect((await ws.request({ type: 'group-remove', group: 'crew', members: ['CAROL'] })).group.members).toEqual(['Frank', 'bob']);
        expect((await ws.request({ type: 'history', with: 'BOB' })).with).toBe('bob');
        // A group cannot take a user's name in another case.
        expect((await ws.expectError({ type: 'create-group', group: 'ALICE', members: [] })).code).toBe('GROUP_EXISTS');
      });

      it('a group name in any case is taken: by another group (GROUP_EXISTS) and by a new account (USERNAME_TAKEN)', async () => {
        const alice = await h.wsUser(0, 'alice');
        await alice.request({ type: 'create-group', group: 'Crew', members: [] });
        for (const other of ['crew', 'CREW']) {
          expect((await alice.expectError({ type: 'create-group', group: other, members: [] })).code).toBe('GROUP_EXISTS');
        }
        const tcp = await h.tcpUser(1, 'bob');
        tcp.send('create group cReW');
        await tcp.waitLine(/^error GROUP_EXISTS: /);
        const ws = await h.ws(1);
        expect((await ws.expectError({ type: 'register', username: 'crew', password: 'crew-long-pw' })).code).toBe('USERNAME_TAKEN');
        // The name is refused first, in the words every creation path uses, whatever the password.
        expect(await ws.expectError({ type: 'register', username: 'CREW', password: 'short' })).toMatchObject({
          code: 'USERNAME_TAKEN',
          message: 'The name "CREW" is taken',
        });
        // At the TCP prompts a group's name asks for another name, not another password.
        const newcomer = await h.tcp(0);
        await newcomer.waitPrompt('Username: ');
        newcomer.send('register');
        await newcomer.waitPrompt('New username: ');
        newcomer.send('cREW');
        await newcomer.waitPrompt('Choose a password: ');
        newcomer.send('short');
        await newcomer.waitLine('error USERNAME_TAKEN: The name "cREW" is taken');
        await newcomer.waitPrompt('New username: ');
        // Group names are still matched exactly.
        expect((await alice.expectError({ type: 'message-group', group: 'crew', text: 'hi' })).code).toBe('UNKNOWN_GROUP');
        expect((await alice.request({ type: 'grouplist' })).groups.map((g) => g.name)).toEqual(['Crew']);
      });

      it('registers over WS and the new account signs in over TCP', async () => {
        const ws = await h.ws(0);
        const result = await ws.request({ type: 'register', username: 'frank', password: 'frank-pw' });
        expect(result).toMatchObject({ username: 'frank', lastSeq: 0 });
        const other = await h.ws(1);
        expect((await other.expectError({ type: 'register', username: 'alice', password: 'whatever' })).code).toBe('USERNAME_TAKEN');
        expect((await other.expectError({ type: 'register', username: 'group', password: 'whatever' })).code).toBe('USERNAME_TAKEN');
        await ws.request({ type: 'logout' });
        await ws.waitClosed();
        const tcp = await h.tcp(1);
        await tcp.waitLine(/Type "register" at the username prompt/);
        await tcp.login('frank', 'frank-pw');
      });

      it('registers over TCP with the register prompt', async () => {
        const tcp = await h.tcp(0);
        await tcp.waitPrompt('Username: ');
        tcp.send('register');
        await tcp.waitPrompt('New username: ');
        tcp.send('alice');
        await tcp.waitPrompt('Choose a password: ');
        tcp.send('pw-of-gina');
        await tcp.waitLine(/^error USERNAME_TAKEN: /);
        await tcp.waitPrompt('New username: ');
        tcp.send('gina');
        // A refused password asks for another one, for the same name.
        await tcp.waitPrompt('Choose a password: ');
        tcp.send('password');
        await tcp.waitLine(/^error PASSWORD_TOO_COMMON: /);
        await tcp.waitPrompt('Choose a password: ');
        tcp.send('x'.repeat(1025));
        await tcp.waitLine('error BAD_REQUEST: Passwords are 1-1024 characters.');
        await tcp.waitPrompt('Choose a password: ');
        tcp.send('pw-of-gina');
        await tcp.waitLine('Welcome, gina!');
        const ws = await h.wsUser(1, 'alice');
        expect((await ws.request({ type: 'whoelse' })).users).toEqual(['gina']);
      });
    });

    describe('sign-in timeout (loginTimeoutSeconds 1)', () => {
      const h = useBackend(backend, { loginTimeoutSeconds: 1 });

      it('closes idle unauthenticated connections on both transports, not signed-in ones', async () => {
        const idleWs = await h.ws(0);
        const idleTcp = await h.tcp(1);
        const signedIn = await h.wsUser(0, 'alice');
        const signedInTcp = await h.tcpUser(1, 'bob');
        const closed = await idleWs.waitClosed(5_000);
        expect(closed.reason).toMatch(/sign-in took too long/);
        await idleTcp.waitLine('Disconnected: sign-in took too long.');
        await idleTcp.waitClosed();
        expect((await signedIn.request({ type: 'whoelse' })).users).toEqual(['bob']);
        signedInTcp.send('whoelse');
        await signedInTcp.waitLine('Online now (1): alice');
      });
    });
  });
}
