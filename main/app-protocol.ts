// The app page's own origin: the window loads the renderer from app://chat/ (a privileged,
// standard, secure scheme served by main from dist/renderer) instead of file://, so the
// page gets a real origin, file:// keeps no special powers and nothing outside the build is reachable.
import { realpath, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export const APP_SCHEME = 'app';
/** The one host of the scheme; any other host is refused. */
export const APP_HOST = 'chat';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/**
 * Privileges for protocol.registerSchemesAsPrivileged: `standard` gives the page an origin
 * (relative URLs, localStorage, 'self' in the CSP), `secure` makes it a secure context
 * (notifications, crypto.subtle), fetch/CORS let module scripts load. No bypassCSP.
 */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } as const;

/** The renderer build's file types; anything else is served as an opaque download type. */
const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeTypeOf(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AppRequestResolution = { ok: true; file: string; mimeType: string } | { ok: false; status: 400 | 403 | 404 | 405; reason: string };

/**
 * Maps a request URL to a file under `root` without touching the disk. `app://chat/` and
 * `app://chat` mean index.html. Refused: other schemes or hosts (404), methods other than
 * GET/HEAD (405), undecodable paths, NUL bytes and backslashes (400), and any path that
 * would leave `root` after decoding, such as `/%2e%2e/secret` or `/..%2fsecret` (403).
 */
export function resolveAppRequest(root: string, url: string, method = 'GET'): AppRequestResolution {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405, reason: `${method} is not allowed` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.hostname !== APP_HOST) return { ok: false, status: 404, reason: 'unknown host' };
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname || '/');
  } catch {
    return { ok: false, status: 400, reason: 'bad percent-encoding' };
  }
  // A backslash is a separator on Windows: `..\..\x` must not slip past the check below.
  if (pathname.includes('\0') || pathname.includes('\\')) return { ok: false, status: 400, reason: 'bad character in path' };
  if (pathname === '/' || pathname === '') pathname = '/index.html';
  const base = path.resolve(root);
  const file = path.resolve(base, `.${pathname}`);
  if (!file.startsWith(base + path.sep)) return { ok: false, status: 403, reason: 'outside the app' };
  return { ok: true, file, mimeType: mimeTypeOf(file) };
}

export interface AppProtocolOptions {
  /** dist/renderer: the only directory the scheme serves. */
  root: string;
  /** Sent with every response (the page's Content-Security-Policy). */
  contentSecurityPolicy: string;
}

/**
 * The handler given to protocol.handle('app', …): a fetch-style Request in, a Response out.
 * Beyond resolveAppRequest it refuses directories and symlinks that lead out of the root.
 */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const base = path.resolve(options.root);
  let realBase: Promise<string> | null = null;
  const refuse = (status: number, reason: string) =>
    new Response(`${reason}\n`, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' } });

  return async (request) => {
    const resolved = resolveAppRequest(base, request.url, request.method);
    if (!resolved.ok) return refuse(resolved.status, resolved.reason);
    let body: Buffer;
    try {
      realBase ??= realpath(base);
      const real = await realpath(resolved.file);
      const root = await realBase;
      if (!real.startsWith(root + path.sep)) return refuse(403, 'outside the app');
      if (!(await stat(real)).isFile()) return refuse(404, 'not found');
      body = await readFile(real);
    } catch {
      realBase = null;
      return refuse(404, 'not found');
    }
    const headers = {
      'Content-Type': resolved.mimeType,
      'Content-Length': String(body.byteLength),
      'Content-Security-Policy': options.contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
