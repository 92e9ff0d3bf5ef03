// The client library's socket over the DOM WebSocket (the browser and the
// Electron renderer): text frames in, text frames out.
import type { SocketFactory } from '../../../server/client';

export const domSocket: SocketFactory = (url, events) => {
  const ws = new WebSocket(url);
  ws.onmessage = (ev: MessageEvent) => {
    if (typeof ev.data === 'string') events.message(ev.data);
  };
  // An error is always followed by a close event, which reports it.
  ws.onclose = (ev: CloseEvent) => events.close(ev.code, ev.reason);
  return {
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
    send: (text) => ws.send(text),
    close: (code, reason) => ws.close(code, reason),
  };
};
