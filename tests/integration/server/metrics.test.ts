// /metrics (Prometheus text) and /readyz on a real node: what the figures say
// after real traffic, where --metrics exposes them, and readiness that follows
// the store and the bus (a PostgreSQL reached through a proxy we cut, a Redis
// of our own that we kill and restart).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/index';
import { startCluster, type Cluster } from '../../helpers/cluster';
import { TcpProxy } from '../../helpers/tcp-proxy';
import { freePort, startRedis, stopRedis } from '../../helpers/redis-server';
import { createTestSchema, describeWithServices } from '../../helpers/services';
import { TcpClient } from '../../helpers/tcp-client';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { waitUntil } from '../../helpers/wait';
import { WsClient } from '../../helpers/ws-client';

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** The value of one sample line (`name{labels} value`) in an exposition, or null when absent. */
function sample(text: string, series: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

describe('/metrics on one SQLite node (--metrics on)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ metrics: 'on', rateLimit: 1, rateBurst: 3 });
  });
  afterAll(() => srv.stop());

  it('counts connections by transport, sessions, messages by kind, latencies and rate-limit refusals', async () => {
    const bob = await WsClient.connect(srv.wsUrl);
    await bob.login('bob', 'bob-pw');
    const alice = await TcpClient.connect(srv.tcpPort);
    await alice.login('alice', 'alice-pw');
    alice.send('message bob hello bob');
    await alice.waitLine('Sent to bob.');
    await bob.waitMessages(1);
    // The burst is 3 and one token came back per second at most: a quick run of pings overflows it.
    const replies = await Promise.all(Array.from({ length: 6 }, () => bob.send({ type: 'whoelse' })));
    expect(replies.some((r) => !r.ok && r.error.code === 'RATE_LIMITED')).toBe(true);

    const { status, type, body } = await get(`${srv.httpUrl}metrics`);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE chat_connections gauge');
    expect(sample(body, 'chat_connections{transport="tcp"}')).toBe(1);
    expect(sample(body, 'chat_connections{transport="ws"}')).toBe(1);
    expect(sample(body, 'chat_sessions')).toBe(2);
    expect(sample(body, 'chat_messages_total{kind="private"}')).toBe(1);
    expect(sample(body, 'chat_delivery_latency_seconds_count')).toBe(1);
    expect(sample(body, 'chat_store_commit_seconds_count{operation="messages.saveMessage"}')).toBe(1);
    expect(sample(body, 'chat_store_commit_seconds_count{operation="accounts.recordLogin"}')).toBe(2);
    expect(sample(body, 'chat_hash_queue_depth')).toBe(0);
    expect(sample(body, 'chat_sign_ins_total{result="ok"}')).toBe(2);
    expect(sample(body, 'chat_rate_limited_total{transport="ws"}')).toBeGreaterThanOrEqual(1);
    expect(body).toContain('# TYPE chat_bus_lag_seconds histogram');
    expect(sample(body, 'chat_bus_lag_seconds_count')).toBe(0);
    expect(body).toContain('chat_process_resident_memory_bytes');

    alice.close();
    bob.close();
    await waitUntil(async () => sample((await get(`${srv.httpUrl}metrics`)).body, 'chat_sessions') === 0, 'sessions to drop to 0');
  });

  it('/readyz answers 200 with the store and the bus checked', async () => {
    const ready = await get(`${srv.httpUrl}readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { store: 'ok', bus: 'ok' } });
  });
});

describe('where metrics are served', () => {
  it('off by default: the public HTTP port has no /metrics, but /readyz', async () => {
    const srv = await startTestServer();
    try {
      expect((await get(`${srv.httpUrl}metrics`)).status).toBe(404);
      expect((await get(`${srv.httpUrl}readyz`)).status).toBe(200);
      expect(srv.server.metricsPort).toBeNull();
    } finally {
      await srv.stop();
    }
  });

  it('--metrics HOST:PORT: a listener of its own, and nothing on the public port', async () => {
    const srv = await startTestServer({ metrics: '127.0.0.1:0' });
    try {
      const port = srv.server.metricsPort;
      expect(port).toBeGreaterThan(0);
      const own = await get(`http://127.0.0.1:${port}/metrics`);
      expect(own.status).toBe(200);
      expect(own.body).toContain('chat_sessions 0');
      // Before any traffic every documented series is there at 0, not missing.
      for (const kind of ['private', 'broadcast', 'group']) expect(sample(own.body, `chat_messages_total{kind="${kind}"}`)).toBe(0);
      for (const result of ['ok', 'failed', 'locked']) expect(sample(own.body, `chat_sign_ins_total{result="${result}"}`)).toBe(0);
      for (const transport of ['tcp', 'ws']) expect(sample(own.body, `chat_rate_limited_total{transport="${transport}"}`)).toBe(0);
      expect((await get(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      expect((await get(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(404);
      expect((await get(`${srv.httpUrl}metrics`)).status).toBe(404);
    } finally {
      await srv.stop();
    }
  });

  it('refuses a malformed --metrics value with a clear message', async () => {
    await expect(startServer({ metrics: 'everywhere', port: 0, wsPort: 0, logLevel: 'silent' })).rejects.toThrow(/metrics.*off, on or HOST:PORT/);
  });
});

await describeWithServices('/readyz and /metrics on a cluster', ['postgres', 'redis'], ({ postgresUrl }) => {
  it('bus lag is measured on the receiving node', async () => {
    const cluster: Cluster = await startCluster({ nodes: 2, options: { metrics: 'on' } });
    try {
      const [a, b] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0]];
      const bob = await WsClient.connect(b.wsUrl);
      await bob.login('bob', 'bob-pw');
      const alice = await WsClient.connect(a.wsUrl);
      await alice.login('alice', 'alice-pw');
      await alice.request({ type: 'message', to: 'bob', text: 'across nodes' });
      await bob.waitMessages(1);
      const body = (await get(`http://127.0.0.1:${b.wsPort}/metrics`)).body;
      expect(sample(body, 'chat_bus_lag_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(sample(body, 'chat_delivery_latency_seconds_count')).toBe(1);
      const sender = (await get(`http://127.0.0.1:${a.wsPort}/metrics`)).body;
      expect(sample(sender, 'chat_messages_total{kind="private"}')).toBe(1);
      alice.close();
      bob.close();
    } finally {
      await cluster.close();
    }
  });

  it('503 while PostgreSQL or Redis is unreachable, 200 again once they are back', async () => {
    const pgUrl = new URL(postgresUrl);
    const proxy = new TcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    await proxy.open();
    const proxied = new URL(postgresUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const schema = await createTestSchema(postgresUrl);
    const redisPort = await freePort();
    let redis = await startRedis(redisPort);
    let server: RunningServer | null = null;
    try {
      server = await startServer({
        host: '127.0.0.1',
        port: 0,
        wsPort: 0,
        postgresUrl: proxied.toString(),
        postgresSchema: schema.schema,
        // With credentials (this Redis takes any password for its default user): /readyz must never show them.
        redisUrl: `redis://default:s3cret-pw@127.0.0.1:${redisPort}`,
        logLevel: 'silent',
        hashCost: 4,
        webRoot: null,
      });
      const readyz = `http://127.0.0.1:${server.wsPort}/readyz`;
      const state = async () => {
        const r = await get(readyz);
        return { status: r.status, checks: (JSON.parse(r.body) as { checks: Record<string, string> }).checks };
      };
      expect(await state()).toEqual({ status: 200, checks: { store: 'ok', bus: 'ok' } });

      await stopRedis(redis);
      await waitUntil(async () => (await state()).status === 503, '/readyz to fail without Redis', 15_000, 200);
      const down = await state();
      expect(down.checks.store).toBe('ok');
      // In an operator's words: which Redis, and why (first the lost connection, then each refused reconnect).
      expect(down.checks.bus).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${redisPort} is unreachable: (connection lost|connection refused)$`));
      await waitUntil(
        async () => (await state()).checks.bus === `Redis at 127.0.0.1:${redisPort} is unreachable: connection refused`,
        '/readyz to say the connection is refused',
        15_000,
        200,
      );
      expect((await get(readyz)).body).not.toContain('s3cret');
      // Liveness is not readiness: the process itself is fine.
      expect((await get(`http://127.0.0.1:${server.wsPort}/healthz`)).status).toBe(200);

      redis = await startRedis(redisPort);
      await waitUntil(async () => (await state()).status === 200, '/readyz to recover with Redis back', 20_000, 200);

      await proxy.cut();
      await waitUntil(async () => (await state()).status === 503, '/readyz to fail without PostgreSQL', 15_000, 200);
      const noDb = await state();
      expect(noDb.checks.store).not.toBe('ok');
      expect(noDb.checks.bus).toBe('ok');

      await proxy.open();
      await waitUntil(async () => (await state()).status === 200, '/readyz to recover with PostgreSQL back', 20_000, 200);
    } finally {
      await server?.close().catch(() => undefined);
      await stopRedis(redis);
      await proxy.cut();
      await schema.drop();
    }
  }, 90_000);
});
