// A cluster whose Redis goes away and comes back (a redis-server of this
// test's own, killed and restarted empty, as a crashed Redis without
// persistence would be): requests that need Redis are refused promptly with
// SERVER_BUSY and store nothing, what needs only PostgreSQL keeps working, and
// once Redis is back the nodes take their sessions up again (one session per
// user still holds). A node cut off from Redis alone, while the others still
// store messages for its users, hands those over once it is back.
import { afterEach, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../helpers/cluster';
import { TcpProxy } from '../../helpers/tcp-proxy';
import { freePort, startRedis, stopRedis } from '../../helpers/redis-server';
import { describeWithServices } from '../../helpers/services';
import { USERS } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';
import { WsClient } from '../../helpers/ws-client';

/** A refusal must come within the bus's command timeout (2 s) plus slack, not after ioredis's reconnect retries. */
const REFUSED_WITHIN_MS = 4_000;

await describeWithServices('Cluster: a Redis outage', ['postgres', 'redis'], () => {
  let cluster: Cluster | undefined;
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let proxy: TcpProxy | undefined;
  const clients: WsClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await cluster?.close();
    cluster = undefined;
    await proxy?.cut();
    proxy = undefined;
    if (redis) await stopRedis(redis);
    redis = undefined;
  });

  /** Two nodes on the shared Redis, the second through `proxy`, which the test cuts and opens again. */
  async function twoNodesOneCuttable() {
    const shared = new URL(process.env.CHAT_TEST_REDIS_URL!);
    proxy = new TcpProxy({ host: shared.hostname, port: Number(shared.port || 6379) });
    await proxy.open();
    cluster = await startCluster({ nodes: 1 });
    const proxied = new URL(shared);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const direct = cluster.nodes[0]!;
    const cuttable = await cluster.addNode({ redisUrl: proxied.toString() });
    return { direct, cuttable, link: proxy };
  }

  async function signIn(url: string, user: keyof typeof USERS): Promise<WsClient> {
    const c = await WsClient.connect(url);
    clients.push(c);
    await c.login(user, USERS[user]);
    return c;
  }

  it('refuses what needs Redis with SERVER_BUSY at once, stores nothing, and recovers when Redis is back', { timeout: 90_000 }, async () => {
    const port = await freePort();
    redis = await startRedis(port);
    cluster = await startCluster({ nodes: 2, options: { redisUrl: `redis://127.0.0.1:${port}` } });
    const [a, b] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0]];
    const alice = await signIn(a.wsUrl, 'alice');
    const bob = await signIn(b.wsUrl, 'bob');
    await alice.request({ type: 'message', to: 'bob', text: 'before' });
    await bob.waitMessages(1);

    await stopRedis(redis);
    const refusals: { what: string; code: string; retryAfter: number | undefined; ms: number }[] = [];
    const expectRefused = async (what: string, client: WsClient, command: Parameters<WsClient['expectError']>[0]) => {
      const started = Date.now();
      const error = await client.expectError(command);
      refusals.push({ what, code: error.code, retryAfter: error.retryAfter, ms: Date.now() - started });
    };
    await expectRefused('message', alice, { type: 'message', to: 'bob', text: 'during' });
    await expectRefused('whoelse', bob, { type: 'whoelse' });
    const carol = await WsClient.connect(b.wsUrl);
    clients.push(carol);
    await expectRefused('login', carol, { type: 'login', username: 'carol', password: USERS.carol });
    for (const r of refusals) {
      expect(r, r.what).toMatchObject({ code: 'SERVER_BUSY', retryAfter: expect.any(Number) });
      expect(r.ms, `${r.what} answered after ${r.ms} ms`).toBeLessThan(REFUSED_WITHIN_MS);
    }
    // PostgreSQL alone still answers history.
    const during = await bob.request({ type: 'history', with: 'alice' });
    expect(during.messages.map((m) => m.text)).toEqual(['before']);

    redis = await startRedis(port);
    // Each node claims its sessions again at its next heartbeat (the restarted Redis is empty).
    await waitUntil(
      async () => {
        const reply = await bob.send({ type: 'whoelse' });
        return reply.ok && (reply.result as { users: string[] }).users.includes('alice');
      },
      'alice to be online again in Redis',
      20_000,
      200,
    );
    const second = await WsClient.connect(b.wsUrl);
    clients.push(second);
    expect((await second.expectError({ type: 'login', username: 'alice', password: USERS.alice })).code).toBe('ALREADY_SIGNED_IN');

    await alice.request({ type: 'message', to: 'bob', text: 'after' });
    const [after] = await bob.waitMessages(1, 15_000);
    expect(after!.message.text).toBe('after');
    const history = await bob.request({ type: 'history', with: 'alice' });
    expect(history.messages.map((m) => m.text).sort()).toEqual(['after', 'before']);
    await carol.login('carol', USERS.carol);
  });

  it('a node cut off from Redis for a moment hands over, once back, what another node stored for its users meanwhile', { timeout: 60_000 }, async () => {
    const { direct: a, cuttable: b, link } = await twoNodesOneCuttable();
    const alice = await signIn(a.wsUrl, 'alice');
    const bob = await signIn(b.wsUrl, 'bob');
    await alice.request({ type: 'message', to: 'bob', text: 'before' });
    expect((await bob.waitMessages(1))[0]!.message.text).toBe('before');

    await link.cut();
    // Bob's claim outlives the cut (its TTL), so node A stores and acknowledges
    // this message and publishes it, but node B is not subscribed to hear it.
    await alice.request({ type: 'message', to: 'bob', text: 'while cut off' });
    await link.open();
    // No later message comes to carry it along: node B re-reads the store when it subscribes again.
    const [missed] = await bob.waitMessages(1, 15_000);
    expect(missed!.message.text).toBe('while cut off');
  });

  it('a block made on a node cut off from Redis is enforced on every node once it is back', { timeout: 60_000 }, async () => {
    const { direct: b, cuttable: a, link } = await twoNodesOneCuttable();
    const alice = await signIn(a.wsUrl, 'alice');
    const carol = await signIn(b.wsUrl, 'carol');
    const dave = await signIn(b.wsUrl, 'dave');
    // Node B now has carol's blockers (nobody) cached.
    await carol.request({ type: 'message', to: 'alice', text: 'hello' });
    await alice.waitMessages(1);

    await link.cut();
    // Stored in PostgreSQL; the notice to the other nodes cannot go out now.
    await alice.request({ type: 'block', user: 'carol' });
    await link.open();
    // Node A reaches Redis again (whoelse answers) ...
    await waitUntil(async () => (await alice.send({ type: 'whoelse' })).ok, 'node A to reach Redis again', 15_000, 100);
    // ... and hears node B again (its subscription is back) once dave's typing notice reaches alice.
    let heard = false;
    for (let i = 0; i < 15 && !heard; i++) {
      const typed = await dave.send({ type: 'typing', with: 'alice' });
      if (!typed.ok && typed.error.code !== 'RATE_LIMITED' && typed.error.code !== 'SERVER_BUSY') throw new Error(typed.error.code);
      heard = await alice
        .waitEvent('typing', (e) => e.from === 'dave', 2_100)
        .then(
          () => true,
          () => false,
        );
    }
    expect(heard).toBe(true);
    expect((await carol.expectError({ type: 'message', to: 'alice', text: 'after the block' })).code).toBe('BLOCKED');
  });
});
