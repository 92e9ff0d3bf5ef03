// Idle: N connections sign in and stay idle; the server's RSS per connection
// from /proc/PID/status before and after (ours and the relay after a forced
// GC). Ours on TCP and on WebSocket are separate rows, beside the relay and
// the IRC peers (registered, idle).
import { medianOf, measurement, type Measurement, type Scenario, type TargetRule } from '../compare';
import { startTarget, startWorkers, stopWorkers, users, type RunContext, type ServerSpec, type Target, type Worker } from '../harness';
import { rssOf } from '../proc';

/** Connections per load worker and per source address (well inside 28k ephemeral ports and the fd limit). */
const PER_WORKER = 10_000;
/** Descriptors a server needs besides the connections (listeners, store, stdio, pipes). */
export const FD_MARGIN = 200;

/** How long sign-ins may take: --deadline, or 15 ms per connection when that is longer (19,000: 285 s). */
export function signInBudget(ctx: RunContext, connections: number): number {
  return Math.max(ctx.deadlineMs, connections * 15);
}

async function gc(target: Target): Promise<void> {
  if (!target.proc) return;
  target.proc.send({ type: 'gc' });
  await target.proc.waitFor('gc-done', 30_000);
}

/** Opens N idle signed-in connections to a fresh server and reads its RSS around them. */
export async function measureIdle(ctx: RunContext, spec: ServerSpec, connections: number): Promise<Measurement> {
  const all = users('i', connections);
  const target = await startTarget(ctx, spec, { users: all, connections });
  let workers: Worker[] = [];
  try {
    await gc(target);
    const before = await rssOf(target.pid);
    // At least one worker per core (the IRC peers register slowly one at a time), at most PER_WORKER each.
    const chunks = Math.max(ctx.workers, Math.ceil(connections / PER_WORKER));
    const perChunk = Math.ceil(connections / chunks);
    const started = Date.now();
    // Sign-ins still running after the budget are reported as a shortfall, not waited for.
    const signInBudgetMs = signInBudget(ctx, connections);
    workers = await startWorkers(
      ctx,
      target,
      Array.from({ length: chunks }, (_, i) => ({
        role: 'idle' as const,
        users: all.slice(i * perChunk, (i + 1) * perChunk),
        concurrency: 200,
        setupDeadlineMs: signInBudgetMs,
        // One source address per worker: 127.0.0.2, .3, ... each with its own ephemeral ports.
        localAddresses: [`127.0.0.${2 + i}`],
      })),
      signInBudgetMs + 120_000,
    );
    const openS = (Date.now() - started) / 1000;
    const connected = workers.reduce((n, w) => n + w.ready.connected, 0);
    const failed = workers.reduce((n, w) => n + w.ready.failed, 0);
    const incomplete = workers.some((w) => w.ready.incomplete);
    await gc(target);
    const after = await rssOf(target.pid);
    // Over the connections that did sign in (all of them, unless the budget ran out).
    const perConn = connected > 0 ? (after - before) / connected : null;
    const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
    return measurement(
      {
        connected,
        rssBeforeMiB: mib(before),
        rssAfterMiB: mib(after),
        bytesPerConnection: perConn === null ? null : Math.round(perConn),
        kibPerConnection: perConn === null ? null : Math.round((perConn / 1024) * 100) / 100,
        openSeconds: Math.round(openS * 10) / 10,
      },
      {
        problems: failed > 0 ? [`${failed} connections failed: ${workers.find((w) => w.ready.firstError)?.ready.firstError}`] : [],
        shortfalls: incomplete
          ? [`only ${connected} of ${connections} signed in within ${Math.round(signInBudgetMs / 1000)} s; RSS per connection is over those ${connected}`]
          : [],
      },
    );
  } finally {
    await stopWorkers(workers);
    await target.stop();
  }
}

function kibTarget(text: string, transport: 'tcp' | 'ws', maxKib: number, connections: number, judged: boolean): TargetRule {
  return {
    text,
    judge(s) {
      if (!judged) return { met: null, detail: 'not judged at these sizes' };
      const rows = s.servers
        .filter((x) => x.id.startsWith(`ours-${transport}-`))
        .map((x) => ({ id: x.id, kib: medianOf(s, x.id, 'kibPerConnection'), connected: medianOf(s, x.id, 'connected') }));
      if (rows.length === 0) return { met: null, detail: 'not measured' };
      // Judged at the scenario's size only: a run that signed in fewer misses it.
      const full = (r: (typeof rows)[number]) => r.connected === connections;
      return {
        met: rows.every((r) => full(r) && r.kib !== null && r.kib <= maxKib),
        detail: rows.map((r) => `${r.id}: ${r.kib ?? '-'} KiB${full(r) ? '' : ` at ${r.connected ?? 0} connections`}`).join(', '),
      };
    },
  };
}

export function idleScenario(ctx: RunContext, p: { connections: number; servers: ServerSpec[]; skipped: string[]; smoke: boolean; note?: string }): Scenario {
  const fits = p.connections + FD_MARGIN <= ctx.fdLimit;
  const skipped = fits
    ? p.skipped
    : [
        ...p.skipped,
        `every server: needs ${p.connections + FD_MARGIN} open files in one process; the open-files limit here is ${ctx.fdLimit} (hard limit; raising it needs CAP_SYS_RESOURCE, e.g. LimitNOFILE in systemd or docker run --ulimit nofile=1048576)`,
      ];
  const judged = !p.smoke && p.connections >= 10_000;
  return {
    name: `idle-${p.connections}`,
    title: `${p.connections.toLocaleString('en-US')} idle signed-in connections (open-files limit here: ${ctx.fdLimit.toLocaleString('en-US')})`,
    params: { connections: p.connections, fdLimit: ctx.fdLimit, hashCost: 4 },
    servers: fits ? p.servers : [],
    skipped,
    columns: [
      { key: 'connected', label: 'connected' },
      { key: 'kibPerConnection', label: 'KiB/connection' },
      { key: 'rssBeforeMiB', label: 'RSS before MiB' },
      { key: 'rssAfterMiB', label: 'RSS after MiB' },
      { key: 'openSeconds', label: 'time to sign in s' },
    ],
    compared: [{ key: 'kibPerConnection', label: 'KiB/connection' }],
    targets: [
      kibTarget('<= 4 KiB per signed-in TCP connection', 'tcp', 4, p.connections, judged),
      kibTarget('<= 6 KiB per signed-in WebSocket connection', 'ws', 6, p.connections, judged),
    ],
    notes: [
      'RSS from /proc/PID/status; ours and the relay after a forced GC before and after the connections signed in',
      'measured in the first repeat only: memory per connection does not change from run to run, and opening the connections takes minutes',
      'our WebSocket clients sign in with presence off; TCP clients always want presence, so every TCP sign-in is announced to every TCP user already online',
      ...(p.note ? [p.note] : []),
    ],
    repeatable: false,
    measure: (spec) => measureIdle(ctx, spec, p.connections),
  };
}
