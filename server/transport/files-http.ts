// HTTP endpoints for file attachments, on the WebSocket port:
//   POST /api/files                    upload (Bearer token, X-File-Name, the bytes as the body) -> 201 JSON
//   GET|HEAD /api/files/<id>           the file (Bearer token, or ?expires=&sig= from a message's link)
//   GET|HEAD /api/files/<id>/thumbnail the image's thumbnail (WebP)
//   GET|HEAD /api/files/<id>/avatar    a profile picture's small square picture (WebP)
// The variants are served by one download path: same credentials, headers, ranges.
// The body streams to storage; downloads stream from it, with single byte ranges.
//
// Security: every download carries X-Content-Type-Options: nosniff and a CSP
// that allows nothing and sandboxes the document, so an uploaded HTML or SVG
// file can never run script in the server's origin; only raster images are
// shown inline, everything else is Content-Disposition: attachment. A request
// whose credentials do not reach a file gets 404, the same as for a file that
// does not exist, so ids cannot be probed.
import { isUtf8 } from 'node:buffer';
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { DownloadableFile, FileEndpoints } from '../connection';
import type { Logger } from '../log';
import { ErrorCode, FILE_ID_PATTERN, ProtocolError, type WireError } from '../protocol';

const PREFIX = '/api/files';
/** The path segments after a file id, each a variant of the file. */
const VARIANTS: ReadonlySet<string> = new Set(['thumbnail', 'avatar']);
const DOWNLOAD_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
  'referrer-policy': 'no-referrer',
};
/** Uploads and downloads may come from the desktop app's page, another origin; credentials are headers, never cookies. */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, x-file-name, content-type, range',
  'access-control-expose-headers': 'content-length, content-range, content-disposition',
  'access-control-allow-methods': 'GET, HEAD, POST, OPTIONS',
};

function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...CORS_HEADERS, ...extra });
  res.end(JSON.stringify(body));
}

function sendError(res: http.ServerResponse, status: number, error: WireError, extra: Record<string, string> = {}): void {
  sendJson(res, status, { error }, extra);
}

const STATUS_OF: Partial<Record<string, number>> = {
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.FILE_TOO_LARGE]: 413,
  [ErrorCode.QUOTA_EXCEEDED]: 413,
  [ErrorCode.NOT_SIGNED_IN]: 401,
};

function bearer(req: http.IncomingMessage): string | null {
  const match = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1] ?? null;
}

/**
 * X-File-Name is percent-encoded UTF-8 (encodeURIComponent); a plain ASCII name
 * works as it is, and so do raw UTF-8 bytes (what `curl -H 'X-File-Name: café.png'`
 * sends), which Node hands over one character per byte (latin1).
 */
function fileNameOf(req: http.IncomingMessage): string {
  let raw = req.headers['x-file-name'];
  if (typeof raw !== 'string') return '';
  if (/[\u0080-\u00ff]/.test(raw)) {
    const bytes = Buffer.from(raw, 'latin1');
    if (isUtf8(bytes)) raw = bytes.toString('utf8');
  }
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * `attachment; filename="report.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`. The
 * UTF-8 form may hold only RFC 8187 attr-chars and %XX: encodeURIComponent leaves
 * `'`, `(`, `)` and `*` as they are, and an apostrophe there reads as the end of
 * the charset or language, so browsers that check it drop the name.
 */
function disposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const utf8 = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

/** One byte range of a `Range` header: null for none (or several, or an invalid one, answered whole), 'unsatisfiable' for a range outside the file. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return null;
  let start: number;
  let end: number;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(from);
    // RFC 9110 14.1.1: a last position before the first makes the range invalid, not
    // unsatisfiable; an invalid Range is ignored (the whole file), as other malformed ones are.
    if (to !== '' && Number(to) < start) return null;
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

async function upload(req: http.IncomingMessage, res: http.ServerResponse, files: FileEndpoints, log: Logger): Promise<void> {
  const token = bearer(req);
  const user = token ? await files.userForToken(token) : null;
  if (!user) {
    req.resume();
    return sendError(
      res,
      401,
      { code: ErrorCode.NOT_SIGNED_IN, message: 'Send a sign-in token: Authorization: Bearer <token>' },
      { 'www-authenticate': 'Bearer' },
    );
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > files.maxUploadBytes) {
    // Refuse before reading; the rest of the body is read and dropped so the client sees the answer.
    req.resume();
    return sendError(res, 413, { code: ErrorCode.FILE_TOO_LARGE, message: `Files may be at most ${files.maxUploadBytes} bytes` }, { connection: 'close' });
  }
  const left = Number.isFinite(declared) ? await files.quotaLeft(user) : null;
  if (left !== null && declared > left) {
    req.resume();
    return sendError(
      res,
      413,
      { code: ErrorCode.QUOTA_EXCEEDED, message: `This upload (${declared} bytes) would take your files past your quota: ${left} bytes are left` },
      { connection: 'close' },
    );
  }
  try {
    const file = await files.upload(user, fileNameOf(req), req);
    sendJson(res, 201, file, { location: file.url.split('?')[0]! });
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    // An over-long body without Content-Length was cut off mid-stream: drop what is left of it.
    if (!req.complete) req.resume();
    const status = STATUS_OF[err.code] ?? 400;
    log.debug({ user, code: err.code }, 'upload refused');
    sendError(res, status, err.toWire(), status === 413 ? { connection: 'close' } : {});
  }
}

async function download(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  files: FileEndpoints,
  id: string,
  variant: 'file' | 'thumbnail' | 'avatar',
  query: URLSearchParams,
): Promise<void> {
  const notFound = () => sendError(res, 404, { code: ErrorCode.UNKNOWN_FILE, message: 'No such file, or it is not yours to see' }, DOWNLOAD_HEADERS);
  const token = bearer(req);
  let file: DownloadableFile | null;
  if (token) {
    const user = await files.userForToken(token);
    if (!user)
      return sendError(
        res,
        401,
        { code: ErrorCode.INVALID_TOKEN, message: 'The sign-in token is unknown, expired or revoked' },
        { 'www-authenticate': 'Bearer' },
      );
    file = await files.open(id, variant, { user });
  } else if (query.has('sig')) {
    file = await files.open(id, variant, { expires: Number(query.get('expires')), signature: query.get('sig') ?? '' });
  } else {
    return sendError(
      res,
      401,
      { code: ErrorCode.NOT_SIGNED_IN, message: 'Send a sign-in token (Authorization: Bearer <token>) or use a signed link' },
      { 'www-authenticate': 'Bearer' },
    );
  }
  if (!file) return notFound();

  const headers: Record<string, string> = {
    ...CORS_HEADERS,
    ...DOWNLOAD_HEADERS,
    'content-type': file.type,
    'content-disposition': disposition(file.inline ? 'inline' : 'attachment', file.name),
    'accept-ranges': 'bytes',
    etag: file.etag,
    // Content never changes under an id; the credentials are checked on every request.
    'cache-control': 'private, max-age=3600',
  };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  let range = parseRange(req.headers.range, file.size);
  if (req.headers['if-range'] !== undefined && req.headers['if-range'] !== file.etag) range = null;
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${file.size}` });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: file.size - 1 };
  const length = file.size === 0 ? 0 : end - start + 1;
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'content-length': String(length),
    ...(range ? { 'content-range': `bytes ${start}-${end}/${file.size}` } : {}),
  });
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  await pipeline(file.read(start, end), res);
}

/**
 * Returns a request handler for /api/files, or null for other paths (the
 * caller serves those). Failures inside are logged and answered 500.
 */
export function createFilesHandler(files: FileEndpoints, log: Logger): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== PREFIX && !url.pathname.startsWith(`${PREFIX}/`)) return false;
    const run = async () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...CORS_HEADERS, 'access-control-max-age': '600' });
        res.end();
        return;
      }
      if (url.pathname === PREFIX) {
        if (req.method !== 'POST') return sendError(res, 405, { code: ErrorCode.BAD_REQUEST, message: 'POST a file here' }, { allow: 'POST, OPTIONS' });
        return upload(req, res, files, log);
      }
      const [id, variant, extra] = url.pathname.slice(PREFIX.length + 1).split('/');
      if (!id || !FILE_ID_PATTERN.test(id) || extra !== undefined || (variant !== undefined && !VARIANTS.has(variant))) {
        return sendError(res, 404, { code: ErrorCode.UNKNOWN_FILE, message: 'No such file' }, DOWNLOAD_HEADERS);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendError(res, 405, { code: ErrorCode.BAD_REQUEST, message: 'Only GET and HEAD' }, { allow: 'GET, HEAD, OPTIONS' });
      }
      return download(req, res, files, id, variant === 'thumbnail' || variant === 'avatar' ? variant : 'file', url.searchParams);
    };
    run().catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      // The client went away mid-download: nothing to answer.
      if (code === 'ERR_STREAM_PREMATURE_CLOSE' || res.destroyed) return;
      log.error({ err, url: url.pathname }, 'file request failed');
      sendError(res, 500, { code: ErrorCode.INTERNAL, message: 'The file request failed' });
    });
    return true;
  };
}
