// Fairness under floods (issue 9 §3): one connection of each kind pipelines
// input as fast as it can (TCP and WebSocket, before and after signing in)
// while two other users exchange paced messages and /healthz is polled. Our
// server runs with its production limits (rate limit 20/s, bursts of 40, the
// abuse limits at their defaults); the load runs in the runner process.
import { measurement, medianOf, type Measurement, type Scenario } from '../compare';
import { runFlood } from '../flood-load';
import { startServerTarget, type RunContext, type ServerSpec } from '../harness';
import type { Cred } from '../load-worker';

interface FloodParams {
  seconds: number;
  intervalMs: number;
}

/** The limits `npm run server` starts with (the harness turns them off for the other scenarios). */
const PRODUCTION_LIMITS = {
  rateLimit: 20,
  rateBurst: 40,
  signInBudgetPerAddress: 30,
  signInBudgetTotal: 600,
  maxHashQueue: 100,
  maxConnectionsPerAddress: 256,
  maxUnauthenticatedPerAddress: 64,
  maxUnauthenticated: 1024,
  maxSendQueueBytes: 4 * 1024 * 1024,
};

const cred = (username: string): [string, string] => [username, `${username}-pw`];

async function measureFlood(ctx: RunContext, p: FloodParams, profileName: string): Promise<Measurement> {
  const users: Cred[] = ['alice', 'bob', 'carol', 'dave'].map((u) => ({ username: u, password: `${u}-pw` }));
  const server = await startServerTarget(ctx, 'ws', { store: 'sqlite', users, hashCost: 4, extra: PRODUCTION_LIMITS, profileName });
  try {
    const ports = server.ports!;
    const result = await runFlood(
      { tcpPort: ports.tcp, wsUrl: `ws://127.0.0.1:${ports.ws}/ws`, httpUrl: `http://127.0.0.1:${ports.ws}/` },
      { tcpFlooder: cred('carol'), wsFlooder: cred('dave'), sender: cred('alice'), receiver: cred('bob'), seconds: p.seconds, intervalMs: p.intervalMs },
    );
    const bad = result.messages < result.sent ? [`only ${result.messages} of ${result.sent} probe messages arrived`] : [];
    return measurement({ ...result }, { problems: bad });
  } finally {
    await server.stop();
  }
}

export function floodScenario(ctx: RunContext, p: FloodParams & { servers: ServerSpec[]; smoke: boolean }): Scenario {
  return {
    name: 'flood',
    title: `Four flooders (TCP and WebSocket, before and after sign-in) against production limits; probe: one message every ${p.intervalMs} ms for ${p.seconds} s, /healthz every 50 ms`,
    params: { seconds: p.seconds, intervalMs: p.intervalMs },
    servers: p.servers,
    skipped: [],
    columns: [
      { key: 'sent', label: 'probe messages sent' },
      { key: 'messages', label: 'received' },
      { key: 'messageP50Ms', label: 'message p50 ms' },
      { key: 'messageP99Ms', label: 'message p99 ms' },
      { key: 'messageMaxMs', label: 'message max ms' },
      { key: 'healthChecks', label: '/healthz checks' },
      { key: 'healthP99Ms', label: '/healthz p99 ms' },
      { key: 'floodMiB', label: 'flood MiB taken' },
      { key: 'floodReconnects', label: 'flooder reconnects' },
    ],
    compared: [],
    targets: [
      {
        text: "others' message p99 and /healthz p99 < 100 ms while four connections flood",
        judge(s) {
          if (p.smoke) return { met: null, detail: 'not judged at smoke sizes' };
          const rows = p.servers.map((x) => ({ id: x.id, msg: medianOf(s, x.id, 'messageP99Ms'), health: medianOf(s, x.id, 'healthP99Ms') }));
          return {
            met: rows.every((r) => r.msg !== null && r.health !== null && r.msg < 100 && r.health < 100),
            detail: rows.map((r) => `${r.id}: message ${r.msg} ms, /healthz ${r.health} ms`).join(', '),
          };
        },
      },
    ],
    notes: ['the flood load runs in the runner process, not in load workers'],
    measure: (_spec, repeat) => measureFlood(ctx, p, `flood-r${repeat}`),
  };
}
