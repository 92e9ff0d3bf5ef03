// Server addresses as people type them, turned into WebSocket endpoint URLs.
import { ErrorCode, ProtocolError } from '../protocol';

/** The server's default HTTP (WebSocket) port, used when an address names none. */
export const DEFAULT_WS_PORT = 4001;

/**
 * Turns what a person types (`host:port`, `host`, or a ws(s):// / http(s):// URL) into
 * the WebSocket endpoint URL `ws://host:port/ws`. A bare host gets port 4001 (the
 * server's default HTTP port). Throws ProtocolError BAD_REQUEST on garbage.
 */
export function toWebSocketUrl(server: string): string {
  const input = server.trim();
  if (input.length === 0) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'server: is required');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `ws://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `server: "${input.slice(0, 80)}" is not a host:port or URL`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `server: unsupported scheme ${url.protocol}`);
  }
  if (url.port === '' && !/^[a-z]+:\/\//i.test(input)) url.port = String(DEFAULT_WS_PORT);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  return url.toString();
}
