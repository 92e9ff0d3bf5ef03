// The app:// scheme handler: path resolution (index, assets, traversal in every encoding
// refused), MIME types, the CSP on every response, and symlinks out of the root refused,
// run against real files with fetch-style Request/Response objects as protocol.handle uses.
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_INDEX_URL, createAppProtocolHandler, mimeTypeOf, resolveAppRequest } from '../../../main/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../../main/window';

const ROOT = path.resolve('/opt/chat/dist/renderer');

describe('resolveAppRequest', () => {
  it('maps the page and its assets under the root', () => {
    expect(resolveAppRequest(ROOT, APP_INDEX_URL)).toEqual({ ok: true, file: path.join(ROOT, 'index.html'), mimeType: 'text/html; charset=utf-8' });
    expect(resolveAppRequest(ROOT, 'app://chat/')).toMatchObject({ ok: true, file: path.join(ROOT, 'index.html') });
    expect(resolveAppRequest(ROOT, 'app://chat')).toMatchObject({ ok: true, file: path.join(ROOT, 'index.html') });
    expect(resolveAppRequest(ROOT, 'app://chat/assets/index-abc.js?v=1#x')).toEqual({
      ok: true,
      file: path.join(ROOT, 'assets', 'index-abc.js'),
      mimeType: 'text/javascript; charset=utf-8',
    });
    expect(resolveAppRequest(ROOT, 'app://chat/assets/a%20b.css')).toMatchObject({ ok: true, file: path.join(ROOT, 'assets', 'a b.css') });
    expect(resolveAppRequest(ROOT, 'app://chat/index.html', 'HEAD')).toMatchObject({ ok: true });
  });

  it.each([
    ['dot segments', 'app://chat/../../etc/passwd'],
    ['encoded dots', 'app://chat/%2e%2e/%2e%2e/etc/passwd'],
    ['an encoded slash', 'app://chat/..%2f..%2fetc%2fpasswd'],
    ['a double-encoded escape', 'app://chat/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ])('never leaves the root: %s', (_name, url) => {
    const result = resolveAppRequest(ROOT, url);
    if (result.ok) expect(result.file.startsWith(ROOT + path.sep)).toBe(true);
    else expect([400, 403]).toContain(result.status);
  });

  it.each<[string, string, string, number]>([
    ['an encoded backslash', 'app://chat/..%5c..%5cwindows%5cwin.ini', 'GET', 400],
    ['a NUL byte', 'app://chat/index.html%00.png', 'GET', 400],
    ['a broken escape', 'app://chat/%E0%A4%A', 'GET', 400],
    ['another host', 'app://evil/index.html', 'GET', 404],
    ['another scheme', 'file:///opt/chat/dist/renderer/index.html', 'GET', 404],
    ['a write', 'app://chat/index.html', 'POST', 405],
  ])('refuses %s', (_name, url, method, status) => {
    expect(resolveAppRequest(ROOT, url, method)).toMatchObject({ ok: false, status });
  });

  it('knows the types the renderer build ships', () => {
    expect(mimeTypeOf('a.css')).toBe('text/css; charset=utf-8');
    expect(mimeTypeOf('a.SVG')).toBe('image/svg+xml');
    expect(mimeTypeOf('a.png')).toBe('image/png');
    expect(mimeTypeOf('a.woff2')).toBe('font/woff2');
    expect(mimeTypeOf('a.json')).toBe('application/json');
    expect(mimeTypeOf('a.exe')).toBe('application/octet-stream');
  });
});

describe('createAppProtocolHandler', () => {
  let dir: string;
  let root: string;
  let handler: (request: Request) => Promise<Response>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'chat-app-scheme-'));
    root = path.join(dir, 'renderer');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>Chat</title>');
    await writeFile(path.join(root, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'secret.txt'), 'private');
    await symlink(path.join(dir, 'secret.txt'), path.join(root, 'assets', 'leak.txt'));
    handler = createAppProtocolHandler({ root, contentSecurityPolicy: CONTENT_SECURITY_POLICY });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the page with its type, the CSP and nosniff', async () => {
    const res = await handler(new Request(APP_INDEX_URL));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('<!doctype html><title>Chat</title>');
    const js = await handler(new Request('app://chat/assets/app.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
  });

  it('HEAD has the headers and no body', async () => {
    const res = await handler(new Request('app://chat/assets/app.js', { method: 'HEAD' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('14');
    expect(await res.text()).toBe('');
  });

  it('missing files and directories are 404, writes 405, traversal and symlinks out 403/400', async () => {
    expect((await handler(new Request('app://chat/nope.js'))).status).toBe(404);
    expect((await handler(new Request('app://chat/assets'))).status).toBe(404);
    expect((await handler(new Request('app://chat/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
    expect((await handler(new Request('app://chat/assets/..%2f..%2fsecret.txt'))).status).toBe(403);
    const leak = await handler(new Request('app://chat/assets/leak.txt'));
    expect(leak.status).toBe(403);
    expect(await leak.text()).not.toContain('private');
  });
});
