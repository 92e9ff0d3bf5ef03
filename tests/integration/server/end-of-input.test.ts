// A TCP client that shuts its sending side after its input (`printf ... | nc -N`,
// a script): what it sent before its end is handled in order and answered, then
// the server closes the connection and the session ends as on a disconnect.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { passwordOf } from '../../helpers/users';
import { useBackend } from './harness';

for (const backend of backends) {
  describe(`TCP end of input [${backend.name}]`, () => {
    const h = useBackend(backend);

    it('sign-in, commands and logout written at once, then end: every reply comes back, the message arrives, the server closes', async () => {
      const bob = await h.wsUser(1, 'bob');
      const alice = await h.tcp(0);
      alice.write(`alice\n${passwordOf('alice')}\nmessage bob hi from a script\nwhoelse\nlogout\n`);
      alice.socket.end();
      await alice.waitClosed();
      expect(alice.lines.filter((l) => !l.startsWith('Welcome to') && !l.startsWith('This server'))).toEqual([
        'Username: Password: Welcome, alice! Type "help" for commands.',
        expect.stringMatching(/^Sent to bob\. \(#\d+\)$/),
        'Online now (1): bob',
        'Goodbye.',
      ]);
      expect((await bob.waitMessages(1))[0]!.message.text).toBe('hi from a script');
    });

    it('without logout: the last line (even without LF) is answered, then the server closes and the session ends', async () => {
      const alice = await h.tcp(0);
      alice.write(`alice\n${passwordOf('alice')}\nmessage bob one\nmessage bob two`);
      alice.socket.end();
      await alice.waitClosed();
      expect(alice.lines.filter((l) => l.startsWith('bob is offline'))).toHaveLength(2);
      expect(alice.lines.some((l) => l.startsWith('Disconnected'))).toBe(false);
      // The session ended: bob signs in and finds both messages, and alice is not online.
      const bob = await h.wsUser(1, 'bob');
      expect((await bob.waitMessages(2)).map((m) => m.message.text)).toEqual(['one', 'two']);
      expect((await bob.request({ type: 'whoelse' })).users).toEqual([]);
    });

    it('a long script right after the password: no line is lost while the sign-in is checked', async () => {
      const alice = await h.tcp(0);
      alice.write(`alice\n${passwordOf('alice')}\n${'blocklist\n'.repeat(200)}`);
      alice.socket.end();
      await alice.waitClosed(20_000);
      expect(alice.lines.filter((l) => l === 'You have blocked no one.')).toHaveLength(200);
    });

    it('a client that closes its socket right after writing (no reading, as nc -q0): everything it sent still runs', async () => {
      const bob = await h.wsUser(1, 'bob');
      const alice = await h.tcp(0);
      const COUNT = 40;
      alice.write(`alice\n${passwordOf('alice')}\n${Array.from({ length: COUNT }, (_, i) => `message bob gone ${i}\n`).join('')}`);
      alice.kill();
      const got = await bob.waitMessages(COUNT);
      expect(got.map((m) => m.message.text)).toEqual(Array.from({ length: COUNT }, (_, i) => `gone ${i}`));
    });

    it('a connection half-closed while idle is closed at once (not after the idle timeout)', async () => {
      const alice = await h.tcpUser(0, 'alice');
      alice.socket.end();
      await alice.waitClosed(2_000);
      const prompt = await h.tcp(0);
      await prompt.waitPrompt('Username: ');
      prompt.socket.end();
      await prompt.waitClosed(2_000);
    });
  });
}

describe('TCP end of input keeps the limits', () => {
  const h = useBackend(backends[0]!, { rateLimit: 5, rateBurst: 10 });

  it('input written before the end still meets the rate limit', async () => {
    const alice = await h.tcpUser(0, 'alice');
    alice.write(Array.from({ length: 30 }, () => 'blocklist\n').join(''));
    alice.socket.end();
    await alice.waitClosed(10_000);
    const answered = alice.lines.filter((l) => l === 'You have blocked no one.').length;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(30);
    expect(alice.lines.some((l) => l.startsWith('error RATE_LIMITED'))).toBe(true);
  });
});
