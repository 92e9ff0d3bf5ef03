// TLS on both ports (--tls-cert / --tls-key): the line protocol and HTTPS/WSS
// work over TLS, nothing is readable in clear on either port, and SIGHUP
// swaps the certificate for new handshakes while live sessions carry on.
import { mkdtemp, rename, rm } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { ConfigError, optionsFromEnv, resolveConfig } from '../../../server/config';
import { startServer, TlsConfigError } from '../../../server/index';
import { spawnCliServer, type CliServer } from '../../helpers/cli';
import { TcpClient } from '../../helpers/tcp-client';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { makeTestCert, type TestCert } from '../../helpers/tls';
import { passwordOf, writeUsersFile } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';
import { WsClient } from '../../helpers/ws-client';

let dir: string;
let first: TestCert;
let second: TestCert;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-tls-'));
  first = await makeTestCert(dir, 'first');
  second = await makeTestCert(dir, 'second');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Everything a plain (non-TLS) client receives after sending `request`, until the server closes (bounded). */
async function plainExchange(port: number, request: string): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.write(request);
  await waitUntil(() => closed, 'the TLS port to close a plain connection', 10_000);
  return Buffer.concat(chunks);
}

/** The SHA-256 fingerprint a fresh handshake on `port` sees. */
function peerFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, servername: 'localhost' }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (t: string) => (body += t));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .once('error', reject);
  });
}

describe('TLS on both ports', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ tlsCert: first.certFile, tlsKey: first.keyFile });
  });
  afterAll(() => server.stop());

  it('reports the certificate fingerprint', () => {
    expect(server.server.tlsFingerprint).toBe(first.fingerprint);
  });

  it('serves the line protocol over TLS', async () => {
    const client = await TcpClient.connectTls(server.tcpPort, { ca: first.cert });
    await client.waitLine('Welcome to chat.');
    await client.login('alice', passwordOf('alice'));
    client.send('whoelse');
    await client.waitLine(/online/i);
    client.kill();
  });

  it('a script over TLS that ends its input (half-close) gets every reply before the server closes', async () => {
    const client = await TcpClient.connectTls(server.tcpPort, { ca: first.cert });
    client.write(`alice\n${passwordOf('alice')}\nblocklist\nlogout\n`);
    client.socket.end();
    await client.waitClosed();
    expect(client.lines.slice(-2)).toEqual(['You have blocked no one.', 'Goodbye.']);
  });

  it('serves HTTPS (/healthz) and WSS (/ws) on the HTTP port', async () => {
    const health = await httpsGet(`https://127.0.0.1:${server.wsPort}/healthz`, first.cert);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    const ws = await WsClient.connect(`wss://127.0.0.1:${server.wsPort}/ws`, { ca: first.cert, servername: 'localhost' } as WebSocket.ClientOptions);
    const result = await ws.login('bob', passwordOf('bob'));
    expect(result.username).toBe('bob');
    ws.ws.close();
  });

  it('sends nothing readable to a plain TCP client', async () => {
    const bytes = await plainExchange(server.tcpPort, 'alice\n');
    const text = bytes.toString('latin1');
    expect(text).not.toMatch(/Welcome|Username|chat/);
    // At most a TLS alert record (binary); no run of letters at all.
    expect(text).not.toMatch(/[A-Za-z]{3}/);
  });

  it('sends nothing readable to a plain HTTP client', async () => {
    const bytes = await plainExchange(server.wsPort, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const text = bytes.toString('latin1');
    expect(text).not.toMatch(/HTTP\/1\.1|status|ok/);
    expect(text).not.toMatch(/[A-Za-z]{3}/);
  });

  it('drops a connection whose handshake is not done within 15 s, on both ports', async () => {
    // One silent, one stopped inside its ClientHello: neither is a connection yet, so no other limit would end them.
    const sockets = [server.tcpPort, server.wsPort].flatMap((port) =>
      ['', '\x16\x03\x01\x00\x50'].map((start) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from(start, 'latin1')));
        socket.on('error', () => undefined);
        return socket;
      }),
    );
    const opened = Date.now();
    const lifetimes = sockets.map((socket) => new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened))));
    let timer: NodeJS.Timeout | undefined;
    try {
      const closedAfter = await Promise.race([
        Promise.all(lifetimes),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('a stalled handshake was still open after 25 s')), 25_000))),
      ]);
      for (const ms of closedAfter) expect(ms).toBeGreaterThanOrEqual(14_000);
    } finally {
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
    }
  }, 30_000);
});

describe('TLS configuration', () => {
  it('needs both --tls-cert and --tls-key', () => {
    expect(() => resolveConfig({ tlsCert: first.certFile })).toThrow(ConfigError);
    expect(() => resolveConfig({ tlsKey: first.keyFile })).toThrow(/go together/);
  });

  it('reads CHAT_TLS_CERT and CHAT_TLS_KEY', () => {
    const config = resolveConfig(optionsFromEnv({ CHAT_TLS_CERT: first.certFile, CHAT_TLS_KEY: first.keyFile }));
    expect(config.tlsCert).toBe(first.certFile);
    expect(config.tlsKey).toBe(first.keyFile);
  });

  it('refuses to start with a key that does not match the certificate, or a missing file', async () => {
    const base = { host: '127.0.0.1', port: 0, wsPort: 0, store: 'memory' as const, logLevel: 'silent' as const };
    await expect(startServer({ ...base, tlsCert: first.certFile, tlsKey: second.keyFile })).rejects.toThrow(TlsConfigError);
    await expect(startServer({ ...base, tlsCert: path.join(dir, 'missing.crt'), tlsKey: first.keyFile })).rejects.toThrow(/--tls-cert .*missing\.crt/);
  });
});

describe('--metrics on with TLS', () => {
  it('prints an https:// address for /metrics, where it answers', async () => {
    const dataDir = await mkdtemp(path.join(dir, 'data-'));
    const cli = await spawnCliServer([
      ...['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--no-web-root', '--data', dataDir, '--log-level', 'silent'],
      ...['--tls-cert', first.certFile, '--tls-key', first.keyFile, '--metrics', 'on'],
    ]);
    try {
      expect(cli.stdout).toContain(`Metrics at https://127.0.0.1:${cli.wsPort}/metrics`);
      const metrics = await httpsGet(`https://127.0.0.1:${cli.wsPort}/metrics`, first.cert);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/^chat_sessions 0$/m);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});

describe('the TLS line of the CLI', () => {
  it('suggests an openssl command that works on IPv6 addresses: brackets, and localhost for every interface', async () => {
    for (const [host, shown] of [
      ['::1', '[::1]'],
      ['::', 'localhost'],
    ]) {
      const dataDir = await mkdtemp(path.join(dir, 'data-'));
      const cli = await spawnCliServer([
        ...['--host', host!, '--port', '0', '--ws-port', '0', '--no-web-root', '--data', dataDir, '--log-level', 'silent'],
        ...['--tls-cert', first.certFile, '--tls-key', first.keyFile],
      ]);
      try {
        expect(cli.stdout).toContain(`(try: openssl s_client -quiet -connect ${shown}:${cli.tcpPort})`);
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    }
  });
});

describe('SIGHUP reloads the certificate', () => {
  let cli: CliServer | null = null;
  afterAll(async () => {
    await cli?.stop();
  });

  it('keeps live sessions and serves the new certificate to new handshakes', async () => {
    const dataDir = await mkdtemp(path.join(dir, 'data-'));
    const usersFile = path.join(dataDir, 'clients.txt');
    await writeUsersFile(usersFile);
    // The server reads these paths; the test replaces their contents later.
    const live = await makeTestCert(dir, 'live');
    cli = await spawnCliServer([
      ...['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--no-web-root'],
      ...['--data', dataDir, '--users', usersFile, '--hash-cost', '4', '--rate-limit', '0', '--log-level', 'warn'],
      ...['--tls-cert', live.certFile, '--tls-key', live.keyFile],
    ]);
    expect(cli.stdout).toMatch(/WebSocket listening on wss:\/\//);
    expect(cli.stdout).toContain(`TLS certificate SHA-256 fingerprint: ${live.fingerprint}`);
    const tcpPort = cli.tcpPort!;
    const wsPort = cli.wsPort!;
    expect(await peerFingerprint(wsPort)).toBe(live.fingerprint);

    const alice = await WsClient.connect(`wss://127.0.0.1:${wsPort}/ws`, { rejectUnauthorized: false });
    await alice.login('alice', passwordOf('alice'));
    const bob = await TcpClient.connectTls(tcpPort, { rejectUnauthorized: false });
    await bob.login('bob', passwordOf('bob'));

    // A renewal: new files in place (renamed over the old, as certbot-style tools do), then SIGHUP.
    const renewed = await makeTestCert(dir, 'renewed');
    await rename(renewed.certFile, live.certFile);
    await rename(renewed.keyFile, live.keyFile);
    // The start-up lines name the process to signal: this one, not a wrapper around it.
    const pid = Number(/kill -HUP (\d+)/.exec(cli.stdout)?.[1]);
    expect(pid).toBe(cli.child.pid);
    process.kill(pid, 'SIGHUP');
    await waitUntil(() => cli!.stdout.includes(`TLS certificate reloaded (SHA-256 ${renewed.fingerprint})`), 'the reload message', 15_000);

    expect(await peerFingerprint(wsPort)).toBe(renewed.fingerprint);
    expect(await peerFingerprint(tcpPort)).toBe(renewed.fingerprint);
    // Both sessions survived: they still exchange messages on their old connections.
    expect(alice.closed).toBeNull();
    await alice.request({ type: 'message', to: 'bob', text: 'still here' });
    await bob.waitLine(/alice \(private\): still here/);
    bob.send('message alice me too');
    const got = await alice.waitEvent('message');
    expect(got.message.text).toBe('me too');
    alice.ws.close();
    bob.kill();
  });

  it('keeps the current certificate when the new files are unusable', async () => {
    expect(cli).not.toBeNull();
    const wsPort = cli!.wsPort!;
    const before = await peerFingerprint(wsPort);
    const broken = await makeTestCert(dir, 'broken');
    // A key that doesn't match the certificate in place: the reload is refused.
    await rename(broken.keyFile, path.join(dir, 'live.key'));
    cli!.child.kill('SIGHUP');
    await waitUntil(() => cli!.stderr.includes('TLS certificate not reloaded'), 'the refusal', 15_000);
    expect(await peerFingerprint(wsPort)).toBe(before);
  });
});
