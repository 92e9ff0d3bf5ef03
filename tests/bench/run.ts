// `npm run bench`: measures our server over loopback from separate load
// processes, beside a raw `ws` relay (the Node floor) and, where installed, the
// IRC servers ngIRCd and InspIRCd, in the same run with the same scenarios,
// payloads and load generator. Every scenario measures each server once per
// repeat, one after another; the tables give the median and range of each
// figure and of ours / each reference. See BENCHMARKS.md.
//
//   npm run bench                                   the scenarios at full size, 3 repeats
//   npm run bench -- --peers ngircd,inspircd        the same, naming the peers (missing ones are skipped, with how to install them)
//   npm run bench -- --smoke                        every scenario at tiny sizes, 1 repeat (CI)
//   npm run bench -- --scenario fanout --clients 1000 --store sqlite --repeats 1 --json
//
// Exit status: 1 when any server lost, duplicated or reordered a message, broke
// the seq rule, got an error reply, dropped a connection or did not finish;
// with --strict also when a target was missed.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { renderSummary, summarize, summaryJson, type Measurement, type Scenario, type Summary } from './compare';
import { RELAY, ours, persists, serverLabel, storeLabel, type RunContext, type ServerSpec } from './harness';
import { PEER_NAMES, findPeer, type PeerName } from './peers';
import { ProcessPool, childFdLimit } from './proc';
import { durableScenario } from './scenarios/durable';
import { fanoutScenario } from './scenarios/fanout';
import { floodScenario } from './scenarios/flood';
import { FD_MARGIN, idleScenario } from './scenarios/idle';
import { pacedScenario } from './scenarios/paced';
import { pairsScenario } from './scenarios/pairs';
import { signinScenario } from './scenarios/signin';
import { stormScenario } from './scenarios/storm';
import { OUR_SEQ_RULE, type SeqRule } from './stats';

const SCENARIOS = ['fanout', 'pairs', 'paced', 'signin', 'idle', 'storm', 'durable', 'flood'] as const;
type ScenarioName = (typeof SCENARIOS)[number];
/** What `npm run bench` runs without --scenario: the comparisons the targets are about. */
const DEFAULT_SCENARIOS: ScenarioName[] = ['fanout', 'pairs', 'paced', 'signin', 'idle'];
type Store = 'memory' | 'sqlite';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function listOf<T extends string>(allowed: readonly T[], extra: readonly string[] = []) {
  return (value: string): T[] => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const item of items) {
      if (!allowed.includes(item as T) && !extra.includes(item))
        throw new InvalidArgumentError(`unknown "${item}"; choose from ${[...allowed, ...extra].join(', ')}`);
    }
    return items as T[];
  };
}

interface Flags {
  scenario?: string[];
  clients?: number;
  messages?: number;
  transport?: 'ws' | 'tcp';
  store?: Store[];
  peers?: string[];
  repeats?: number;
  json?: boolean;
  smoke?: boolean;
  strict?: boolean;
  workers: number;
  deadline: number;
  hashCost?: number;
  rate: number;
  seconds?: number;
  fanoutKind: 'broadcast' | 'group';
  seqRule: SeqRule;
  profile?: string;
  cpuProf?: string | boolean;
  serverRoot?: string;
  clientKey?: boolean;
}

const program = new Command('bench')
  .description('Chat server benchmarks over loopback, beside a ws relay and the IRC servers ngIRCd and InspIRCd (see BENCHMARKS.md)')
  .option(
    '--scenario <list>',
    `scenarios to run, comma-separated: ${SCENARIOS.join(', ')}, or all (default: ${DEFAULT_SCENARIOS.join(',')})`,
    listOf(SCENARIOS, ['all']),
  )
  .option('--peers <list>', `IRC servers to compare with: ${PEER_NAMES.join(',')} (the default, where installed) or none`, listOf(PEER_NAMES, ['none']))
  .option(
    '--store <list>',
    'our store(s): memory, sqlite or memory,sqlite (default: both for fanout, pairs, paced; SQLite for signin, idle, storm)',
    listOf(['memory', 'sqlite'] as const),
  )
  .addOption(new Option('--transport <t>', 'only this transport of ours (default: both)').choices(['ws', 'tcp']))
  .option('--repeats <n>', 'measure every server this many times, one after another within each repeat (default 3; 1 with --smoke)', positiveInt)
  .option('--clients <n>', 'receivers (fanout, paced, durable), pairs (pairs), users per transport (signin), connections (idle), logins (storm)', positiveInt)
  .option('--messages <n>', 'messages per sender (fanout, durable) or per user (pairs)', positiveInt)
  .option('--rate <n>', 'paced: messages per second', positiveInt, 20)
  .option(
    '--seconds <n>',
    'paced: how long the sender sends (default 20; 1 with --smoke); flood: how long the probe measures (default 10; 2 with --smoke)',
    positiveInt,
  )
  .addOption(
    new Option('--fanout-kind <kind>', 'ours in fanout and durable: broadcast, or a group of all receivers')
      .choices(['broadcast', 'group'])
      .default('broadcast'),
  )
  .option('--hash-cost <n>', 'scrypt cost: signin (default 4) and storm (default 17; 4 with --smoke)', positiveInt)
  .option('--json', 'JSON lines on stdout (one per measurement, one summary per scenario); the tables go to stderr')
  .option('--smoke', 'tiny sizes, fewer server variants, 1 repeat: every scenario well under a minute (CI)')
  .option('--strict', 'also exit 1 when a target is missed')
  .option('--workers <n>', 'load-generator processes per scenario', positiveInt, Math.max(2, os.availableParallelism()))
  .option('--deadline <seconds>', 'hard limit of each measured phase (sign-ins: the time allowed before the rest is reported as too slow)', positiveInt, 180)
  .addOption(
    new Option('--seq-rule <rule>', "the rule our server's per-recipient seq must follow").choices(['consecutive', 'increasing']).default(OUR_SEQ_RULE),
  )
  .option(
    '--cpu-prof [dir]',
    'write a CPU profile (.cpuprofile) of each of our server processes into dir (default bench-profiles), named scenario-server-repeat',
  )
  .option('--profile <dir>', 'the same as --cpu-prof <dir>')
  .option('--client-key', 'ours over WebSocket: a fresh clientKey on every chat send, as the client library sends (TCP commands have no key)')
  .option('--server-root <dir>', "benchmark another copy of the server's sources (a server/ directory), for before/after runs")
  .parse();

const flags = program.opts<Flags>();
// Read by server-process.ts in every server child.
if (flags.serverRoot) process.env.CHAT_BENCH_SERVER_ROOT = path.resolve(flags.serverRoot);
const out = flags.json ? process.stderr : process.stdout;
const log = (line: string) => out.write(`${line}\n`);
const smoke = flags.smoke === true;
const profileDir = flags.profile ?? (flags.cpuProf === undefined ? undefined : typeof flags.cpuProf === 'string' ? flags.cpuProf : 'bench-profiles');
const fdLimit = await childFdLimit();
const ctx: RunContext = {
  workers: smoke ? 1 : flags.workers,
  deadlineMs: (smoke ? Math.min(flags.deadline, 30) : flags.deadline) * 1000,
  profileDir: profileDir ? path.resolve(profileDir) : null,
  seqRule: flags.seqRule,
  clientKey: flags.clientKey === true,
  fdLimit,
  log,
  pool: new ProcessPool(smoke),
};
if (ctx.profileDir) mkdirSync(ctx.profileDir, { recursive: true });
if (ctx.clientKey) {
  // The TCP line commands have no key (README, "Sending exactly once"): keyed sends exist on WebSocket only.
  log('--client-key: our chat sends over WebSocket carry a fresh clientKey each; TCP has no key (WebSocket only)');
}
const repeats = flags.repeats ?? (smoke ? 1 : 3);

// Smoke runs cover every scenario; full runs default to the comparisons.
const wanted = new Set<ScenarioName>(
  !flags.scenario ? (smoke ? SCENARIOS : DEFAULT_SCENARIOS) : flags.scenario.includes('all') ? SCENARIOS : (flags.scenario as ScenarioName[]),
);
const transports: ('tcp' | 'ws')[] = flags.transport ? [flags.transport] : ['tcp', 'ws'];
const storesOr = (fallback: Store[]): Store[] => flags.store ?? fallback;

// Peers: the ones asked for (default: all), each available or skipped with how to install it.
const peerNames: PeerName[] = flags.peers?.includes('none') ? [] : ((flags.peers as PeerName[] | undefined) ?? [...PEER_NAMES]);
const peerSpecs: ServerSpec[] = [];
const peerSkips: string[] = [];
for (const name of peerNames) {
  const found = findPeer(name);
  if (found.available) peerSpecs.push({ id: name, kind: 'peer', peer: found });
  else peerSkips.push(`${name}: ${found.reason}`);
}

function oursFor(stores: Store[]): (ServerSpec & { kind: 'ours' })[] {
  return transports.flatMap((t) => stores.map((s) => ours(t, s) as ServerSpec & { kind: 'ours' }));
}
/** Smoke runs keep one variant of ours per scenario but cover every transport and store across scenarios. */
function smokeOurs(picks: ['tcp' | 'ws', Store][]): ServerSpec[] {
  const all = oursFor(storesOr(['memory', 'sqlite']));
  const chosen = picks.map(([t, s]) => all.find((o) => o.transport === t && o.store === s)).filter((x): x is ServerSpec & { kind: 'ours' } => !!x);
  return chosen.length > 0 ? chosen : all.slice(0, 1);
}
// Smoke runs use only ngIRCd of the peers: InspIRCd registers clients on a 1-second
// tick, which would add seconds (its path is covered by tests/integration/bench).
const smokePeers = peerSpecs.filter((p) => p.id === 'ngircd');
const comparison = (oursList: ServerSpec[]) => [...oursList, RELAY, ...(smoke ? smokePeers : peerSpecs)];

const plan: Scenario[] = [];
if (wanted.has('fanout')) {
  const sizes = flags.clients ? [flags.clients] : smoke ? [5] : [100, 1000];
  for (const receivers of sizes) {
    const messages = flags.messages ?? (smoke ? 20 : receivers >= 1000 ? 500 : 2000);
    const servers = comparison(
      smoke
        ? smokeOurs([
            ['ws', 'memory'],
            ['tcp', 'sqlite'],
          ])
        : oursFor(storesOr(['memory', 'sqlite'])),
    );
    plan.push(fanoutScenario(ctx, { receivers, messages, window: 16, kind: flags.fanoutKind, servers, skipped: peerSkips, smoke }));
  }
}
if (wanted.has('pairs')) {
  const pairs = flags.clients ?? (smoke ? 4 : 200);
  const messages = flags.messages ?? (smoke ? 20 : 500);
  // Smoke: ours only (the IRC private-message path is covered by unit tests of the line parser).
  const servers = smoke
    ? [
        ...smokeOurs([
          ['tcp', 'memory'],
          ['ws', 'sqlite'],
        ]),
        RELAY,
      ]
    : comparison(oursFor(storesOr(['memory', 'sqlite'])));
  plan.push(pairsScenario(ctx, { pairs, messages, window: 1, servers, skipped: smoke ? [] : peerSkips, smoke }));
}
if (wanted.has('paced')) {
  const receivers = flags.clients ?? (smoke ? 5 : 1000);
  const seconds = flags.seconds ?? (smoke ? 1 : 20);
  const servers = smoke ? smokeOurs([['tcp', 'memory']]) : comparison(oursFor(storesOr(['memory', 'sqlite'])));
  plan.push(pacedScenario(ctx, { receivers, ratePerSec: flags.rate, seconds, servers, skipped: smoke ? [] : peerSkips, smoke }));
}
if (wanted.has('signin')) {
  const perTransport = flags.clients ?? (smoke ? 20 : 10_000);
  const stores = storesOr(['sqlite']);
  // One row per store: TCP and WebSocket users sign in to the same server (or two, see signin.ts).
  const servers = stores.map((store) => ({ ...(ours('tcp', store) as ServerSpec & { kind: 'ours' }), id: `ours-${store}`, label: 'ours TCP+WS' }));
  plan.push(signinScenario(ctx, { perTransport, hashCost: flags.hashCost ?? 4, servers, skipped: [], smoke }));
}
if (wanted.has('idle')) {
  // 10k, and the largest count the open-files limit allows (one server process holds them all).
  const largest = Math.floor((fdLimit - FD_MARGIN - 800) / 1_000) * 1_000;
  const sizes = flags.clients ? [flags.clients] : smoke ? [50] : [...new Set([10_000, largest])].filter((n) => n > 0);
  const stores = storesOr(['sqlite']);
  for (const connections of sizes) {
    const servers = smoke ? oursFor(['memory']) : comparison(oursFor(stores));
    plan.push(
      idleScenario(ctx, {
        connections,
        servers,
        skipped: smoke ? [] : peerSkips,
        smoke,
        ...(connections === largest && !flags.clients
          ? {
              note: `${connections.toLocaleString('en-US')} is the largest size under this machine's open-files limit of ${fdLimit.toLocaleString('en-US')}; 100,000 needs a host where the limit can be raised`,
            }
          : {}),
      }),
    );
  }
}
if (wanted.has('storm')) {
  const logins = flags.clients ?? (smoke ? 10 : 1000);
  const hashCost = flags.hashCost ?? (smoke ? 4 : 17);
  const servers = storesOr(['sqlite']).map((s) => ours('ws', s) as ServerSpec & { kind: 'ours' });
  plan.push(stormScenario(ctx, { logins, hashCost, chatPairs: smoke ? 2 : 10, chatIntervalMs: 20, servers, smoke }));
}
if (wanted.has('durable')) {
  const receivers = flags.clients ?? (smoke ? 5 : 1000);
  const messages = flags.messages ?? (smoke ? 20 : 300);
  // Smoke runs it on a group so the group path stays covered.
  plan.push(durableScenario(ctx, { receivers, messages, window: 16, transport: flags.transport ?? 'ws', kind: smoke ? 'group' : flags.fanoutKind, smoke }));
}
if (wanted.has('flood')) {
  const seconds = flags.seconds ?? (smoke ? 2 : 10);
  plan.push(floodScenario(ctx, { seconds, intervalMs: 100, servers: [ours('ws', 'sqlite')], smoke }));
}

const started = Date.now();
const measured = plan.reduce((n, s) => n + s.servers.length * (s.repeatable === false ? 1 : repeats), 0);
log(
  `chat benchmark: ${plan.length} scenario(s), ${measured} server measurement(s) in ${repeats} repeat(s); ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, open-files limit ${fdLimit}, ${new Date().toISOString()}${smoke ? ' (smoke sizes)' : ''}`,
);
for (const spec of peerSpecs) if (spec.kind === 'peer') log(`peer ${serverLabel(spec)}: ${spec.peer.version} (${spec.peer.binary})`);
for (const skip of peerSkips) log(`peer skipped: ${skip}`);

/** Measurements by scenario name, then server id, then repeat - 1. */
const results = new Map<string, Map<string, (Measurement | undefined)[]>>(plan.map((s) => [s.name, new Map()]));
const loadAverages: number[] = [];
for (let repeat = 1; repeat <= repeats; repeat++) {
  const load = os.loadavg();
  loadAverages.push(Math.round(load[0]! * 100) / 100);
  log(`\nrepeat ${repeat}/${repeats}: load average ${load.map((l) => l.toFixed(2)).join(' ')}`);
  for (const scenario of plan) {
    if (repeat > 1 && scenario.repeatable === false) continue;
    // Rotate the order each repeat, so no server always runs first (or last) on a machine whose load drifts.
    const order = scenario.servers.map((_, i) => scenario.servers[(i + repeat - 1) % scenario.servers.length]!);
    for (const spec of order) {
      const label = `${scenario.name} ${serverLabel(spec)} ${storeLabel(spec)}`;
      log(`> ${label}`);
      const t0 = Date.now();
      let m: Measurement;
      try {
        m = await scenario.measure(spec, repeat);
      } catch (err) {
        m = { metrics: {}, problems: [`did not complete: ${err instanceof Error ? err.message : String(err)}`], shortfalls: [], notes: [] };
      }
      const byServer = results.get(scenario.name)!;
      const list = byServer.get(spec.id) ?? [];
      list[repeat - 1] = m;
      byServer.set(spec.id, list);
      const headline = scenario.columns
        .slice(0, 3)
        .map((c) => `${c.label} ${m.metrics[c.key] ?? '-'}`)
        .join(', ');
      const verdict = m.problems.length > 0 ? `FAIL: ${m.problems.join('; ')}` : m.shortfalls.length > 0 ? `TOO SLOW: ${m.shortfalls.join('; ')}` : 'ok';
      log(`  ${verdict} in ${((Date.now() - t0) / 1000).toFixed(1)} s (${headline})`);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ type: 'measurement', scenario: scenario.name, repeat, loadAverage: load, server: spec.id, label: serverLabel(spec), store: storeLabel(spec), persists: persists(spec), ...m })}\n`,
        );
      }
    }
  }
}
await ctx.pool.close();

const summaries: Summary[] = plan.map((scenario) => {
  const once = scenario.repeatable === false;
  return summarize(scenario, results.get(scenario.name)!, once ? loadAverages.slice(0, 1) : loadAverages, once ? 1 : repeats);
});
log('');
plan.forEach((scenario, i) => {
  log(renderSummary(summaries[i]!, scenario));
  log('');
  if (flags.json) process.stdout.write(`${summaryJson(summaries[i]!)}\n`);
});
log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
const failed = summaries.filter((s) => s.status === 'fail' || (flags.strict && s.status === 'target-missed'));
if (failed.length > 0) log(`FAILED: ${failed.map((s) => s.name).join(', ')}`);
process.exitCode = failed.length > 0 ? 1 : 0;
