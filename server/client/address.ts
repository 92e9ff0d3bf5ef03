// Server addresses as people type them, turned into WebSocket endpoint URLs, and
// what the clients need to know about them (is it this machine, is it encrypted).
import { ErrorCode, ProtocolError } from '../protocol';

/** The server's default HTTP (WebSocket) port, used when an address names none. */
export const DEFAULT_WS_PORT = 4001;

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * True for host names that mean this machine: `localhost` (and `*.localhost`), 127.0.0.0/8
 * and ::1. Traffic to them never leaves the machine, so it needs no encryption.
 * `host` is a URL's hostname (IPv6 in brackets or not).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127(?:\.\d{1,3}){3}$/.test(h) || h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/**
 * Turns what a person types into the WebSocket endpoint URL. `host:port` and `host` become
 * `wss://host:port/ws` (TLS) for every host but this machine's loopback names, which get
 * `ws://`; an explicit `ws://`/`wss://` URL (or `http(s)://`, mapped to them) is kept as
 * typed. A bare host gets port 4001 (the server's default HTTP port), a URL without a path
 * `/ws`. Throws ProtocolError BAD_REQUEST on garbage.
 */
export function toWebSocketUrl(server: string): string {
  const input = server.trim();
  if (input.length === 0) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'server: is required');
  const typedScheme = SCHEME.test(input);
  // A bare IPv6 address (`::1`, `fe80::2`): two or more colons cannot be host:port, and
  // without brackets it carries no port, so it is all host.
  const bareIpv6 = !typedScheme && !input.includes('[') && (input.match(/:/g)?.length ?? 0) >= 2;
  let url: URL;
  try {
    url = new URL(typedScheme ? input : bareIpv6 ? `ws://[${input}]` : `ws://${input}`);
  } catch {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `server: "${input.slice(0, 80)}" is not a host:port or URL`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `server: unsupported scheme ${url.protocol}`);
  }
  if (!typedScheme) {
    if (url.port === '') url.port = String(DEFAULT_WS_PORT);
    // Another machine: encrypted unless the person asked for ws:// explicitly.
    if (!isLoopbackHost(url.hostname)) url.protocol = 'wss:';
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  return url.toString();
}

/**
 * The HTTP origin of a chat server from its WebSocket URL, where /api/files lives (the same
 * port as /ws): `ws://h:4001/ws` -> `http://h:4001`, `wss:` -> `https:`; null for anything
 * that is not a ws(s) URL. Attachment links are relative to it.
 */
export function httpOrigin(wsUrl: string): string | null {
  try {
    const url = new URL(wsUrl);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return null;
    return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
  } catch {
    return null;
  }
}

/**
 * True when signing in at `wsUrl` would send a password in clear over a network: a `ws://`
 * URL whose host is not this machine. Clients warn (and ask) before doing that.
 */
export function isUnencryptedRemote(wsUrl: string): boolean {
  try {
    const url = new URL(wsUrl);
    return url.protocol === 'ws:' && !isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

/**
 * A SHA-256 certificate fingerprint as people paste it (`AB:CD:...`, `abcd...`, with a
 * `sha256:` / `SHA256 ` prefix or not) in the form Node and OpenSSL print: upper-case hex
 * pairs joined by colons. Throws ProtocolError BAD_REQUEST when it is not 32 bytes of hex.
 */
export function normalizeFingerprint(input: string): string {
  const hex = input
    .trim()
    .replace(/^sha-?256[:= ]?/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, 'fingerprint: expected a SHA-256 fingerprint (64 hex digits, colons optional)');
  }
  return hex.match(/../g)!.join(':');
}
