// The HTTP origin of a chat server from its WebSocket URL: /api/files lives on
// the same port as /ws (ws: -> http:, wss: -> https:).

/** `ws://h:4001/ws` -> `http://h:4001`; null for anything that is not a ws(s) URL. */
export function httpOrigin(wsUrl: string): string | null {
  try {
    const url = new URL(wsUrl);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return null;
    return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
  } catch {
    return null;
  }
}
