// The floor for the WebSocket path: a minimal `ws` relay with no parsing,
// storage or logic beyond routing. Our server's figures are reported as ratios
// to this one, measured in the same run.
//
// Frames (text):
//   `@name`        registers the connection as `name`; answered with `@ok`.
//   `>name\ttext`  sends `text` to `name` only, and `+` back to the sender: one
//                  frame in, two out, as our server's private message and reply.
//   anything else  goes to every other client (broadcast, no reply).
import { WebSocketServer, type WebSocket } from 'ws';

function send(msg: Record<string, unknown>): void {
  process.send?.(msg);
}

const byName = new Map<string, WebSocket>();

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: true, maxPayload: 1024 * 1024 });
wss.on('connection', (ws: WebSocket) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    const first = (data as Buffer)[0];
    if (first === 0x3e /* > */) {
      const frame = data.toString();
      const tab = frame.indexOf('\t');
      const peer = byName.get(frame.slice(1, tab));
      if (peer?.readyState === peer?.OPEN) peer?.send(frame.slice(tab + 1));
      ws.send('+');
      return;
    }
    if (first === 0x40 /* @ */) {
      byName.set(data.toString().slice(1), ws);
      ws.send('@ok');
      return;
    }
    for (const other of wss.clients) {
      if (other !== ws && other.readyState === other.OPEN) other.send(data, { binary: isBinary });
    }
  });
});
wss.on('listening', () => {
  const address = wss.address();
  send({ type: 'ready', wsPort: address !== null && typeof address === 'object' ? address.port : 0, pid: process.pid });
});
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'gc') {
    // The idle scenario measures RSS after a full GC, as for our server.
    globalThis.gc?.();
    globalThis.gc?.();
    send({ type: 'gc-done' });
  }
  if (msg.type === 'stop') {
    for (const c of wss.clients) c.terminate();
    wss.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
