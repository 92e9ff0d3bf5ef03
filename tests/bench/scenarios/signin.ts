// Sign-in: N TCP users, then N WebSocket users, sign in to our server at a low
// hash cost and stay online, as fast as `concurrency` sign-ins in flight per
// load worker allow. Reports the total time, and sign-ins/s over the first and
// the last thousand: with a cost per sign-in independent of how many are
// online, the two are equal. WebSocket users ask for presence, as the app does.
import { measurement, medianOf, type Measurement, type Scenario, type TargetRule } from '../compare';
import { runWorkers, split, startServerTarget, startWorkers, stopWorkers, users, type RunContext, type ServerSpec, type Target, type Worker } from '../harness';
import type { Cred, WorkerResult } from '../load-worker';
import { cpuSplitOf } from '../proc';
import { firstAndLastRates } from '../stats';
import { FD_MARGIN } from './idle';

/** Sign-ins in flight per load worker. */
const CONCURRENCY = 100;

interface Phase {
  signedIn: number;
  /** First connect to the last sign-in, s; null when not all finished before the deadline. */
  seconds: number | null;
  firstKPerSec: number | null;
  lastKPerSec: number | null;
  cpuUsPerSignIn: number | null;
  failures: Record<string, number>;
  disconnects: number;
  timedOut: boolean;
}

async function phase(
  ctx: RunContext,
  target: Target,
  transport: 'tcp' | 'ws',
  creds: Cred[],
  firstAddress: number,
  k: number,
): Promise<{ phase: Phase; workers: Worker[] }> {
  const view: Target = { ...target, transport, port: transport === 'tcp' ? target.ports!.tcp : target.ports!.ws };
  const chunks = split(creds, ctx.workers);
  const workers = await startWorkers(
    ctx,
    view,
    chunks.map((chunk, i) => ({
      role: 'signin' as const,
      users: chunk,
      presence: true,
      concurrency: CONCURRENCY,
      // One source address per worker, so ephemeral ports never run out.
      localAddresses: [`127.0.0.${firstAddress + i}`],
    })),
    60_000,
  );
  const before = await cpuSplitOf(target.pid);
  const results: WorkerResult[] = await runWorkers(workers, ctx.deadlineMs);
  const after = await cpuSplitOf(target.pid);
  const startUs = Math.min(...results.map((r) => r.startUs));
  const done = results.flatMap((r) => r.signInDoneUs ?? []).sort((a, b) => a - b);
  const failures: Record<string, number> = {};
  for (const r of results) for (const [code, n] of Object.entries(r.signInFailures ?? {})) failures[code] = (failures[code] ?? 0) + n;
  const timedOut = results.some((r) => r.timedOut);
  const rates = firstAndLastRates(done, startUs, k);
  const cpuMs = after.userMs + after.systemMs - before.userMs - before.systemMs;
  return {
    workers,
    phase: {
      signedIn: done.length,
      seconds: !timedOut && done.length === creds.length ? Math.round(((done[done.length - 1]! - startUs) / 1e6) * 100) / 100 : null,
      firstKPerSec: rates.first === null ? null : Math.round(rates.first),
      lastKPerSec: rates.last === null ? null : Math.round(rates.last),
      cpuUsPerSignIn: done.length > 0 ? Math.round((cpuMs * 1000) / done.length) : null,
      failures,
      disconnects: results.reduce((n, r) => n + r.disconnects, 0),
      timedOut,
    },
  };
}

export async function measureSignin(
  ctx: RunContext,
  spec: ServerSpec & { kind: 'ours' },
  perTransport: number,
  hashCost: number,
  profileName?: string,
): Promise<Measurement> {
  const tcpUsers = users('st', perTransport);
  const wsUsers = users('sw', perTransport);
  const k = Math.min(1000, Math.max(1, Math.floor(perTransport / 2)));
  const together = 2 * perTransport + FD_MARGIN <= ctx.fdLimit;
  const launch = (creds: Cred[]) => startServerTarget(ctx, 'tcp', { store: spec.store, users: creds, hashCost, ...(profileName ? { profileName } : {}) });
  const phases: Record<'tcp' | 'ws', Phase> = {} as never;
  const notes: string[] = [];
  if (together) {
    const target = await launch([...tcpUsers, ...wsUsers]);
    const held: Worker[] = [];
    try {
      const tcp = await phase(ctx, target, 'tcp', tcpUsers, 2, k);
      held.push(...tcp.workers);
      const ws = await phase(ctx, target, 'ws', wsUsers, 2 + ctx.workers, k);
      held.push(...ws.workers);
      phases.tcp = tcp.phase;
      phases.ws = ws.phase;
    } finally {
      await stopWorkers(held);
      await target.stop();
    }
    notes.push('one server: the TCP users stay online while the WebSocket users sign in');
  } else {
    for (const [transport, creds] of [
      ['tcp', tcpUsers],
      ['ws', wsUsers],
    ] as const) {
      const target = await launch(creds);
      let workers: Worker[] = [];
      try {
        const r = await phase(ctx, target, transport, creds, 2, k);
        workers = r.workers;
        phases[transport] = r.phase;
      } finally {
        await stopWorkers(workers);
        await target.stop();
      }
    }
    notes.push(
      `TCP and WebSocket users signed in on two fresh servers, one after the other: both at once need ${2 * perTransport + FD_MARGIN} open files in one process and the limit here is ${ctx.fdLimit}`,
    );
  }
  const problems: string[] = [];
  const shortfalls: string[] = [];
  for (const t of ['tcp', 'ws'] as const) {
    const ph = phases[t];
    const failures = Object.entries(ph.failures);
    if (failures.length > 0) problems.push(`${t}: sign-in failures ${failures.map(([c, n]) => `${c}×${n}`).join(', ')}`);
    if (ph.disconnects > 0) problems.push(`${t}: ${ph.disconnects} disconnected`);
    if (ph.timedOut) shortfalls.push(`${t}: only ${ph.signedIn} of ${perTransport} signed in within ${ctx.deadlineMs / 1000} s (--deadline)`);
  }
  const total = phases.tcp.seconds !== null && phases.ws.seconds !== null ? Math.round((phases.tcp.seconds + phases.ws.seconds) * 100) / 100 : null;
  return measurement(
    {
      totalSeconds: total,
      tcpSignedIn: phases.tcp.signedIn,
      tcpSeconds: phases.tcp.seconds,
      tcpFirstKPerSec: phases.tcp.firstKPerSec,
      tcpLastKPerSec: phases.tcp.lastKPerSec,
      tcpCpuUsPerSignIn: phases.tcp.cpuUsPerSignIn,
      wsSignedIn: phases.ws.signedIn,
      wsSeconds: phases.ws.seconds,
      wsFirstKPerSec: phases.ws.firstKPerSec,
      wsLastKPerSec: phases.ws.lastKPerSec,
      wsCpuUsPerSignIn: phases.ws.cpuUsPerSignIn,
    },
    { problems, shortfalls, notes },
  );
}

export function signinScenario(
  ctx: RunContext,
  p: { perTransport: number; hashCost: number; servers: (ServerSpec & { kind: 'ours' })[]; skipped: string[]; smoke: boolean },
): Scenario {
  const k = Math.min(1000, Math.max(1, Math.floor(p.perTransport / 2)));
  const judged = !p.smoke && p.perTransport >= 10_000;
  const ids = p.servers.map((s) => s.id);
  const within: TargetRule = {
    text: `${p.perTransport.toLocaleString('en-US')} TCP and ${p.perTransport.toLocaleString('en-US')} WebSocket users sign in within 60 s in total`,
    judge(s) {
      if (!judged) return { met: null, detail: 'not judged at these sizes' };
      const totals = ids.map((id) => ({ id, t: medianOf(s, id, 'totalSeconds') }));
      return {
        met: totals.every((x) => x.t !== null && x.t <= 60),
        detail: totals.map((x) => `${x.id}: ${x.t === null ? 'not all signed in' : `${x.t} s`}`).join(', '),
      };
    },
  };
  const flat: TargetRule = {
    text: `sign-in cost independent of how many are online: the last ${k} sign-ins/s at least 0.5x the first ${k}, on each transport`,
    judge(s) {
      if (!judged) return { met: null, detail: 'not judged at these sizes' };
      const rows = ids.flatMap((id) =>
        (['tcp', 'ws'] as const).map((t) => {
          const first = medianOf(s, id, `${t}FirstKPerSec`);
          const last = medianOf(s, id, `${t}LastKPerSec`);
          return { label: `${id} ${t}`, r: first && last !== null ? last / first : null };
        }),
      );
      return {
        met: rows.every((x) => x.r !== null && x.r >= 0.5),
        detail: rows.map((x) => `${x.label}: ${x.r === null ? '-' : `${Math.round(x.r * 100) / 100}x`}`).join(', '),
      };
    },
  };
  return {
    name: `signin-${p.perTransport}`,
    title: `${p.perTransport.toLocaleString('en-US')} TCP then ${p.perTransport.toLocaleString('en-US')} WebSocket users sign in at hash cost ${p.hashCost} (${CONCURRENCY} in flight per load worker) and stay online`,
    params: { perTransport: p.perTransport, hashCost: p.hashCost, inFlightPerWorker: CONCURRENCY, workers: ctx.workers },
    servers: p.servers,
    skipped: p.skipped,
    columns: [
      { key: 'totalSeconds', label: 'total s' },
      { key: 'tcpSignedIn', label: 'TCP signed in' },
      { key: 'tcpSeconds', label: 'TCP s' },
      { key: 'tcpFirstKPerSec', label: `TCP first ${k}/s` },
      { key: 'tcpLastKPerSec', label: `TCP last ${k}/s` },
      { key: 'tcpCpuUsPerSignIn', label: 'TCP server CPU µs/sign-in' },
      { key: 'wsSignedIn', label: 'WS signed in' },
      { key: 'wsSeconds', label: 'WS s' },
      { key: 'wsFirstKPerSec', label: `WS first ${k}/s` },
      { key: 'wsLastKPerSec', label: `WS last ${k}/s` },
      { key: 'wsCpuUsPerSignIn', label: 'WS server CPU µs/sign-in' },
    ],
    compared: [],
    targets: [within, flat],
    notes: [
      "each sign-in is connect + credentials + the server's welcome; TCP users always get presence lines, WebSocket users ask for presence (the desktop app does)",
      'the IRC peers are not compared here: they check no password, and their registration rate is set by a 1-second tick (InspIRCd) and a listen backlog of 10 (ngIRCd)',
    ],
    measure: (spec, repeat) => measureSignin(ctx, spec as ServerSpec & { kind: 'ours' }, p.perTransport, p.hashCost, `signin-${spec.id}-r${repeat}`),
  };
}
