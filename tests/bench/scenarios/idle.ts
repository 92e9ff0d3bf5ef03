// Idle: N connections sign in and stay idle; the server's RSS per connection
// from /proc/PID/status before and after (ours and the relay after a forced
// GC). Ours on TCP and on WebSocket are separate rows, beside the relay and
// the IRC peers (registered, idle).
import { medianOf, measurement, type Measurement, type Scenario, type TargetRule } from '../compare';
import { startTarget, startWorkers, stopWorkers, users, type RunContext, type ServerSpec, type Target, type Worker } from '../harness';
import { cpuSplitOf, rssOf } from '../proc';

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

/**
 * Waits until the server has used under 5% of a core for two half-second
 * samples in a row (sign-ins still announcing themselves, queues draining), at
 * most `maxMs`. Returns whether it settled.
 */
async function settle(pid: number, maxMs = 30_000): Promise<boolean> {
  const end = Date.now() + maxMs;
  let quiet = 0;
  let last = await cpuSplitOf(pid);
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await cpuSplitOf(pid);
    quiet = now.userMs + now.systemMs - last.userMs - last.systemMs < 25 ? quiet + 1 : 0;
    last = now;
    if (quiet >= 2) return true;
  }
  return false;
}

/** RSS of a quiet server after a full GC (ours and the relay). */
async function quietRss(target: Target, notes: string[]): Promise<number> {
  if (!(await settle(target.pid))) notes.push('the server was still busy 30 s after the sign-ins; RSS taken anyway');
  await gc(target);
  return rssOf(target.pid);
}

/**
 * Opens N idle signed-in connections to a fresh server in two halves and reads
 * its RSS before, between and after. Per connection: (after - before) / N, and
 * the marginal cost over the second half, (after - middle) / (N / 2), which a
 * heap with free space left by the start-up (our server, the relay) cannot hide.
 */
export async function measureIdle(ctx: RunContext, spec: ServerSpec, connections: number): Promise<Measurement> {
  const all = users('i', connections);
  const target = await startTarget(ctx, spec, { users: all, connections });
  const workers: Worker[] = [];
  const notes: string[] = [];
  try {
    const before = await quietRss(target, notes);
    const started = Date.now();
    // Sign-ins still running after the budget are reported as a shortfall, not waited for.
    const signInBudgetMs = signInBudget(ctx, connections);
    const budgetEnds = started + signInBudgetMs;
    // Per half: at least one worker per core (the IRC peers register slowly one at a time), at most PER_WORKER each.
    const half = Math.ceil(connections / 2);
    const halves = [all.slice(0, half), all.slice(half)];
    const rss: number[] = [];
    const counts: number[] = [];
    let failed = 0;
    let firstError: string | null = null;
    let incomplete = false;
    for (const part of halves) {
      if (incomplete || part.length === 0) break;
      const chunks = Math.max(ctx.workers, Math.ceil(part.length / PER_WORKER));
      const perChunk = Math.ceil(part.length / chunks);
      const leftMs = Math.max(1_000, budgetEnds - Date.now());
      const round = await startWorkers(
        ctx,
        target,
        Array.from({ length: chunks }, (_, i) => ({
          role: 'idle' as const,
          users: part.slice(i * perChunk, (i + 1) * perChunk),
          concurrency: 200,
          setupDeadlineMs: leftMs,
          // One source address per worker: 127.0.0.2, .3, ... each with its own ephemeral ports.
          localAddresses: [`127.0.0.${2 + workers.length + i}`],
        })),
        leftMs + 120_000,
      );
      workers.push(...round);
      counts.push(round.reduce((n, w) => n + w.ready.connected, 0));
      failed += round.reduce((n, w) => n + w.ready.failed, 0);
      firstError ??= round.find((w) => w.ready.firstError)?.ready.firstError ?? null;
      incomplete = round.some((w) => w.ready.incomplete);
      rss.push(await quietRss(target, notes));
    }
    const openS = (Date.now() - started) / 1000;
    const connected = counts.reduce((a, b) => a + b, 0);
    const after = rss[rss.length - 1] ?? before;
    // Over the connections that did sign in (all of them, unless the budget ran out).
    const perConn = connected > 0 ? (after - before) / connected : null;
    const marginal = rss.length === 2 && counts[1]! > 0 && !incomplete ? (rss[1]! - rss[0]!) / counts[1]! : null;
    const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
    const kib = (b: number | null) => (b === null ? null : Math.round((b / 1024) * 100) / 100);
    return measurement(
      {
        connected,
        rssBeforeMiB: mib(before),
        rssAfterMiB: mib(after),
        bytesPerConnection: perConn === null ? null : Math.round(perConn),
        kibPerConnection: kib(perConn),
        marginalKibPerConnection: kib(marginal),
        openSeconds: Math.round(openS * 10) / 10,
      },
      {
        problems: failed > 0 ? [`${failed} connections failed: ${firstError}`] : [],
        shortfalls: incomplete
          ? [`only ${connected} of ${connections} signed in within ${Math.round(signInBudgetMs / 1000)} s; RSS per connection is over those ${connected}`]
          : [],
        notes: [...new Set(notes)],
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
      { key: 'marginalKibPerConnection', label: 'KiB/connection, second half' },
      { key: 'rssBeforeMiB', label: 'RSS before MiB' },
      { key: 'rssAfterMiB', label: 'RSS after MiB' },
      { key: 'openSeconds', label: 'time to sign in s' },
    ],
    compared: [
      { key: 'kibPerConnection', label: 'KiB/connection' },
      { key: 'marginalKibPerConnection', label: 'KiB/connection, second half' },
    ],
    targets: [
      kibTarget('<= 4 KiB per signed-in TCP connection', 'tcp', 4, p.connections, judged),
      kibTarget('<= 6 KiB per signed-in WebSocket connection', 'ws', 6, p.connections, judged),
    ],
    notes: [
      'RSS from /proc/PID/status once the server is quiet (ours and the relay after a forced GC): before, after half, and after all the connections signed in; "second half" is (after - middle) / (N/2), the marginal cost',
      'measured in the first repeat only: memory per connection does not change from run to run, and opening the connections takes minutes',
      'our WebSocket clients sign in with presence off, TCP clients with it on; the idle users share no group or conversation, so no sign-in is announced to anyone (presence goes only to related users)',
      ...(p.note ? [p.note] : []),
    ],
    repeatable: false,
    measure: (spec) => measureIdle(ctx, spec, p.connections),
  };
}
