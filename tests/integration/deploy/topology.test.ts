// The compose topology, run for real without Docker: two server nodes started
// from the runtime files the image contains (scripts/assemble-runtime.mjs, the
// bundled server), on PostgreSQL + Redis, behind nginx running compose.yaml's
// own proxy configuration (rewritten only to local ports). Clients use only the
// proxy: the web client's files and WebSocket on its HTTP port, the line
// protocol on its TCP port; and the image's health check probes the nodes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, runCli, spawnCliServer, type CliServer } from '../../helpers/cli';
import { composeNginxConfigPath, describeWithNginx, freePort, renderNginxConfig, startNginx, type RunningNginx } from '../../helpers/deploy';
import { createTestKeyPrefix, createTestSchema, describeWithServices } from '../../helpers/services';
import { TcpClient } from '../../helpers/tcp-client';
import { WsClient } from '../../helpers/ws-client';

/** The nginx binary, set when the suites are declared (describeWithNginx found one). */
let nginx: string | undefined;
const ASSET = 'assets/index-Tq8yR2aZ.js';
const SCRIPT = `console.log(${JSON.stringify('chat '.repeat(1000))});\n`;

function get(
  port: number,
  urlPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

async function sessionsOn(node: CliServer): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${node.wsPort}/healthz`);
  return ((await res.json()) as { sessions: number }).sessions;
}

const body = ({ postgresUrl, redisUrl }: { postgresUrl: string; redisUrl: string }) => {
  let dir: string;
  let runtime: string;
  let drop: () => Promise<void>;
  let clear: () => Promise<void>;
  const nodes: CliServer[] = [];
  let proxy: RunningNginx;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'chat-topology-'));
    // The image's build steps: bundle the server, assemble the runtime (here with a small web client).
    const web = path.join(dir, 'web');
    await mkdir(path.join(web, 'assets'), { recursive: true });
    await writeFile(path.join(web, 'index.html'), `<!doctype html><title>chat</title><script type="module" src="./${ASSET}"></script>`);
    await writeFile(path.join(web, ASSET), SCRIPT);
    const build = spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    runtime = path.join(dir, 'app');
    const assemble = spawnSync(process.execPath, ['scripts/assemble-runtime.mjs', runtime, '--renderer', web], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(assemble.status, assemble.stderr).toBe(0);

    const schema = await createTestSchema(postgresUrl);
    const keys = createTestKeyPrefix(redisUrl);
    drop = schema.drop;
    clear = keys.clear;
    const users = path.join(dir, 'clients.txt');
    await writeFile(users, 'alice alice-pw\nbob bob-pw\ncarol carol-pw\n', { mode: 0o600 });
    // As in compose.yaml: the image's environment plus the database and Redis URLs.
    const env = (n: number): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      CHAT_DATA_DIR: path.join(dir, `chat${n}-data`),
      CHAT_LOG_FORMAT: 'json',
      CHAT_POSTGRES_URL: postgresUrl,
      CHAT_REDIS_URL: redisUrl,
      // On the public HTTP port here (compose uses a port of its own), to prove the proxy keeps it in.
      CHAT_METRICS: 'on',
    });
    const args = [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--ws-port',
      '0',
      '--postgres-schema',
      schema.schema,
      '--redis-prefix',
      keys.prefix,
      '--hash-cost',
      '4',
      // The shared test accounts' passwords are short ("bob-pw").
      '--min-password-length',
      '6',
      '--rate-limit',
      '0',
    ];
    const entry = [path.join(runtime, 'dist/server/cli.cjs')];
    nodes.push(await spawnCliServer([...args, '--users', users], { entry, env: env(1), cwd: runtime }));
    nodes.push(await spawnCliServer(args, { entry, env: env(2), cwd: runtime }));

    const ports = { httpPort: await freePort(), tcpPort: await freePort() };
    const config = renderNginxConfig(readFileSync(composeNginxConfigPath(), 'utf8'), {
      ...ports,
      nodes: nodes.map((n) => ({ tcpPort: n.tcpPort!, wsPort: n.wsPort! })),
    });
    proxy = await startNginx(nginx!, config, ports);
  }, 90_000);

  afterAll(async () => {
    await proxy?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    await drop?.();
    await clear?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the web client through the proxy, compressed and with the node cache headers', async () => {
    const index = await get(proxy.httpPort, '/');
    expect(index.status).toBe(200);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body.toString()).toContain(ASSET);
    const asset = await get(proxy.httpPort, `/${ASSET}`, { 'accept-encoding': 'gzip, br' });
    expect(asset.headers['content-encoding']).toBe('br');
    expect(asset.headers.vary).toBe('Accept-Encoding');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(zlib.brotliDecompressSync(asset.body).toString()).toBe(SCRIPT);
    expect((await get(proxy.httpPort, '/healthz')).status).toBe(200);
    expect((await get(proxy.httpPort, '/readyz')).status).toBe(200);
    // A node's metrics: there on the node, not through the proxy.
    expect((await get(nodes[0]!.wsPort!, '/metrics')).status).toBe(200);
    expect((await get(proxy.httpPort, '/metrics')).status).toBe(404);
  });

  it('WebSocket through the proxy: two users land on different nodes and talk across them', async () => {
    const url = `ws://127.0.0.1:${proxy.httpPort}/ws`;
    const alice = await WsClient.connect(url);
    await alice.login('alice', 'alice-pw');
    const bob = await WsClient.connect(url);
    await bob.login('bob', 'bob-pw');
    // least_conn with a shared zone: the second connection goes to the idle node.
    expect([await sessionsOn(nodes[0]!), await sessionsOn(nodes[1]!)]).toEqual([1, 1]);
    await alice.request({ type: 'message', to: 'bob', text: 'through nginx' });
    const [m] = await bob.waitMessages(1);
    expect(m!.message).toMatchObject({ from: 'alice', text: 'through nginx' });
    alice.close();
    bob.close();
    await Promise.all([alice.waitClosed(), bob.waitClosed()]);
  });

  it('the TCP line protocol passes through the stream proxy', async () => {
    const alice = await WsClient.connect(`ws://127.0.0.1:${proxy.httpPort}/ws`);
    await alice.login('alice', 'alice-pw');
    const carol = await TcpClient.connect(proxy.tcpPort);
    await carol.login('carol', 'carol-pw');
    carol.send('message alice hello from nc');
    await carol.waitLine('Sent to alice.');
    const [m] = await alice.waitMessages(1);
    expect(m!.message).toMatchObject({ from: 'carol', text: 'hello from nc' });
    await alice.request({ type: 'message', to: 'carol', text: 'hi carol' });
    await carol.waitLine(/alice \(private\): hi carol$/);
    carol.close();
    alice.close();
  });

  it('a script that half-closes its side (printf ... | nc -N) still reads the answers through the stream proxy', async () => {
    // As nc -N: every line, then end of input (a TCP FIN), then read until the server closes.
    const socket = net.connect(proxy.tcpPort, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (text: string) => (received += text));
    const closed = new Promise<void>((resolve, reject) => {
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
    socket.end('carol\ncarol-pw\nwhoelse\nlogout\n');
    await closed;
    expect(received).toContain('Welcome, carol!');
    expect(received).toContain('Goodbye.');
  });

  it("the image's health check passes on a running node and fails on a stopped one; the proxy keeps serving", async () => {
    const check = (node: CliServer) =>
      runCli([], {
        entry: [path.join(runtime, 'healthcheck.mjs')],
        env: { PATH: process.env.PATH, CHAT_WS_PORT: String(node.wsPort) },
        cwd: runtime,
      });
    expect((await check(nodes[0]!)).code).toBe(0);
    expect(await nodes[1]!.stop()).toBe(0);
    const failed = await check(nodes[1]!);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^healthcheck: http:\/\/127\.0\.0\.1:\d+\/healthz: /);
    // nginx takes the stopped node out after a failed attempt; sign-ins keep working.
    for (let i = 0; i < 3; i++) {
      const client = await WsClient.connect(`ws://127.0.0.1:${proxy.httpPort}/ws`);
      await client.login('bob', 'bob-pw');
      client.close();
      await client.waitClosed();
    }
  });
};

await describeWithNginx('compose topology', 'apt-get install nginx libnginx-mod-stream', async (found) => {
  nginx = found;
  await describeWithServices('compose topology: nginx + two nodes from the runtime bundle', ['postgres', 'redis'], body);
});
