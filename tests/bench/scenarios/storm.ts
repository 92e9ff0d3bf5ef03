// Login storm: N sign-ins at once at production hashing cost, while a few users
// who are already signed in keep exchanging messages. Measures the time until all
// N are signed in and whether the event loop stays responsive (their message p99).
import { measurement, medianOf, type Measurement, type Scenario } from '../compare';
import { merge, ms, problems, startServerTarget, startWorkers, stopWorkers, type RunContext, type ServerSpec, type Worker } from '../harness';
import { cachedHashes } from '../hash-cache';
import type { Cred, WorkerResult } from '../load-worker';
import { Histogram } from '../stats';

interface StormParams {
  logins: number;
  hashCost: number;
  chatPairs: number;
  chatIntervalMs: number;
}

async function measureStorm(ctx: RunContext, store: 'memory' | 'sqlite', p: StormParams, profileName: string): Promise<Measurement> {
  ctx.log(`  preparing ${p.logins + 2 * p.chatPairs} accounts at hash cost ${p.hashCost} (cached in ~/.cache/chat-bench)`);
  const prepared = await cachedHashes('storm', p.logins + 2 * p.chatPairs, p.hashCost, 2);
  const stormUsers: Cred[] = prepared.slice(0, p.logins);
  const chatters = prepared.slice(p.logins);
  const pairs: [Cred, Cred][] = Array.from({ length: p.chatPairs }, (_, i) => [chatters[2 * i]!, chatters[2 * i + 1]!]);
  // Accounts are created from the cached hashes before the server accepts connections.
  const server = await startServerTarget(ctx, 'ws', { store, users: [], seed: prepared, hashCost: p.hashCost, extra: { port: null }, profileName });
  let workers: Worker[] = [];
  try {
    const [chat, storm] = (workers = await startWorkers(
      ctx,
      server,
      [
        // Paced chatter: one message every chatIntervalMs per user, halted when the storm is over.
        { role: 'pairs', pairs, expected: 1_000_000, window: 8, intervalMs: p.chatIntervalMs, concurrency: 4, localAddresses: [] },
        { role: 'storm', users: stormUsers, concurrency: 100, localAddresses: ['127.0.0.2'] },
      ],
      120_000 + 2 * p.chatPairs * 5_000,
    )) as [Worker, Worker];
    const proc = server.proc!;
    proc.send({ type: 'loop-reset' });
    await proc.waitFor('loop-reset-done', 10_000);
    const deadlineMs = Math.max(ctx.deadlineMs, p.logins * 2_000);
    chat.proc.send({ type: 'go', deadlineMs: deadlineMs + 30_000 });
    storm.proc.send({ type: 'go', deadlineMs });
    const stormResult = await storm.proc.waitFor<WorkerResult>('result', deadlineMs + 15_000);
    chat.proc.send({ type: 'halt' });
    proc.send({ type: 'loop-stats' });
    const loop = await proc.waitFor<{ type: string; p99Ms: number; maxMs: number }>('loop-stats', 10_000);
    const chatResult = await chat.proc.waitFor<WorkerResult>('result', 30_000);
    const chatMerged = merge([chatResult]);
    const signIn = new Histogram();
    signIn.merge(stormResult.hist);
    const bad = problems(chatMerged, chat.ready.failed + storm.ready.failed);
    const failures = Object.entries(stormResult.signInFailures ?? {});
    if (failures.length > 0) bad.push(`sign-in failures: ${failures.map(([c, n]) => `${c}×${n}`).join(', ')}`);
    if (stormResult.timedOut) bad.push('not every sign-in finished before the deadline');
    return measurement(
      {
        signedIn: stormResult.signedIn ?? 0,
        allSignedInS: Math.round(((stormResult.lastUs - stormResult.startUs) / 1e6) * 100) / 100,
        signInP50S: Math.round(signIn.quantile(0.5) / 1e4) / 100,
        chatMessages: chatMerged.totals.received,
        chatP50Ms: ms(chatMerged.hist.quantile(0.5)),
        chatP99Ms: ms(chatMerged.hist.quantile(0.99)),
        chatMaxMs: ms(chatMerged.hist.max),
        serverLoopDelayP99Ms: Math.round(loop.p99Ms * 100) / 100,
        serverLoopDelayMaxMs: Math.round(loop.maxMs * 100) / 100,
        lost: chatMerged.totals.lost,
        duplicated: chatMerged.totals.duplicated,
        reordered: chatMerged.totals.reordered,
        seqErrors: chatMerged.totals.seqErrors,
      },
      { problems: bad },
    );
  } finally {
    await stopWorkers(workers);
    await server.stop();
  }
}

export function stormScenario(ctx: RunContext, p: StormParams & { servers: (ServerSpec & { kind: 'ours' })[]; smoke: boolean }): Scenario {
  const judged = !p.smoke && p.hashCost >= 17 && p.logins >= 1000;
  return {
    name: `storm-${p.logins}`,
    title: `Login storm: ${p.logins} WebSocket sign-ins at once at hash cost ${p.hashCost} while ${p.chatPairs} signed-in pairs chat every ${p.chatIntervalMs} ms`,
    params: { logins: p.logins, hashCost: p.hashCost, chatPairs: p.chatPairs, chatIntervalMs: p.chatIntervalMs },
    servers: p.servers,
    skipped: [],
    columns: [
      { key: 'signedIn', label: 'signed in' },
      { key: 'allSignedInS', label: 'all signed in after s' },
      { key: 'signInP50S', label: 'sign-in p50 s' },
      { key: 'chatMessages', label: 'chat messages' },
      { key: 'chatP50Ms', label: 'chat p50 ms' },
      { key: 'chatP99Ms', label: 'chat p99 ms' },
      { key: 'chatMaxMs', label: 'chat max ms' },
      { key: 'serverLoopDelayP99Ms', label: 'loop delay p99 ms' },
      { key: 'serverLoopDelayMaxMs', label: 'loop delay max ms' },
    ],
    compared: [],
    targets: [
      {
        text: `signed-in users' message p99 < 50 ms while ${p.logins} logins hash at cost ${p.hashCost}`,
        judge(s) {
          if (!judged) return { met: null, detail: 'not judged at these sizes' };
          const rows = p.servers.map((x) => ({ id: x.id, p99: medianOf(s, x.id, 'chatP99Ms') }));
          return { met: rows.every((r) => r.p99 !== null && r.p99 < 50), detail: rows.map((r) => `${r.id}: ${r.p99} ms`).join(', ') };
        },
      },
    ],
    notes: p.hashCost < 17 ? [`hash cost ${p.hashCost} (production is 17)`] : [],
    measure: (spec, repeat) => measureStorm(ctx, (spec as ServerSpec & { kind: 'ours' }).store, p, `storm-${spec.id}-r${repeat}`),
  };
}
