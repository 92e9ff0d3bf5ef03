// WebSocket upgrades and the Origin header: pages of other sites (any page the
// user opens) must not drive the server; native clients send no Origin.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, optionsFromEnv, resolveConfig } from '../../../server/config';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { passwordOf } from '../../helpers/users';
import { WsClient } from '../../helpers/ws-client';

/** The status line of a raw upgrade request with these headers (101 = accepted). */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      port,
      host: '127.0.0.1',
      path: '/ws',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (t: string) => (body += t));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('WebSocket Origin check', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ allowedOrigins: ['https://chat.example.com', 'http://localhost:5173'] });
  });
  afterAll(() => server.stop());

  it('refuses a page of another site with 403', async () => {
    const refused = await upgradeStatus(server.wsPort, { Origin: 'http://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/Origin not allowed/);
    await expect(WsClient.connect(server.wsUrl, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });

  it('refuses an opaque origin ("null": sandboxed frames, file:// pages) and look-alike hosts', async () => {
    expect((await upgradeStatus(server.wsPort, { Origin: 'null' })).status).toBe(403);
    expect((await upgradeStatus(server.wsPort, { Origin: `http://127.0.0.1.evil.example:${server.wsPort}` })).status).toBe(403);
    // Same host name, other port: another origin.
    expect((await upgradeStatus(server.wsPort, { Origin: `http://127.0.0.1:${server.wsPort + 1}` })).status).toBe(403);
  });

  it('accepts no Origin (native clients)', async () => {
    expect((await upgradeStatus(server.wsPort, {})).status).toBe(101);
    const ws = await WsClient.connect(server.wsUrl);
    await ws.login('alice', passwordOf('alice'));
    ws.ws.close();
  });

  it("accepts the server's own pages (Origin naming the Host the request went to)", async () => {
    expect((await upgradeStatus(server.wsPort, { Origin: `http://127.0.0.1:${server.wsPort}` })).status).toBe(101);
    // Behind a proxy on the default port: Host without a port matches an origin without one.
    expect((await upgradeStatus(server.wsPort, { Origin: 'https://chat.internal', Host: 'chat.internal:443' })).status).toBe(101);
    expect((await upgradeStatus(server.wsPort, { Origin: 'http://CHAT.internal', Host: 'chat.internal' })).status).toBe(101);
  });

  it('accepts --allowed-origin entries and the desktop app page', async () => {
    expect((await upgradeStatus(server.wsPort, { Origin: 'https://chat.example.com' })).status).toBe(101);
    expect((await upgradeStatus(server.wsPort, { Origin: 'http://localhost:5173' })).status).toBe(101);
    expect((await upgradeStatus(server.wsPort, { Origin: 'app://chat' })).status).toBe(101);
    // The scheme is part of the origin.
    expect((await upgradeStatus(server.wsPort, { Origin: 'http://chat.example.com' })).status).toBe(403);
  });
});

describe('--allowed-origin values', () => {
  it('normalises entries and refuses what is not an origin', () => {
    expect(resolveConfig({ allowedOrigins: ['HTTPS://Chat.Example.com:443/'] }).allowedOrigins).toEqual(['https://chat.example.com']);
    expect(() => resolveConfig({ allowedOrigins: ['chat.example.com'] })).toThrow(ConfigError);
    expect(() => resolveConfig({ allowedOrigins: ['https://chat.example.com/path'] })).toThrow(/nothing after the host/);
    expect(() => resolveConfig({ allowedOrigins: ['ftp://chat.example.com'] })).toThrow(/http or https/);
  });

  it('reads CHAT_ALLOWED_ORIGINS (comma or space separated)', () => {
    const config = resolveConfig(optionsFromEnv({ CHAT_ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443' }));
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
  });
});
