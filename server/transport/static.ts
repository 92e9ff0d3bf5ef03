// Serves the built web client (renderer) over HTTP: GET/HEAD only, files under
// the web root only (symlinks that lead out of it are refused), with the same
// Content-Security-Policy as the desktop app, compression and cache headers.
//
// Caching: Vite names assets by content hash (assets/index-1a2B3c4D.js), so they
// are immutable for a year; index.html is revalidated on every load (no-cache
// plus an ETag), so a new build reaches browsers at once; other files an hour.
import { constants as fsConstants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { CompressionCache, negotiateEncoding, type Encoding } from './static-compression';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Types worth compressing (images and fonts other than SVG are compressed already). */
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg\+xml|image\/x-icon)/;
/** Smaller bodies gain too little to pay for a Content-Encoding. */
const MIN_COMPRESS_BYTES = 1024;

const HASHED_ASSET = /^assets\/(?:.+\/)?[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Browsers ask for /favicon.ico by default; a build may ship an SVG or PNG instead. */
const FAVICON_CANDIDATES = ['favicon.ico', 'favicon.svg', 'favicon.png'];

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: http: https:; connect-src 'self' ws: wss: http: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface StaticOptions {
  /** Directory of the built web client; null serves a short "no web client" 404. */
  root: string | null;
  /**
   * Serve `*.map` files. Default false: source maps publish the sources, so they
   * are a development aid (`--serve-source-maps`), not part of the product.
   */
  serveSourceMaps?: boolean;
}

export type StaticHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

function send(res: http.ServerResponse, status: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
  res.end(text);
}

function isInside(base: string, file: string): boolean {
  return file === base || file.startsWith(base + path.sep);
}

function cacheControl(relative: string, type: string): string {
  if (type.startsWith('text/html')) return 'no-cache';
  if (HASHED_ASSET.test(relative.split(path.sep).join('/'))) return IMMUTABLE;
  return 'public, max-age=3600';
}

/** Opens `file` for reading only when its real path stays inside `realRoot`; a directory opens its index.html. */
async function openInside(realRoot: string, file: string): Promise<{ handle: FileHandle; real: string } | null> {
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return null;
  }
  // Security: realpath resolves every symlink on the way, so a link inside the web
  // root that points elsewhere (../../etc, a home directory) is refused here.
  if (!isInside(realRoot, real)) return null;
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: the last component cannot have been swapped for a link since realpath.
    handle = await open(real, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
  } catch {
    return null;
  }
  const stat = await handle.stat();
  if (stat.isDirectory()) {
    await handle.close();
    return openInside(realRoot, path.join(real, 'index.html'));
  }
  if (!stat.isFile()) {
    await handle.close();
    return null;
  }
  return { handle, real };
}

/**
 * Creates the handler for every HTTP request that is not /ws or /healthz.
 * Compressed bodies are made on first request and kept in memory (bounded),
 * keyed by file, size and modification time.
 */
export function createStaticHandler(options: StaticOptions): StaticHandler {
  const compressed = new CompressionCache();
  const serveSourceMaps = options.serveSourceMaps ?? false;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed\n', { allow: 'GET, HEAD' });
    if (!options.root) return send(res, 404, 'This server has no web client. Connect a chat client to /ws.\n');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'Bad path\n');
    }
    if (pathname.includes('\0')) return send(res, 400, 'Bad path\n');
    if (!serveSourceMaps && pathname.toLowerCase().endsWith('.map')) return send(res, 404, 'Not found\n');
    const base = path.resolve(options.root);
    const file = path.resolve(base, `.${pathname}`);
    if (!isInside(base, file)) return send(res, 403, 'Forbidden\n');
    let realRoot: string;
    try {
      realRoot = await realpath(base);
    } catch {
      return send(res, 404, 'Not found\n');
    }
    const candidates = pathname === '/favicon.ico' ? FAVICON_CANDIDATES.map((name) => path.join(base, name)) : [file];
    let opened: Awaited<ReturnType<typeof openInside>> = null;
    for (const candidate of candidates) {
      opened = await openInside(realRoot, candidate);
      if (opened) break;
    }
    if (!opened) return send(res, 404, 'Not found\n');
    const { handle: fd, real } = opened;
    try {
      await respond(req, res, fd, real, path.relative(realRoot, real));
    } finally {
      await fd.close().catch(() => undefined);
    }
  }

  async function respond(req: http.IncomingMessage, res: http.ServerResponse, fd: FileHandle, real: string, relative: string): Promise<void> {
    const stat = await fd.stat();
    const type = TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
    const compressible = COMPRESSIBLE.test(type) && stat.size >= MIN_COMPRESS_BYTES;
    const encoding: Encoding | null = compressible ? negotiateEncoding(req.headers['accept-encoding']) : null;
    const version = `${stat.size.toString(36)}-${Math.trunc(stat.mtimeMs).toString(36)}`;
    const etag = `W/"${version}${encoding ? `-${encoding}` : ''}"`;
    const headers: http.OutgoingHttpHeaders = {
      'content-type': type,
      'x-content-type-options': 'nosniff',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'referrer-policy': 'no-referrer',
      'cache-control': cacheControl(relative, type),
      etag,
    };
    // Caches must keep one copy per encoding of anything that may be sent compressed.
    if (compressible) headers.vary = 'Accept-Encoding';
    if (etagMatches(req.headers['if-none-match'], etag)) {
      res.writeHead(304, headers);
      return void res.end();
    }
    if (encoding) {
      const body = await compressed.get(real, encoding, stat, () => fd.readFile());
      res.writeHead(200, { ...headers, 'content-encoding': encoding, 'content-length': body.length });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    res.writeHead(200, { ...headers, 'content-length': stat.size });
    if (req.method === 'HEAD') return void res.end();
    const body = await fd.readFile();
    res.end(body);
  }

  return (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal error\n');
      else res.destroy();
    });
  };
}

/** If-None-Match: `*` or a list of tags (weak comparison, as RFC 9110 asks for GET). */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bare);
}
