// Login storm: N sign-ins at once at production hashing cost, while a few users
// who are already signed in keep exchanging messages. Measures the time until all
// N are signed in and whether the event loop stays responsive (their message p99).
import { cachedHashes } from '../hash-cache';
import { merge, ms, problems, startServerTarget, startWorkers, stopWorkers, type RunContext, type Worker } from '../harness';
import type { Cred, WorkerResult } from '../load-worker';
import type { ScenarioResult } from '../report';
import { Histogram } from '../stats';

export async function stormScenario(
  ctx: RunContext,
  p: { logins: number; hashCost: number; chatPairs: number; chatIntervalMs: number; store: 'memory' | 'sqlite'; smoke: boolean },
): Promise<ScenarioResult> {
  const name = `login-storm-${p.store}-${p.logins}`;
  ctx.log(`  ${name}: preparing ${p.logins + 2 * p.chatPairs} accounts at hash cost ${p.hashCost} (cached in ~/.cache/chat-bench)`);
  const prepared = await cachedHashes('storm', p.logins + 2 * p.chatPairs, p.hashCost, 2);
  const stormUsers: Cred[] = prepared.slice(0, p.logins);
  const chatters = prepared.slice(p.logins);
  const pairs: [Cred, Cred][] = Array.from({ length: p.chatPairs }, (_, i) => [chatters[2 * i]!, chatters[2 * i + 1]!]);
  ctx.log(`  ${name}`);
  // Accounts are created from the cached hashes before the server accepts connections.
  const server = await startServerTarget(ctx, 'ws', { store: p.store, users: [], seed: prepared, hashCost: p.hashCost, extra: { port: null } });
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
    server.proc.send({ type: 'loop-reset' });
    await server.proc.waitFor('loop-reset-done', 10_000);
    const deadlineMs = Math.max(ctx.deadlineMs, p.logins * 2_000);
    chat.proc.send({ type: 'go', deadlineMs: deadlineMs + 30_000 });
    storm.proc.send({ type: 'go', deadlineMs });
    const stormResult = await storm.proc.waitFor<WorkerResult>('result', deadlineMs + 15_000);
    chat.proc.send({ type: 'halt' });
    server.proc.send({ type: 'loop-stats' });
    const loop = await server.proc.waitFor<{ type: string; p99Ms: number; maxMs: number }>('loop-stats', 10_000);
    const chatResult = await chat.proc.waitFor<WorkerResult>('result', 30_000);
    const chatMerged = merge([chatResult]);
    const signIn = new Histogram();
    signIn.merge(stormResult.hist);
    const bad = problems(chatMerged, chat.ready.failed + storm.ready.failed);
    const failures = Object.entries(stormResult.signInFailures ?? {});
    if (failures.length > 0) bad.push(`sign-in failures: ${failures.map(([c, n]) => `${c}×${n}`).join(', ')}`);
    if (stormResult.timedOut) bad.push('not every sign-in finished before the deadline');
    const chatP99 = ms(chatMerged.hist.quantile(0.99));
    const judged = !p.smoke && p.hashCost >= 17 && p.logins >= 1000;
    return {
      name,
      params: { transport: 'ws', logins: p.logins, hashCost: p.hashCost, store: p.store, chatPairs: p.chatPairs, chatIntervalMs: p.chatIntervalMs },
      metrics: {
        signedIn: stormResult.signedIn ?? 0,
        allSignedInS: Math.round(((stormResult.lastUs - stormResult.startUs) / 1e6) * 100) / 100,
        signInP50S: Math.round(signIn.quantile(0.5) / 1e4) / 100,
        chatMessages: chatMerged.totals.received,
        chatP50Ms: ms(chatMerged.hist.quantile(0.5)),
        chatP99Ms: chatP99,
        chatMaxMs: ms(chatMerged.hist.max),
        serverLoopDelayP99Ms: Math.round(loop.p99Ms * 100) / 100,
        serverLoopDelayMaxMs: Math.round(loop.maxMs * 100) / 100,
        lost: chatMerged.totals.lost,
        duplicated: chatMerged.totals.duplicated,
        reordered: chatMerged.totals.reordered + chatMerged.totals.seqErrors,
      },
      target: judged
        ? "signed-in users' message p99 < 50 ms while 1000 logins hash at cost 17; every login succeeds"
        : 'every login succeeds; chatter loses nothing',
      status: bad.length > 0 ? 'fail' : judged && chatP99 >= 50 ? 'target-missed' : 'pass',
      notes: [
        ...(p.hashCost < 17 ? [`hashCost ${p.hashCost} (smoke size; production is 17)`] : []),
        ...(bad.length > 0 ? [`problems: ${bad.join('; ')}`] : []),
      ],
    };
  } finally {
    await stopWorkers(workers);
    await server.stop();
  }
}
