// The web client's static files over HTTP: compression by Accept-Encoding,
// cache headers by kind of file, ETags, the favicon, source maps only on request,
// and no way out of the web root (../ or symlinks).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/test-server';

/** A raw GET (fetch would decompress and hide Content-Encoding). */
function get(
  port: number,
  urlPath: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SCRIPT = `export const greeting = ${JSON.stringify('hello '.repeat(2000))};\n`;
const HASHED = 'assets/index-Gvg1H5Bd.js';

let root: string;
let outside: string;
let srv: TestServer;
let withMaps: TestServer;

beforeAll(async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'chat-static-'));
  root = path.join(base, 'web');
  outside = path.join(base, 'secret');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(root, 'index.html'), `<!doctype html><title>chat</title>${'<!-- pad -->'.repeat(200)}`);
  await writeFile(path.join(root, HASHED), SCRIPT);
  await writeFile(path.join(root, `${HASHED}.map`), '{"version":3,"sources":["../src/secret.ts"],"mappings":""}');
  await writeFile(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(path.join(root, 'notes.txt'), 'plain');
  await writeFile(path.join(outside, 'passwords.txt'), 'alice wonderland\n');
  // A link out of the root (as a careless deploy might leave), and one that stays inside.
  await symlink(outside, path.join(root, 'leak'));
  await symlink(path.join(outside, 'passwords.txt'), path.join(root, 'passwords.txt'));
  await symlink(path.join(root, 'notes.txt'), path.join(root, 'alias.txt'));
  srv = await startTestServer({ webRoot: root });
  withMaps = await startTestServer({ webRoot: root, serveSourceMaps: true });
});

afterAll(async () => {
  await srv?.stop();
  await withMaps?.stop();
  await rm(path.dirname(root), { recursive: true, force: true });
});

describe('compression', () => {
  it('sends brotli when accepted, gzip when only gzip is, and identity otherwise; always Vary: Accept-Encoding', async () => {
    const br = await get(srv.wsPort, `/${HASHED}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(SCRIPT.length / 10);
    expect(zlib.brotliDecompressSync(br.body).toString()).toBe(SCRIPT);

    const gz = await get(srv.wsPort, `/${HASHED}`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).toString()).toBe(SCRIPT);

    const plain = await get(srv.wsPort, `/${HASHED}`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.toString()).toBe(SCRIPT);
  });

  it('honours q-values: br;q=0 gets gzip, and identity only when nothing is acceptable', async () => {
    expect((await get(srv.wsPort, `/${HASHED}`, { 'accept-encoding': 'br;q=0, gzip;q=0.5' })).headers['content-encoding']).toBe('gzip');
    expect((await get(srv.wsPort, `/${HASHED}`, { 'accept-encoding': 'gzip;q=0, br;q=0' })).headers['content-encoding']).toBeUndefined();
    expect((await get(srv.wsPort, `/${HASHED}`, { 'accept-encoding': '*' })).headers['content-encoding']).toBe('br');
  });

  it('compresses index.html too, but not tiny files', async () => {
    expect((await get(srv.wsPort, '/', { 'accept-encoding': 'br' })).headers['content-encoding']).toBe('br');
    const small = await get(srv.wsPort, '/notes.txt', { 'accept-encoding': 'br' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body.toString()).toBe('plain');
  });
});

describe('caching', () => {
  it('hashed assets are immutable for a year; index.html must be revalidated; other files an hour', async () => {
    expect((await get(srv.wsPort, `/${HASHED}`)).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const p of ['/', '/index.html']) {
      const res = await get(srv.wsPort, p);
      expect(res.headers['cache-control'], p).toBe('no-cache');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    }
    expect((await get(srv.wsPort, '/notes.txt')).headers['cache-control']).toBe('public, max-age=3600');
  });

  it('answers 304 to a matching If-None-Match, per encoding', async () => {
    const first = await get(srv.wsPort, '/', { 'accept-encoding': 'br' });
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^W\/".+-br"$/);
    const again = await get(srv.wsPort, '/', { 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // The identity body has another tag: the br tag does not validate it.
    expect((await get(srv.wsPort, '/', { 'if-none-match': etag })).status).toBe(200);
  });

  it('HEAD sends the headers of GET without a body', async () => {
    const head = await get(srv.wsPort, `/${HASHED}`, { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-encoding']).toBe('br');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect(head.body.length).toBe(0);
  });
});

describe('favicon and source maps', () => {
  it('/favicon.ico falls back to the favicon the build ships (SVG here)', async () => {
    const res = await get(srv.wsPort, '/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.body.toString()).toContain('<svg');
  });

  it('source maps are not served by default, only with serveSourceMaps (--serve-source-maps)', async () => {
    expect((await get(srv.wsPort, `/${HASHED}.map`)).status).toBe(404);
    expect((await get(srv.wsPort, `/${HASHED.toUpperCase().replace('ASSETS', 'assets')}.MAP`)).status).toBe(404);
    const served = await get(withMaps.wsPort, `/${HASHED}.map`);
    expect(served.status).toBe(200);
    expect(served.body.toString()).toContain('secret.ts');
  });
});

describe('the web root is a boundary', () => {
  it('a symlink pointing out of the root is not followed (directory or file)', async () => {
    for (const p of ['/leak/passwords.txt', '/passwords.txt']) {
      const res = await get(srv.wsPort, p);
      expect(res.status, p).toBe(404);
      expect(res.body.toString()).not.toContain('wonderland');
    }
  });

  it('a symlink that stays inside the root is served', async () => {
    const res = await get(srv.wsPort, '/alias.txt');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('plain');
  });

  it('../ and encoded traversal cannot leave the root', async () => {
    for (const p of ['/../secret/passwords.txt', '/%2e%2e/secret/passwords.txt', '/assets/..%2f..%2fsecret%2fpasswords.txt']) {
      const res = await get(srv.wsPort, p);
      expect([403, 404], p).toContain(res.status);
      expect(res.body.toString()).not.toContain('wonderland');
    }
  });
});
