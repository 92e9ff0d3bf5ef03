// Load-generator process. The runner sends `setup` (connect and sign in this
// worker's share of clients), then `go` (run the role), and gets `ready` and
// `result` back. Every phase has a deadline; `stop` closes everything and exits.
// The same code drives every server under test (ours, the ws relay, IRC peers).
//
// Roles:
// - receivers: each connection expects `expected` numbered messages from one sender.
// - fanout-sender: one sender plus one probe receiver. Closed loop (intervalMs 0):
//   the sender keeps at most `window` messages ahead of what every receiver has
//   received (the probe, and the other workers' `progress` relayed by the runner),
//   so queues stay bounded. Paced (intervalMs > 0): one message every intervalMs,
//   whatever the receivers do; latency counts from the scheduled send time.
// - pairs: both ends of each pair; each sends `expected` private messages to the
//   other, at most `window` not yet delivered to the partner (the same rule for
//   every server: IRC has no replies), optionally one every `intervalMs`.
// - idle: connect and sign in, then hold the connections.
// - storm: connect without signing in; on `go` every connection signs in at once.
// - signin: on `go`, connect and sign in `users` with `concurrency` in flight, then
//   hold them; reports when each sign-in completed.
import { BenchClient, type Transport } from './bench-client';
import { Histogram, StreamCheck, addTotals, benchText, emptyTotals, nowUs, parseBenchText, type SeqRule, type StreamTotals } from './stats';

export interface Cred {
  username: string;
  password: string;
}

interface SetupCommon {
  type: 'setup';
  transport: Transport;
  host: string;
  port: number;
  /** Source addresses, used round-robin (spreads connections over more ephemeral ports). */
  localAddresses: string[];
  connectTimeoutMs: number;
  /** Connections opened (and signed in) at the same time. */
  concurrency: number;
  /** The rule our server's seq must follow (ignored where deliveries carry none). */
  seqRule: SeqRule;
  /** IRC: the channel every connection joins after registering (the fan-out audience). */
  channel: string | null;
  /** Our WebSocket protocol: a fresh `clientKey` on every chat send (run.ts --client-key). */
  clientKey: boolean;
}

export type Setup = SetupCommon &
  (
    | { role: 'receivers'; users: Cred[]; expected: number }
    | {
        role: 'fanout-sender';
        sender: Cred;
        probe: Cred;
        expected: number;
        window: number;
        /** 0: closed loop with `window`; > 0: one message every intervalMs (paced). */
        intervalMs: number;
        kind: 'broadcast' | 'group';
        group?: { name: string; members: string[] };
      }
    | { role: 'pairs'; pairs: [Cred, Cred][]; expected: number; window: number; intervalMs: number }
    /** `setupDeadlineMs`: report ready with what signed in by then instead of waiting for all. */
    | { role: 'idle'; users: Cred[]; setupDeadlineMs: number }
    | { role: 'storm'; users: Cred[] }
    /** WebSocket sign-ins ask for presence events when `presence` (as the desktop app does). */
    | { role: 'signin'; users: Cred[]; presence: boolean }
  );

export interface WorkerResult {
  type: 'result';
  totals: StreamTotals;
  hist: ReturnType<Histogram['toJSON']>;
  /** Monotonic µs: when sending started (go) and when the last message arrived. */
  startUs: number;
  lastUs: number;
  sent: number;
  /** Error replies to sends, by code. */
  sendErrors: Record<string, number>;
  /** Connections that closed during the run. */
  disconnects: number;
  timedOut: boolean;
  /** CPU time this worker used between go and result, ms. */
  cpuMs: number;
  /** storm, signin: sign-ins that succeeded / failed. */
  signedIn?: number;
  signInFailures?: Record<string, number>;
  /** signin: monotonic µs at which each successful sign-in completed, ascending. */
  signInDoneUs?: number[];
  /** paced fanout-sender: the most the sender fell behind its schedule, µs. */
  maxSendLagUs?: number;
}

type Msg = ({ type: 'setup' } & Setup) | { type: 'go'; deadlineMs: number } | { type: 'progress'; value: number } | { type: 'halt' } | { type: 'stop' };

function send(msg: Record<string, unknown>): void {
  process.send?.(msg);
}

let clients: BenchClient[] = [];
let disconnects = 0;
let running = false;
const hist = new Histogram();
const sendErrors: Record<string, number> = {};
let lastUs = 0;
let halted = false;

function countError(code: string | null): void {
  const key = code ?? 'UNKNOWN';
  sendErrors[key] = (sendErrors[key] ?? 0) + 1;
}

/** Runs `task` for every index with at most `limit` in flight; collects failures. Stops starting new tasks once `stop()` is true. */
async function pool(
  count: number,
  limit: number,
  task: (i: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<{ failed: number; firstError: string | null }> {
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const lane = async () => {
    while (next < count && !stop()) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return { failed, firstError };
}

async function open(s: Setup, index: number, cred: Cred | null, presence = false): Promise<BenchClient> {
  const localAddress = s.localAddresses.length > 0 ? s.localAddresses[index % s.localAddresses.length] : undefined;
  const client = await BenchClient.connect({
    transport: s.transport,
    host: s.host,
    port: s.port,
    connectTimeoutMs: s.connectTimeoutMs,
    clientKey: s.clientKey,
    ...(localAddress ? { localAddress } : {}),
  });
  client.onClose = () => {
    if (running) disconnects++;
  };
  if (cred) await client.login(cred.username, cred.password, { presence });
  return client;
}

/** Opens, signs in and (IRC) joins the fan-out channel. */
async function openMember(s: Setup, index: number, cred: Cred): Promise<BenchClient> {
  const client = await open(s, index, cred);
  if (s.channel) await client.join(s.channel);
  return client;
}

/** Attaches a checker that records latency and order of benchText messages. */
function receiver(client: BenchClient, expected: number, seqRule: SeqRule, onMessage?: () => void): StreamCheck {
  const check = new StreamCheck(expected, seqRule);
  client.onDelivery = (text, seq) => {
    const at = nowUs();
    const parsed = parseBenchText(text);
    if (!parsed) return;
    check.record(parsed.n, seq);
    hist.record(at - parsed.sentUs);
    lastUs = at;
    onMessage?.();
  };
  return check;
}

// ---------------------------------------------------------------- roles

let checks: StreamCheck[] = [];
let runRole: (finish: () => void) => { sent: () => number; extra?: () => Partial<WorkerResult> } = () => ({ sent: () => 0 });

async function doSetup(s: Setup): Promise<void> {
  if (s.role === 'receivers' || s.role === 'idle') {
    const users = s.users;
    clients = new Array<BenchClient>(users.length);
    const setupEnds = s.role === 'idle' ? Date.now() + s.setupDeadlineMs : Infinity;
    const r = await pool(
      users.length,
      s.concurrency,
      async (i) => {
        clients[i] = s.role === 'receivers' ? await openMember(s, i, users[i]!) : await open(s, i, users[i]!);
      },
      () => Date.now() > setupEnds,
    );
    clients = clients.filter(Boolean);
    if (s.role === 'receivers') {
      // Progress = messages every connection of this worker has received; the
      // runner relays it to the sender, whose window then covers all receivers.
      const reached = new Uint32Array(s.expected + 2);
      let progress = 0;
      checks = clients.map((c) => {
        const check: StreamCheck = receiver(c, s.expected, s.seqRule, () => {
          if (check.distinct <= s.expected && ++reached[check.distinct]! === clients.length && check.distinct === progress + 1) {
            while (progress < s.expected && reached[progress + 1] === clients.length) progress++;
            send({ type: 'progress', value: progress });
          }
          maybeDone?.();
        });
        return check;
      });
      runRole = (finish) => {
        maybeDone = () => {
          if (checks.every((c) => c.complete)) finish();
        };
        return { sent: () => 0 };
      };
    }
    send({ type: 'ready', connected: clients.length, failed: r.failed, firstError: r.firstError, incomplete: clients.length + r.failed < users.length });
    return;
  }
  if (s.role === 'storm') {
    clients = new Array<BenchClient>(s.users.length);
    const r = await pool(s.users.length, s.concurrency, async (i) => {
      clients[i] = await open(s, i, null);
    });
    send({ type: 'ready', connected: clients.filter(Boolean).length, failed: r.failed, firstError: r.firstError });
    runRole = (finish) => {
      const signIn = new Histogram();
      const failures: Record<string, number> = {};
      let pending = s.users.length;
      let ok = 0;
      const start = nowUs();
      s.users.forEach((cred, i) => {
        const client = clients[i];
        const settle = () => {
          lastUs = nowUs();
          if (--pending === 0) finish();
        };
        if (!client) {
          failures.CONNECT = (failures.CONNECT ?? 0) + 1;
          return settle();
        }
        client.login(cred.username, cred.password).then(
          () => {
            ok++;
            signIn.record(nowUs() - start);
            settle();
          },
          (err: Error) => {
            const code = /^(\w+):/.exec(err.message)?.[1] ?? 'ERROR';
            failures[code] = (failures[code] ?? 0) + 1;
            settle();
          },
        );
      });
      return { sent: () => s.users.length, extra: () => ({ signedIn: ok, signInFailures: failures, hist: signIn.toJSON() }) };
    };
    return;
  }
  if (s.role === 'signin') {
    send({ type: 'ready', connected: 0, failed: 0, firstError: null });
    runRole = (finish) => {
      const done: number[] = [];
      const failures: Record<string, number> = {};
      const held: BenchClient[] = [];
      clients = held;
      // Sign-ins run until all are done or the worker's deadline ends the phase.
      void pool(
        s.users.length,
        s.concurrency,
        async (i) => {
          const cred = s.users[i]!;
          try {
            held.push(await open(s, i, cred, s.presence));
            const at = nowUs();
            done.push(at);
            lastUs = at;
          } catch (err) {
            const code = /^(\w+):/.exec(err instanceof Error ? err.message : '')?.[1] ?? 'ERROR';
            failures[code] = (failures[code] ?? 0) + 1;
          }
        },
        () => !running,
      ).then(() => finish());
      return { sent: () => done.length, extra: () => ({ signedIn: done.length, signInFailures: failures, signInDoneUs: done }) };
    };
    return;
  }
  if (s.role === 'fanout-sender') {
    const probe = await openMember(s, 0, s.probe);
    const sender = await openMember(s, 1, s.sender);
    clients = [probe, sender];
    if (s.kind === 'group' && s.group) await sender.createGroup(s.group.name, s.group.members);
    sender.onReply = (ok, code) => {
      if (!ok) countError(code);
    };
    let othersDone = 0;
    progressHandler = (value) => {
      othersDone = value;
      pumpNow?.();
    };
    send({ type: 'ready', connected: 2, failed: 0, firstError: null });
    runRole = (finish) => {
      let sent = 0;
      let maxLagUs = 0;
      let timer: NodeJS.Timeout | undefined;
      const emit = (sentUs: number) => {
        const text = benchText(sent++, sentUs);
        if (s.kind === 'group') sender.group(s.group?.name ?? 'fanout', text);
        else sender.broadcast(text);
      };
      const startUs = nowUs();
      const paced = s.intervalMs > 0;
      const pump = () => {
        if (paced) {
          // Open loop: every message due by now goes out, stamped with its scheduled time.
          const now = nowUs();
          while (sent < s.expected && !sender.closed && startUs + sent * s.intervalMs * 1000 <= now) {
            const due = startUs + sent * s.intervalMs * 1000;
            maxLagUs = Math.max(maxLagUs, now - due);
            emit(due);
          }
          if (sent < s.expected && !sender.closed) {
            const nextDue = startUs + sent * s.intervalMs * 1000;
            clearTimeout(timer);
            timer = setTimeout(pump, Math.max(0, (nextDue - nowUs()) / 1000));
          }
        } else {
          while (sent < s.expected && sent - Math.min(check.distinct, othersDone) < s.window && !sender.closed) emit(nowUs());
        }
        if (check.complete) {
          clearTimeout(timer);
          finish();
        }
      };
      const check = receiver(probe, s.expected, s.seqRule, paced ? () => check.complete && finish() : pump);
      checks = [check];
      pumpNow = paced ? undefined : pump;
      pump();
      return {
        sent: () => sent,
        extra: () => {
          clearTimeout(timer);
          return paced ? { maxSendLagUs: maxLagUs } : {};
        },
      };
    };
    return;
  }
  // pairs
  const flat = s.pairs.flat();
  clients = new Array<BenchClient>(flat.length);
  const r = await pool(flat.length, s.concurrency, async (i) => {
    clients[i] = await open(s, i, flat[i]!);
  });
  send({ type: 'ready', connected: clients.filter(Boolean).length, failed: r.failed, firstError: r.firstError });
  runRole = (finish) => {
    const sentBy = new Array<number>(flat.length).fill(0);
    let timer: NodeJS.Timeout | undefined;
    const allSent = () => halted || sentBy.every((n) => n >= s.expected);
    const checkDone = () => {
      if (!allSent()) return;
      // A stream is complete when it holds everything its partner sent.
      if (checks.every((c, i) => c.distinct >= sentBy[i ^ 1]!)) {
        clearInterval(timer);
        finish();
      }
    };
    // User i may have at most `window` messages not yet delivered to its partner (i ^ 1).
    const pump = (i: number) => {
      const client = clients[i];
      if (!client || client.closed) return;
      const to = flat[i ^ 1]!.username;
      const delivered = checks[i ^ 1]!;
      while (!halted && sentBy[i]! < s.expected && sentBy[i]! - delivered.distinct < s.window) {
        client.private(to, benchText(sentBy[i]!++, nowUs()));
        if (s.intervalMs > 0) break;
      }
    };
    checks = clients.map((c, i) =>
      receiver(c, s.expected, s.seqRule, () => {
        // A delivery to i frees a slot in its partner's window.
        if (s.intervalMs === 0) pump(i ^ 1);
        checkDone();
      }),
    );
    clients.forEach((c) => {
      c.onReply = (ok, code) => {
        if (!ok) countError(code);
      };
    });
    if (s.intervalMs > 0) {
      timer = setInterval(() => {
        for (let i = 0; i < clients.length; i++) pump(i);
        checkDone();
      }, s.intervalMs);
    } else {
      for (let i = 0; i < clients.length; i++) pump(i);
    }
    return {
      sent: () => sentBy.reduce((a, b) => a + b, 0),
      extra: () => {
        // Expected per stream is what the partner actually sent (a halted run sends fewer).
        checks.forEach((c, i) => (c.expected = sentBy[i ^ 1]!));
        clearInterval(timer);
        return {};
      },
    };
  };
}

let maybeDone: (() => void) | undefined;
/** fanout-sender: progress of the other receivers (min over workers), relayed by the runner. */
let progressHandler: ((value: number) => void) | undefined;
let pumpNow: (() => void) | undefined;

function go(deadlineMs: number): void {
  running = true;
  const startUs = nowUs();
  const cpuStart = process.cpuUsage();
  let finished = false;
  let timedOut = false;
  const current: { role?: ReturnType<typeof runRole> } = {};
  const finish = () => {
    if (finished) return;
    // A role may finish while it is still starting (nothing to wait for): report once it has.
    if (!current.role) return void setImmediate(finish);
    const role = current.role;
    finished = true;
    clearTimeout(deadline);
    running = false;
    const extra = role.extra?.() ?? {};
    const totals = emptyTotals();
    for (const c of checks) addTotals(totals, c.totals());
    const result: WorkerResult = {
      type: 'result',
      totals,
      hist: hist.toJSON(),
      startUs,
      lastUs,
      sent: role.sent(),
      sendErrors,
      disconnects,
      timedOut,
      cpuMs: (() => {
        const used = process.cpuUsage(cpuStart);
        return (used.user + used.system) / 1000;
      })(),
      ...extra,
    };
    send(result as unknown as Record<string, unknown>);
  };
  const deadline = setTimeout(() => {
    timedOut = true;
    finish();
  }, deadlineMs);
  current.role = runRole(finish);
  maybeDone?.();
}

process.on('message', (msg: Msg) => {
  switch (msg.type) {
    case 'setup':
      doSetup(msg).catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
      break;
    case 'go':
      go(msg.deadlineMs);
      break;
    case 'progress':
      progressHandler?.((msg as unknown as { value: number }).value);
      break;
    case 'halt':
      halted = true;
      break;
    case 'stop':
      for (const c of clients) c?.close();
      setTimeout(() => process.exit(0), 100);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
