// What `whoelse`, `wholasthr` and `ping` show, exactly: wholasthr's hour goes
// by sign-in time (inclusive at 3600 s), and a block hides nobody from these
// lists. The servers' clock is moved instead of waiting an hour.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { testClock } from '../../helpers/test-server';
import { useBackend } from './harness';

const HOUR_MS = 3_600_000;

for (const backend of backends) {
  describe(`whoelse, wholasthr, ping [${backend.name}]`, () => {
    const clock = testClock();
    const h = useBackend(backend, {}, clock.now);

    it('wholasthr: online now (whenever they signed in) or signed in within the hour, by sign-in time, never me', async () => {
      // carol signs in and stays; dave signs in and leaves at once.
      const carol = await h.wsUser(0, 'carol');
      const dave = await h.wsUser(1, 'dave');
      await dave.request({ type: 'logout' });
      await dave.waitClosed();
      clock.advance(HOUR_MS - 1_000);
      const alice = await h.tcpUser(0, 'alice');
      alice.send('wholasthr');
      await alice.waitLine(/^Online in the last hour \(2\): carol \(online\), dave \(last login \d\d:\d\d\)$/);
      // Past the hour dave is gone; carol, signed in over an hour ago, is still listed because she is online.
      clock.advance(2_000);
      alice.send('wholasthr');
      await alice.waitLine('Online in the last hour (1): carol (online)');
      const last = (await carol.request({ type: 'wholasthr' })).users;
      expect(last.map((u) => [u.username, u.online])).toEqual([['alice', true]]);
    });

    it('a block hides nobody: whoelse, wholasthr and ping show blocker and blocked to each other; ping names the block', async () => {
      const alice = await h.tcpUser(0, 'alice');
      const bob = await h.tcpUser(1, 'bob');
      alice.send('block bob');
      await alice.waitLine('bob is blocked: their messages will not reach you.');
      bob.send('whoelse');
      await bob.waitLine('Online now (1): alice');
      alice.send('whoelse');
      await alice.waitLine('Online now (1): bob');
      bob.send('wholasthr');
      await bob.waitLine('Online in the last hour (1): alice (online)');
      bob.send('ping alice');
      await bob.waitLine('alice is online; alice has blocked you.');
      alice.send('ping bob');
      await alice.waitLine('bob is online; you have blocked bob.');
      // Blocking again, or unblocking twice, answers the same and changes nothing else.
      alice.send('block bob');
      await alice.waitLine('bob is blocked: their messages will not reach you.');
      alice.send('unblock bob');
      await alice.waitLine('bob is unblocked.');
      alice.send('unblock bob');
      await alice.waitLine('bob is unblocked.');
      alice.send('ping bob');
      await alice.waitLine('bob is online.');
    });
  });
}
