// `npm run bench`: drives the real server over loopback from separate load
// processes and reports throughput, latency and memory, with the WebSocket path
// compared to a raw `ws` relay measured in the same run. See BENCHMARKS.md.
//
//   npm run bench                                   every scenario at the sizes
//   npm run bench -- --smoke                        every scenario at tiny sizes (CI)
//   npm run bench -- --scenario fanout --clients 1000 --messages 200 --transport ws --json
//
// Exit status: 1 when any scenario lost, duplicated or reordered a message, got an
// error reply or did not finish; with --strict also when a target was missed.
import os from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RunContext } from './harness';
import { ProcessPool, childFdLimit } from './proc';
import { jsonLine, table, type ScenarioResult } from './report';
import { durableScenario } from './scenarios/durable';
import { fanoutScenario } from './scenarios/fanout';
import { idleScenario } from './scenarios/idle';
import { pairsScenario } from './scenarios/pairs';
import { stormScenario } from './scenarios/storm';

const SCENARIOS = ['fanout', 'pairs', 'idle', 'storm', 'durable'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

interface Flags {
  scenario?: ScenarioName;
  clients?: number;
  messages?: number;
  transport?: 'ws' | 'tcp';
  json?: boolean;
  smoke?: boolean;
  strict?: boolean;
  workers: number;
  deadline: number;
  hashCost?: number;
  store: 'memory' | 'sqlite';
  profile?: string;
  serverRoot?: string;
}

const program = new Command('bench')
  .description('Chat server benchmarks over loopback (see BENCHMARKS.md)')
  .addOption(new Option('--scenario <name>', 'run one scenario').choices(SCENARIOS))
  .option('--clients <n>', 'receivers (fanout, durable), pairs (pairs), connections (idle) or logins (storm)', positiveInt)
  .option('--messages <n>', 'messages per sender (fanout, durable, pairs)', positiveInt)
  .addOption(new Option('--transport <t>', 'transport for fanout and pairs (default: both)').choices(['ws', 'tcp']))
  .option('--json', 'one JSON line per scenario on stdout (the table goes to stderr)')
  .option('--smoke', 'tiny sizes: every scenario in well under a minute (CI)')
  .option('--strict', 'also exit 1 when a performance target is missed')
  .option('--workers <n>', 'load-generator processes per scenario', positiveInt, Math.max(2, os.availableParallelism()))
  .option('--deadline <seconds>', 'hard limit of each measured phase', positiveInt, 180)
  .option('--hash-cost <n>', 'scrypt cost for the login storm (default 17; 4 with --smoke)', positiveInt)
  .addOption(
    new Option('--store <store>', 'store for the login storm, default SQLite as in the server (fanout/pairs use memory; durable compares both)')
      .choices(['memory', 'sqlite'])
      .default('sqlite'),
  )
  .option('--server-root <dir>', "benchmark another copy of the server's sources (a server/ directory), for before/after runs")
  .option('--profile <dir>', 'write a CPU profile (.cpuprofile) of every server process into <dir>')
  .parse();

const flags = program.opts<Flags>();
// Read by server-process.ts in every server child.
if (flags.serverRoot) process.env.CHAT_BENCH_SERVER_ROOT = path.resolve(flags.serverRoot);
const out = flags.json ? process.stderr : process.stdout;
const log = (line: string) => out.write(`${line}\n`);
const smoke = flags.smoke === true;
const ctx: RunContext = {
  workers: smoke ? 1 : flags.workers,
  deadlineMs: (smoke ? Math.min(flags.deadline, 30) : flags.deadline) * 1000,
  profileDir: flags.profile ? path.resolve(flags.profile) : null,
  log,
  pool: new ProcessPool(smoke),
};
if (ctx.profileDir) mkdirSync(ctx.profileDir, { recursive: true });

const transports: ('ws' | 'tcp')[] = flags.transport ? [flags.transport] : ['ws', 'tcp'];
const wanted = (name: ScenarioName) => !flags.scenario || flags.scenario === name;
/** One planned measurement: a label for progress lines and the function that runs it. */
const plan: { label: string; run: () => Promise<ScenarioResult> }[] = [];

if (wanted('fanout')) {
  const sizes = flags.clients ? [flags.clients] : smoke ? [5] : [100, 1000];
  transports.forEach((transport, t) => {
    // Smoke covers each transport once and each kind once: ws broadcast, tcp group.
    if (!smoke || t === 0) {
      for (const receivers of sizes) {
        const messages = flags.messages ?? (smoke ? 20 : receivers >= 1000 ? 1000 : 3000);
        plan.push({
          label: `fanout ${transport} ${receivers}`,
          run: () => fanoutScenario(ctx, { transport, receivers, messages, kind: 'broadcast', window: 10, smoke }),
        });
      }
    }
    if (!smoke || t === transports.length - 1) {
      const groupSize = Math.min(flags.clients ?? (smoke ? 5 : 1000), 1000);
      const messages = flags.messages ?? (smoke ? 20 : 1000);
      plan.push({
        label: `fanout group ${transport} ${groupSize}`,
        run: () => fanoutScenario(ctx, { transport, receivers: groupSize, messages, kind: 'group', window: 10, smoke }),
      });
    }
  });
}
if (wanted('pairs')) {
  const pairs = flags.clients ?? (smoke ? 4 : 200);
  const messages = flags.messages ?? (smoke ? 20 : 500);
  for (const transport of transports)
    plan.push({ label: `pairs ${transport} ${pairs}`, run: () => pairsScenario(ctx, { transport, pairs, messages, window: 2, smoke }) });
}
if (wanted('idle')) {
  const sizes = flags.clients ? [flags.clients] : smoke ? [50] : [10_000, 50_000, 100_000];
  for (const connections of sizes) plan.push({ label: `idle ${connections}`, run: () => idleScenario(ctx, { connections, smoke }) });
  // Sizes above this machine's open-files limit are skipped; measure the largest that fits instead.
  const limit = await childFdLimit();
  const largestFitting = Math.floor((limit - 1_000) / 1_000) * 1_000;
  if (!flags.clients && !smoke && sizes.some((n) => n + 200 > limit) && largestFitting > 10_000) {
    plan.push({ label: `idle ${largestFitting} (largest under the fd limit ${limit})`, run: () => idleScenario(ctx, { connections: largestFitting, smoke }) });
  }
}
if (wanted('storm')) {
  const logins = flags.clients ?? (smoke ? 10 : 1000);
  const hashCost = flags.hashCost ?? (smoke ? 4 : 17);
  plan.push({
    label: `storm ${logins}`,
    run: () => stormScenario(ctx, { logins, hashCost, chatPairs: smoke ? 2 : 10, chatIntervalMs: 20, store: flags.store, smoke }),
  });
}
if (wanted('durable')) {
  const receivers = flags.clients ?? (smoke ? 5 : 1000);
  const messages = flags.messages ?? (smoke ? 20 : 300);
  plan.push({ label: `durable ${receivers}`, run: () => durableScenario(ctx, { receivers, messages, window: 10, transport: flags.transport ?? 'ws' }) });
}

const started = Date.now();
log(
  `chat benchmark: ${plan.length} measurement(s), ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${new Date().toISOString()}${smoke ? ' (smoke sizes)' : ''}`,
);
const results: ScenarioResult[] = [];
for (const step of plan) {
  log(`> ${step.label}`);
  const t0 = Date.now();
  let result: ScenarioResult;
  try {
    result = await step.run();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    result = { name: step.label.replace(/ /g, '-'), params: {}, metrics: {}, target: null, status: 'fail', notes: [`did not complete: ${message}`] };
  }
  log(`  ${result.status.toUpperCase()} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  results.push(result);
  if (flags.json) process.stdout.write(`${jsonLine(result)}\n`);
}
await ctx.pool.close();
log('');
log(table(results));
log(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s`);
const failed = results.filter((r) => r.status === 'fail' || (flags.strict && r.status === 'target-missed'));
if (failed.length > 0) log(`FAILED: ${failed.map((r) => r.name).join(', ')}`);
process.exitCode = failed.length > 0 ? 1 : 0;
