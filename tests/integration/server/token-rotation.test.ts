// Remember-me tokens rotate on use, over real WebSockets on every backend:
// each token sign-in answers a new token of the same family; the replaced one
// still signs in during the grace, is refused after it, and that reuse revokes
// the whole family. Logout revokes the family too. The server's clock is moved
// instead of waiting out the grace.
import { describe, expect, it } from 'vitest';
import { TOKEN_GRACE_MS } from '../../../server/services/accounts';
import { backends } from '../../helpers/backends';
import { runCli } from '../../helpers/cli';
import { startTestServer, testClock } from '../../helpers/test-server';
import { WsClient } from '../../helpers/ws-client';
import { useBackend } from './harness';

for (const backend of backends) {
  describe(`sign-in token rotation [${backend.name}]`, () => {
    const clock = testClock();
    const h = useBackend(backend, {}, clock.now);

    /** Signs in as alice with `token` on node(k), returns the reply, and closes the connection (the token stays valid). */
    async function tokenSignIn(k: number, token: string): Promise<string> {
      const c = await h.ws(k);
      const result = await c.request({ type: 'login', username: 'alice', token });
      expect(result.username).toBe('alice');
      expect(result.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(result.token).not.toBe(token);
      expect(result.tokenExpiresAt).toBeGreaterThan(clock.now() + 29 * 86_400_000);
      c.close();
      await c.waitClosed();
      return result.token!;
    }

    async function refused(k: number, token: string): Promise<void> {
      const c = await h.ws(k);
      expect((await c.expectError({ type: 'login', username: 'alice', token })).code).toBe('INVALID_TOKEN');
      c.close();
    }

    async function rememberedSignIn(): Promise<string> {
      const a = await h.ws(0);
      const first = await a.login('alice', 'alice-pw', { remember: true });
      a.close();
      await a.waitClosed();
      return first.token!;
    }

    it('every token sign-in answers a new token; the newest keeps working past any grace', async () => {
      let token = await rememberedSignIn();
      for (let i = 1; i <= 4; i++) {
        token = await tokenSignIn(i, token);
        clock.advance(TOKEN_GRACE_MS + 1_000);
      }
      await tokenSignIn(0, token);
    });

    it('the replaced token works inside the grace; after it, its use is refused and revokes the family', async () => {
      const t0 = await rememberedSignIn();
      const t1 = await tokenSignIn(1, t0);
      // A client that lost the reply signs in with the replaced token again: still accepted.
      clock.advance(TOKEN_GRACE_MS - 5_000);
      const t2 = await tokenSignIn(0, t0);
      expect(t2).not.toBe(t1);
      clock.advance(5_001);
      await refused(1, t0);
      // The reuse revoked the family: the newest tokens are refused too.
      await refused(0, t2);
      await refused(1, t1);
      // The password still works, and a new family starts.
      const again = await h.ws(0);
      expect((await again.login('alice', 'alice-pw', { remember: true })).token).toBeDefined();
    });

    it('logout revokes the family: the replaced token (inside its grace) and the newest', async () => {
      const t0 = await rememberedSignIn();
      const c = await h.ws(1);
      const signedIn = await c.request({ type: 'login', username: 'alice', token: t0 });
      // The file token is the session's newest token.
      expect((await c.request({ type: 'file-token' })).token).toBe(signedIn.token);
      await c.request({ type: 'logout' });
      await c.waitClosed();
      await refused(0, t0);
      await refused(1, signedIn.token!);
    });

    it('a token refused because the user is signed in elsewhere is not used up', async () => {
      const t0 = await rememberedSignIn();
      const holder = await h.wsUser(0, 'alice');
      const c = await h.ws(1);
      expect((await c.expectError({ type: 'login', username: 'alice', token: t0 })).code).toBe('ALREADY_SIGNED_IN');
      holder.close();
      await holder.waitClosed();
      clock.advance(TOKEN_GRACE_MS + 1_000);
      await tokenSignIn(1, t0);
    });
  });
}

describe('sign-in token reuse is audited [sqlite]', () => {
  it('records token-reuse with the owner and the address', async () => {
    const clock = testClock();
    const srv = await startTestServer({ clock: clock.now });
    try {
      const a = await WsClient.connect(srv.wsUrl);
      const t0 = (await a.login('alice', 'alice-pw', { remember: true })).token!;
      a.close();
      await a.waitClosed();
      const b = await WsClient.connect(srv.wsUrl);
      await b.request({ type: 'login', username: 'alice', token: t0 });
      b.close();
      await b.waitClosed();
      clock.advance(TOKEN_GRACE_MS + 1_000);
      const thief = await WsClient.connect(srv.wsUrl);
      expect((await thief.expectError({ type: 'login', username: 'alice', token: t0 })).code).toBe('INVALID_TOKEN');
      thief.close();
      const run = await runCli(['audit', '--action', 'token-reuse', '--json', '--data', srv.dataDir]);
      expect(run.code, run.stderr).toBe(0);
      const entries = run.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { action: string; username: string; address: string; detail: string });
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'token-reuse', username: 'alice' });
      expect(entries[0]!.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(entries[0]!.detail).toMatch(/family was revoked \(2 tokens\)/);
    } finally {
      await srv.stop();
    }
  });
});
