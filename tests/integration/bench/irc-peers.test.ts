// The benchmark's IRC peers for real: each installed peer starts from its
// generated config with the PID of the server itself (what CPU and RSS are read
// from), registers the load generator's clients, fans a PRIVMSG out to a
// channel and routes one to a nick, and stops cleanly. A peer that is not
// installed is skipped, with how to install it in the test name; in CI (where
// .ci/run installs both) it fails instead.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BenchClient } from '../../bench/bench-client';
import { PEER_NAMES, findPeer, startPeer, type PeerProcess } from '../../bench/peers';
import { benchText, parseBenchText } from '../../bench/stats';
import { servicesRequired } from '../../helpers/services';

function nextDelivery(client: BenchClient): Promise<string> {
  return new Promise((resolve) => {
    client.onDelivery = (text) => resolve(text);
  });
}

for (const name of PEER_NAMES) {
  const found = findPeer(name);
  if (!found.available && servicesRequired()) {
    describe(`bench peer ${name}`, () => {
      it('is installed (CI or CHAT_TEST_REQUIRE_SERVICES=1)', () => {
        throw new Error(found.reason);
      });
    });
    continue;
  }
  describe.skipIf(!found.available)(`bench peer ${name}${found.available ? '' : ` (skipped: ${found.reason})`}`, () => {
    let peer: PeerProcess | null = null;
    const clients: BenchClient[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await peer?.stop();
      peer = null;
    });

    it('runs as the measured PID and carries channel and private messages', async () => {
      if (!found.available) return;
      peer = await startPeer(found, { connections: 10, fdLimit: 1024 });
      // setpriv and the shell exec into the server, so this PID is the server's own.
      expect(readFileSync(`/proc/${peer.pid}/comm`, 'utf8').trim()).toBe(name);
      const connect = async (nick: string) => {
        const c = await BenchClient.connect({ transport: 'irc', host: '127.0.0.1', port: peer!.port, connectTimeoutMs: 10_000 });
        clients.push(c);
        await c.login(nick, 'unused');
        await c.join('#bench');
        return c;
      };
      const alice = await connect('alice');
      const bob = await connect('bob');
      const toChannel = nextDelivery(bob);
      alice.broadcast(benchText(0, 42));
      expect(parseBenchText(await toChannel)).toEqual({ n: 0, sentUs: 42 });
      const toNick = nextDelivery(alice);
      bob.private('alice', benchText(1, 43));
      expect(parseBenchText(await toNick)).toEqual({ n: 1, sentUs: 43 });
      const refusals: string[] = [];
      alice.onReply = (ok, code) => {
        if (!ok) refusals.push(code ?? '');
      };
      alice.private('nobody-here', 'x');
      await expect.poll(() => refusals).toEqual(['IRC_401']);
      const pid = peer.pid;
      await peer.stop();
      peer = null;
      expect(() => process.kill(pid, 0)).toThrow();
    }, 20_000);
  });
}
