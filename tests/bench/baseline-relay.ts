// The floor for the WebSocket path: a minimal `ws` relay that forwards each
// frame to every other client, with no parsing, storage or logic. Our server's
// figures are reported as ratios to this one, measured in the same run.
import { WebSocketServer, type WebSocket } from 'ws';

function send(msg: Record<string, unknown>): void {
  process.send?.(msg);
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: true, maxPayload: 1024 * 1024 });
wss.on('connection', (ws: WebSocket) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
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
  if (msg.type === 'stop') {
    for (const c of wss.clients) c.terminate();
    wss.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
