// Flood load shared by the benchmark's `flood` scenario and the fairness test:
// one connection of each kind pipelines input as fast as the socket takes it
// (TCP before sign-in, TCP signed in, WebSocket before sign-in, WebSocket
// signed in; each reconnects when the server drops it), while two other users
// exchange paced messages and /healthz is polled. Reports their latencies.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export interface FloodTarget {
  tcpPort: number;
  /** ws://host:port/ws */
  wsUrl: string;
  /** http://host:port/ */
  httpUrl: string;
}

export interface FloodOptions {
  /** Accounts [name, password]: the two signed-in flooders, then the two probe users. */
  tcpFlooder: [string, string];
  wsFlooder: [string, string];
  sender: [string, string];
  receiver: [string, string];
  /** How long to measure, and the probe's message interval. */
  seconds: number;
  intervalMs: number;
  /** Source address of the flooders (the probe uses 127.0.0.1). Default 127.0.0.9. */
  flooderAddress?: string;
}

export interface FloodResult {
  /** Probe messages sent, and received by the other user. */
  sent: number;
  messages: number;
  messageP50Ms: number;
  messageP99Ms: number;
  messageMaxMs: number;
  healthChecks: number;
  healthP99Ms: number;
  healthMaxMs: number;
  /** Bytes the flooders got the server to take, and how often they were dropped and came back. */
  floodMiB: number;
  floodReconnects: number;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** A signed-in WebSocket for the probe: resolves once `login` succeeded. */
async function wsSignedIn(url: string, [name, password]: [string, string], localAddress?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, localAddress ? { localAddress } : {});
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    const onFrame = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: unknown; ok?: boolean; error?: { code: string } };
      if (frame.type !== 'reply' || frame.id !== 'login') return;
      ws.off('message', onFrame);
      ws.off('close', onClose);
      if (frame.ok) resolve();
      else reject(new Error(`login as ${name} failed: ${frame.error?.code}`));
    };
    // Refused (e.g. TOO_MANY_CONNECTIONS) or dropped before the reply.
    const onClose = (code: number, reason: Buffer) => reject(new Error(`closed before signing in: ${code} ${reason.toString()}`));
    ws.once('close', onClose);
    ws.on('message', onFrame);
    ws.send(JSON.stringify({ id: 'login', type: 'login', username: name, password }));
  });
  return ws;
}

/** One flooder: connects, optionally signs in, then writes `chunk` whenever the socket has room, reconnecting when dropped. */
function flooder(
  kind: 'tcp' | 'ws',
  target: FloodTarget,
  account: [string, string] | null,
  address: string,
  stats: { bytes: number; reconnects: number },
  stopped: () => boolean,
): Promise<void> {
  const tcpChunk = Buffer.from((account ? 'whoelse\n' : 'no such name!\n').repeat(4096));
  const wsFrame = JSON.stringify({ id: 1, type: 'whoelse' });
  const once = async (): Promise<void> => {
    if (kind === 'tcp') {
      const socket = net.connect({ port: target.tcpPort, host: '127.0.0.1', localAddress: address });
      socket.on('error', () => {});
      socket.on('data', () => {});
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()).once('close', () => resolve()));
      if (account) socket.write(`${account[0]}\n${account[1]}\n`);
      while (!stopped() && !socket.destroyed) {
        stats.bytes += tcpChunk.length;
        if (!socket.write(tcpChunk)) await new Promise<void>((resolve) => socket.once('drain', () => resolve()).once('close', () => resolve()));
      }
      socket.destroy();
      return;
    }
    const ws = account
      ? await wsSignedIn(target.wsUrl, account, address).catch(() => null)
      : await new Promise<WebSocket | null>((resolve) => {
          const w = new WebSocket(target.wsUrl, { localAddress: address });
          w.on('error', () => resolve(null));
          w.once('close', () => resolve(null));
          w.once('open', () => resolve(w));
        });
    if (!ws) return;
    while (!stopped() && ws.readyState === ws.OPEN) {
      for (let i = 0; i < 256; i++) ws.send(wsFrame);
      stats.bytes += 256 * wsFrame.length;
      // Let the socket take what was sent before adding more (as a TCP client waits for 'drain').
      while (ws.bufferedAmount > 64 * 1024 && ws.readyState === ws.OPEN) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setImmediate(r));
    }
    ws.terminate();
  };
  return (async () => {
    while (!stopped()) {
      await once();
      if (!stopped()) stats.reconnects++;
      // A refused or dropped flooder comes back at once, bounded by the loop's own pace.
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
}

export async function runFlood(target: FloodTarget, o: FloodOptions): Promise<FloodResult> {
  const address = o.flooderAddress ?? '127.0.0.9';
  const receiver = await wsSignedIn(target.wsUrl, o.receiver);
  const sender = await wsSignedIn(target.wsUrl, o.sender);
  const latencies: number[] = [];
  const health: number[] = [];
  receiver.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { type: string; event?: string; message?: { text: string } };
    if (frame.type === 'event' && frame.event === 'message' && frame.message) {
      const sent = Number(frame.message.text.split(' ')[1]);
      if (Number.isFinite(sent)) latencies.push(performance.now() - sent);
    }
  });

  let stop = false;
  const stats = { bytes: 0, reconnects: 0 };
  const floods = [
    flooder('tcp', target, null, address, stats, () => stop),
    flooder('tcp', target, o.tcpFlooder, address, stats, () => stop),
    flooder('ws', target, null, address, stats, () => stop),
    flooder('ws', target, o.wsFlooder, address, stats, () => stop),
  ];
  // Let the floods get going before measuring.
  await new Promise((r) => setTimeout(r, 500));
  latencies.length = 0;
  const until = performance.now() + o.seconds * 1000;
  let n = 0;
  const probe = (async () => {
    while (performance.now() < until) {
      sender.send(JSON.stringify({ id: n, type: 'message', to: o.receiver[0], text: `${n++} ${performance.now()}` }));
      await new Promise((r) => setTimeout(r, o.intervalMs));
    }
  })();
  const healthProbe = (async () => {
    while (performance.now() < until) {
      const started = performance.now();
      const ok = await fetch(`${target.httpUrl}healthz`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) health.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await Promise.all([probe, healthProbe]);
  // The last messages get up to 5 s to arrive.
  const waitUntil = performance.now() + 5_000;
  while (latencies.length < n && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
  stop = true;
  await Promise.all(floods);
  sender.terminate();
  receiver.terminate();
  return {
    sent: n,
    messages: latencies.length,
    messageP50Ms: round(quantile(latencies, 0.5)),
    messageP99Ms: round(quantile(latencies, 0.99)),
    messageMaxMs: round(Math.max(...latencies)),
    healthChecks: health.length,
    healthP99Ms: round(quantile(health, 0.99)),
    healthMaxMs: round(Math.max(...health)),
    floodMiB: round(stats.bytes / 2 ** 20),
    floodReconnects: stats.reconnects,
  };
}
