// Idle: N signed-in WebSocket connections held open; the server's RSS per
// connection from /proc/PID/status before and after (both after a full GC).
import { childFdLimit, rssOf } from '../proc';
import { startServerTarget, startWorkers, stopWorkers, users, type RunContext, type Worker } from '../harness';
import type { ScenarioResult } from '../report';

/** Connections per load worker and per source address (well inside 28k ephemeral ports and the fd limit). */
const PER_WORKER = 10_000;
/** Descriptors the server needs besides the connections (listeners, store, stdio, pipes). */
const FD_MARGIN = 200;

export async function idleScenario(ctx: RunContext, p: { connections: number; smoke: boolean }): Promise<ScenarioResult> {
  const name = `idle-ws-${p.connections}`;
  const params = { transport: 'ws', connections: p.connections, store: 'memory', hashCost: 4 };
  const target = '< 10 KiB server RSS per signed-in idle WebSocket connection (at 100k connections)';
  const fdLimit = await childFdLimit();
  if (p.connections + FD_MARGIN > fdLimit) {
    return {
      name,
      params,
      metrics: { fdLimit },
      target,
      status: 'skipped',
      notes: [
        `needs ${p.connections + FD_MARGIN} open files in one process; this machine caps RLIMIT_NOFILE at ${fdLimit} (hard limit) and the benchmark lacks CAP_SYS_RESOURCE to raise it`,
      ],
    };
  }
  ctx.log(`  ${name}`);
  const all = users('i', p.connections);
  const server = await startServerTarget(ctx, 'ws', { store: 'memory', users: all, hashCost: 4, extra: { port: null } });
  let workers: Worker[] = [];
  try {
    server.proc.send({ type: 'gc' });
    await server.proc.waitFor('gc-done', 30_000);
    const before = await rssOf(server.proc.pid);
    const chunks = Math.ceil(p.connections / PER_WORKER);
    const started = Date.now();
    const bodies = Array.from({ length: chunks }, (_, i) => ({
      role: 'idle' as const,
      users: all.slice(i * PER_WORKER, (i + 1) * PER_WORKER),
      concurrency: 200,
      // One source address per worker: 127.0.0.2, .3, ... each with its own ephemeral ports.
      localAddresses: [`127.0.0.${2 + i}`],
    }));
    workers = await startWorkers(ctx, server, bodies, Math.min(ctx.deadlineMs * 4, 60_000 + p.connections * 5));
    const openS = (Date.now() - started) / 1000;
    const connected = workers.reduce((n, w) => n + w.ready.connected, 0);
    const failed = workers.reduce((n, w) => n + w.ready.failed, 0);
    server.proc.send({ type: 'gc' });
    await server.proc.waitFor('gc-done', 30_000);
    const after = await rssOf(server.proc.pid);
    const perConn = (after - before) / Math.max(1, connected);
    const judged = !p.smoke && p.connections >= 100_000;
    const met = perConn < 10 * 1024;
    const bad = failed > 0 ? [`${failed} connections failed: ${workers.find((w) => w.ready.firstError)?.ready.firstError}`] : [];
    return {
      name,
      params,
      metrics: {
        connected,
        rssBeforeMiB: Math.round((before / 2 ** 20) * 10) / 10,
        rssAfterMiB: Math.round((after / 2 ** 20) * 10) / 10,
        bytesPerConnection: Math.round(perConn),
        kibPerConnection: Math.round((perConn / 1024) * 100) / 100,
        projectedRssAt100kMiB: Math.round(((before + perConn * 100_000) / 2 ** 20) * 10) / 10,
        openSeconds: Math.round(openS * 10) / 10,
      },
      target,
      status: bad.length > 0 ? 'fail' : judged && !met ? 'target-missed' : !judged && !met && !p.smoke ? 'target-missed' : 'pass',
      notes: ['RSS read from /proc/PID/status after a forced GC, before and after the connections signed in', ...bad],
    };
  } finally {
    await stopWorkers(workers);
    await server.stop();
  }
}
