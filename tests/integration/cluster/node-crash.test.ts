// A node killed with SIGKILL in the middle of a conversation: nothing that was
// acknowledged to a sender may be lost, its users must show offline within
// 15 s and be able to sign in on a surviving node.
// The victim runs as a child process (the real CLI); the survivors in-process.
// Needs CHAT_TEST_POSTGRES_URL and CHAT_TEST_REDIS_URL.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventOf } from '../../../server/protocol';
import { startCluster, type Cluster } from '../../helpers/cluster';
import { describeWithServices } from '../../helpers/services';
import { accounts } from '../../helpers/users';
import { WsClient } from '../../helpers/ws-client';

const USERS = accounts('carol', 'dave', 'erin');
/** The product promise: a dead node's users show offline within this long. */
const OFFLINE_WITHIN_MS = 15_000;
const BURST = 20;

type MessageEvent = EventOf<'message'>;

/** Sends `count` messages without waiting; resolves with the texts whose send was acknowledged (ok reply). */
async function burst(client: WsClient, to: string, prefix: string, count: number): Promise<{ acked: string[]; all: string[] }> {
  const all = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  // A reply cut off by the crash never comes: give up on it after 4 s.
  const replies = await Promise.allSettled(all.map((text) => client.send({ type: 'message', to, text }, 4_000)));
  const acked = all.filter((_, i) => {
    const r = replies[i]!;
    return r.status === 'fulfilled' && r.value.ok;
  });
  return { acked, all };
}

/**
 * Signs `user` in on `url`, resuming after `afterSeq`, and collects the replay:
 * everything up to the last of `expected` (texts that must arrive) that is not yet seen.
 */
async function reconnect(url: string, user: string, afterSeq: number, expected: readonly string[]): Promise<{ client: WsClient; replay: MessageEvent[] }> {
  const client = await WsClient.connect(url);
  const login = await client.login(user, USERS[user as keyof typeof USERS], { resumeFrom: afterSeq });
  expect(login.resumeFrom).toBe(afterSeq);
  const replay: MessageEvent[] = [];
  const missing = new Set(expected);
  while (missing.size > 0) {
    const [m] = await client.waitMessages(1, 10_000);
    replay.push(m!);
    missing.delete(m!.message.text);
  }
  return { client, replay };
}

function seqsIncreasing(events: readonly MessageEvent[]): boolean {
  return events.every((e, i) => i === 0 || e.seq > events[i - 1]!.seq);
}

await describeWithServices('Cluster: a node dies with SIGKILL mid-conversation', ['postgres', 'redis'], () => {
  let cluster: Cluster;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, users: USERS });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.close();
  });

  it('loses no acknowledged message, shows the users offline within 15 s and lets them in elsewhere', { timeout: 90_000 }, async () => {
    const victim = await cluster.spawnNode();
    const [survivorA, survivorB] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];

    const carol = await WsClient.connect(victim.wsUrl);
    clients.push(carol);
    await carol.login('carol', USERS.carol);
    const dave = await WsClient.connect(survivorA.wsUrl);
    clients.push(dave);
    await dave.login('dave', USERS.dave);
    const erin = await WsClient.connect(survivorB.wsUrl);
    clients.push(erin);
    await erin.login('erin', USERS.erin);
    await erin.request({ type: 'watch', users: ['carol'] });

    // A calm exchange first: the victim node works like any other.
    await carol.request({ type: 'message', to: 'dave', text: 'hello from the doomed node' });
    const [daveFirstMessage] = await dave.waitMessages(1);
    expect(daveFirstMessage!.message.text).toBe('hello from the doomed node');
    const daveFirst = daveFirstMessage!.seq;
    await dave.request({ type: 'message', to: 'carol', text: 'hello back' });
    const [carolFirstMessage] = await carol.waitMessages(1);
    expect(carolFirstMessage!.message.text).toBe('hello back');
    const carolFirst = carolFirstMessage!.seq;
    // Both consumed one message above; what follows comes after its position.
    const daveLive: MessageEvent[] = [];
    const carolLive: MessageEvent[] = [];

    // Both talk at once; the victim is killed once a few of carol's messages reached dave,
    // so the crash lands mid-stream (the rest of her burst is still in flight).
    const fromCarol = burst(carol, 'dave', 'c', BURST);
    const fromDave = burst(dave, 'carol', 'd', BURST);
    const deadline = Date.now() + 10_000;
    while (dave.events.filter((e) => e.event === 'message').length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await victim.kill();
    const killedAt = Date.now();

    const [carolSent, daveSent] = await Promise.all([fromCarol, fromDave]);
    // Dave's node lived: every one of his sends was acknowledged.
    expect(daveSent.acked).toEqual(daveSent.all);
    expect(carolSent.acked.length).toBeGreaterThanOrEqual(1);

    // Erin (third node) sees carol go offline within the promised time.
    const offline = await erin.waitEvent('presence', (e) => e.user === 'carol' && !e.online, OFFLINE_WITHIN_MS);
    expect(offline.at - killedAt).toBeLessThanOrEqual(OFFLINE_WITHIN_MS);
    expect((await erin.request({ type: 'whoelse' })).users).not.toContain('carol');

    // Carol signs in on a surviving node and resumes after what she had received live.
    carolLive.push(...carol.takeMessages());
    expect(seqsIncreasing(carolLive)).toBe(true);
    const carolLastLive = carolLive.at(-1)?.seq ?? carolFirst;
    const carolSeen = new Set(carolLive.map((m) => m.message.text));
    const carolBack = await reconnect(
      survivorB.wsUrl,
      'carol',
      carolLastLive,
      daveSent.acked.filter((t) => !carolSeen.has(t)),
    );
    clients.push(carolBack.client);

    // Dave reconnects too (to the other survivor), resuming after his last live message.
    daveLive.push(...dave.takeMessages());
    expect(seqsIncreasing(daveLive)).toBe(true);
    const daveLastLive = daveLive.at(-1)?.seq ?? daveFirst;
    dave.close();
    let daveBack: Awaited<ReturnType<typeof reconnect>> | null = null;
    // Dave's old session on node A ends asynchronously after close; retry briefly.
    for (let i = 0; i < 50 && daveBack === null; i++) {
      try {
        const daveSeen = new Set(daveLive.map((m) => m.message.text));
        daveBack = await reconnect(
          survivorB.wsUrl,
          'dave',
          daveLastLive,
          carolSent.acked.filter((t) => !daveSeen.has(t)),
        );
      } catch (err) {
        if (!String(err).includes('ALREADY_SIGNED_IN')) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(daveBack).not.toBeNull();
    clients.push(daveBack!.client);

    const carolGot = [...carolLive, ...carolBack.replay];
    const daveGot = [...daveLive, ...daveBack!.replay];
    // Every acknowledged message arrived, exactly once, in position order (seq = message id).
    expect(carolGot.map((m) => m.message.text)).toEqual(expect.arrayContaining(daveSent.acked));
    expect(daveGot.map((m) => m.message.text)).toEqual(expect.arrayContaining(carolSent.acked));
    for (const got of [carolGot, daveGot]) {
      expect(seqsIncreasing(got)).toBe(true);
      expect(got.every((m) => m.seq === m.message.id)).toBe(true);
      expect(new Set(got.map((m) => m.message.id)).size).toBe(got.length);
    }
  });
});
