// Fan-out: one sender to N receivers. Ours: `broadcast` (or a group of all N);
// the relay: a frame to every other client; the IRC peers: PRIVMSG to a channel
// all N joined. Closed loop (the sender stays `window` messages ahead of the
// slowest receiver: deliveries/s) or paced (one message every intervalMs:
// latency at a fixed rate). Receivers check every message arrives once, in order.
import { measurement, ratioTarget, type Measurement, type Scenario, type TargetRule } from '../compare';
import {
  ms,
  problems,
  runMeasured,
  split,
  startTarget,
  startWorkers,
  stopWorkers,
  users,
  type RunContext,
  type ServerSpec,
  type Target,
  type Worker,
} from '../harness';
import { PAYLOAD_BYTES } from '../stats';

export interface FanoutParams {
  receivers: number;
  messages: number;
  /** Closed loop: messages the sender may be ahead of the slowest receiver. */
  window: number;
  /** 0: closed loop; > 0: one message every intervalMs (paced, open loop). */
  intervalMs: number;
  /** Ours: broadcast, or a group holding every receiver (the peers always use a channel). */
  kind: 'broadcast' | 'group';
}

/** Runs one fan-out measurement against a fresh server. */
export async function measureFanout(ctx: RunContext, spec: ServerSpec, p: FanoutParams, profileName?: string): Promise<Measurement> {
  const receivers = users('u', p.receivers);
  const sender = { username: 'sender', password: 'pw-sender' };
  const target: Target = await startTarget(ctx, spec, {
    users: [...receivers, sender],
    connections: p.receivers + 1,
    ...(profileName ? { profileName } : {}),
  });
  const workers: Worker[] = [];
  try {
    // The probe (u0) lives with the sender; the other receivers are split across workers.
    const rest = receivers.slice(1);
    const setupMs = 60_000 + p.receivers * 60;
    workers.push(
      ...(await startWorkers(
        ctx,
        target,
        split(rest, ctx.workers).map((chunk) => ({ role: 'receivers' as const, users: chunk, expected: p.messages, concurrency: 50, localAddresses: [] })),
        setupMs,
      )),
    );
    const connectFailures = workers.reduce((n, w) => n + w.ready.failed, 0);
    if (connectFailures > 0) throw new Error(`${connectFailures} receivers could not connect: ${workers.find((w) => w.ready.firstError)?.ready.firstError}`);
    const group = p.kind === 'group' ? { name: 'fanout', members: receivers.map((u) => u.username) } : undefined;
    workers.push(
      ...(await startWorkers(
        ctx,
        target,
        [
          {
            role: 'fanout-sender',
            sender,
            probe: receivers[0]!,
            expected: p.messages,
            window: p.window,
            intervalMs: p.intervalMs,
            kind: p.kind,
            concurrency: 1,
            localAddresses: [],
            ...(group ? { group } : {}),
          },
        ],
        setupMs,
      )),
    );
    // Relay each receiver worker's progress to the sender as the minimum over workers.
    const senderProc = workers[workers.length - 1]!.proc;
    const progress = workers.slice(0, -1).map(() => 0);
    workers.slice(0, -1).forEach((w, i) =>
      w.proc.handlers.set('progress', (msg) => {
        progress[i] = msg.value as number;
        senderProc.send({ type: 'progress', value: Math.min(...progress) });
      }),
    );
    if (progress.length === 0) senderProc.send({ type: 'progress', value: p.messages });
    const deadlineMs = Math.max(ctx.deadlineMs, p.intervalMs * p.messages + 30_000);
    const { m, durationS, targetCpuMs: cpuMs, targetSystemMs: systemMs } = await runMeasured(target, workers, deadlineMs);
    const refused = Object.values(m.sendErrors).reduce((a, b) => a + b, 0) + m.disconnects;
    return measurement(
      {
        deliveriesPerSec: Math.round(m.totals.received / durationS),
        p50Ms: ms(m.hist.quantile(0.5)),
        p99Ms: ms(m.hist.quantile(0.99)),
        maxMs: ms(m.hist.max),
        cpuUsPerDelivery: Math.round((cpuMs * 1000 * 100) / Math.max(1, m.totals.received)) / 100,
        serverCpuPercent: Math.round(cpuMs / 10 / durationS),
        serverKernelShare: Math.round((100 * systemMs) / Math.max(1, cpuMs)) / 100,
        loadGenCpuPercent: Math.round(m.workerCpuMs / 10 / durationS),
        delivered: m.totals.received,
        refused,
        durationS: Math.round(durationS * 100) / 100,
        ...(p.intervalMs > 0 ? { maxSendLagMs: ms(m.maxSendLagUs) } : {}),
        lost: m.totals.lost,
        duplicated: m.totals.duplicated,
        reordered: m.totals.reordered,
        seqErrors: m.totals.seqErrors,
      },
      { problems: problems(m, 0, p.receivers) },
    );
  } finally {
    await stopWorkers(workers);
    await target.stop();
  }
}

const FANOUT_COLUMNS = [
  { key: 'deliveriesPerSec', label: 'deliveries/s' },
  { key: 'p50Ms', label: 'p50 ms' },
  { key: 'p99Ms', label: 'p99 ms' },
  { key: 'maxMs', label: 'max ms' },
  { key: 'cpuUsPerDelivery', label: 'server CPU µs/delivery' },
  { key: 'serverCpuPercent', label: 'server CPU %' },
  { key: 'loadGenCpuPercent', label: 'load-gen CPU %' },
];

/** Pairs (ours SQLite on each transport, reference) that a target compares. */
function sqliteVs(reference: (transport: 'tcp' | 'ws') => string): [string, string][] {
  return (['tcp', 'ws'] as const).map((t) => [`ours-${t}-sqlite`, reference(t)]);
}

/** The closed-loop fan-out scenario with the issue's targets at 100 and 1000 receivers. */
export function fanoutScenario(
  ctx: RunContext,
  p: Omit<FanoutParams, 'intervalMs'> & { servers: ServerSpec[]; skipped: string[]; smoke: boolean; name?: string; title?: string },
): Scenario {
  const judged = !p.smoke;
  const targets: TargetRule[] = [];
  if (p.receivers === 1000) {
    targets.push(
      ratioTarget(
        'fan-out to 1000 on SQLite >= 1x InspIRCd deliveries/s',
        sqliteVs(() => 'inspircd'),
        'deliveriesPerSec',
        (r) => r >= 1,
        judged,
      ),
      ratioTarget(
        'fan-out to 1000 on SQLite: p99 <= 2x InspIRCd',
        sqliteVs(() => 'inspircd'),
        'p99Ms',
        (r) => r <= 2,
        judged,
      ),
    );
  }
  if (p.receivers === 100) {
    targets.push(
      ratioTarget(
        'fan-out to 100 on SQLite >= 0.5x InspIRCd deliveries/s',
        sqliteVs(() => 'inspircd'),
        'deliveriesPerSec',
        (r) => r >= 0.5,
        judged,
      ),
    );
  }
  if (p.receivers === 100 || p.receivers === 1000) {
    targets.push(
      ratioTarget(
        'SQLite >= 0.7x the memory store deliveries/s',
        sqliteVs((t) => `ours-${t}-memory`),
        'deliveriesPerSec',
        (r) => r >= 0.7,
        judged,
      ),
    );
  }
  const kind = p.kind === 'group' ? 'a group of all receivers' : 'broadcast';
  return {
    name: p.name ?? `fanout-${p.receivers}`,
    title:
      p.title ??
      `Fan-out to ${p.receivers} receivers: ${p.messages} messages of ${PAYLOAD_BYTES} bytes, window ${p.window} (ours: ${kind}; IRC peers: PRIVMSG to a channel)`,
    params: { receivers: p.receivers, messages: p.messages, window: p.window, kind: p.kind, payloadBytes: PAYLOAD_BYTES, hashCost: 4 },
    servers: p.servers,
    skipped: p.skipped,
    columns: FANOUT_COLUMNS,
    compared: [
      { key: 'deliveriesPerSec', label: 'deliveries/s' },
      { key: 'p99Ms', label: 'p99' },
      { key: 'cpuUsPerDelivery', label: 'CPU/delivery' },
    ],
    targets,
    notes: [
      'deliveries/s = deliveries received / (first send -> last arrival); CPU = utime + stime of the server PID from /proc/PID/stat over the measured phase',
      'the peers and the relay persist nothing; ours on SQLite commits every message to disk before it is acknowledged',
    ],
    measure: (spec, repeat) =>
      measureFanout(
        ctx,
        spec,
        { receivers: p.receivers, messages: p.messages, window: p.window, intervalMs: 0, kind: p.kind },
        `${p.name ?? `fanout-${p.receivers}`}-${spec.id}-r${repeat}`,
      ),
  };
}
