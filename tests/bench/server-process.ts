// Child-process entry that runs the real chat server for a benchmark, so its
// RSS and CPU are its own. IPC messages in: launch (options), gc, loop-reset,
// loop-stats, stop; out: ready (ports), gc-done, loop-stats, error.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type * as ConfigModule from '../../server/config';
import type { ServerOptions } from '../../server/config';
import type * as IndexModule from '../../server/index';
import type * as CreateStoreModule from '../../server/store/create-store';
import type * as MemoryModule from '../../server/store/memory/index';

// The server under test: this checkout, or another copy of server/ for A/B runs (--server-root).
const root = process.env.CHAT_BENCH_SERVER_ROOT ? path.resolve(process.env.CHAT_BENCH_SERVER_ROOT) : path.resolve(import.meta.dirname, '..', '..', 'server');
const load = <T>(file: string): Promise<T> => import(pathToFileURL(path.join(root, file)).href) as Promise<T>;
const { resolveConfig } = await load<typeof ConfigModule>('config.ts');
const { startServer } = await load<typeof IndexModule>('index.ts');
const { createStore } = await load<typeof CreateStoreModule>('store/create-store.ts');

interface Launch {
  options: ServerOptions;
  /** `username hash` lines: accounts created before the server accepts connections. */
  seedFile?: string;
}

function send(msg: Record<string, unknown>): void {
  process.send?.(msg);
}

const launch = await new Promise<Launch>((resolve) => {
  const onLaunch = (msg: { type: string; launch?: Launch }) => {
    if (msg.type !== 'launch' || !msg.launch) return;
    process.off('message', onLaunch);
    resolve(msg.launch);
  };
  process.on('message', onLaunch);
  process.on('disconnect', () => process.exit(0));
});
try {
  if (launch.seedFile && launch.options.store === 'memory') {
    // The memory store lives inside startServer(), so accounts are added as it
    // opens: a benchmark-only hook that leaves the server code untouched.
    const { MemoryStore } = await load<typeof MemoryModule>('store/memory/index.ts');
    const open = MemoryStore.open.bind(MemoryStore);
    const lines = readFileSync(launch.seedFile, 'utf8').split('\n');
    MemoryStore.open = async () => {
      const store = await open();
      for (const line of lines) {
        const [username, hash] = line.split(' ');
        if (username && hash) await store.accounts.createUser(username, hash, Date.now());
      }
      return store;
    };
  } else if (launch.seedFile) {
    // Accounts whose production-cost hashes were computed ahead of time (see hash-cache.ts).
    const store = await createStore(resolveConfig(launch.options));
    const now = Date.now();
    for (const line of readFileSync(launch.seedFile, 'utf8').split('\n')) {
      const [username, hash] = line.split(' ');
      if (username && hash) await store.accounts.createUser(username, hash, now);
    }
    await store.close();
  }
  const server = await startServer(launch.options);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  process.on('message', (msg: { type: string }) => {
    switch (msg.type) {
      case 'gc':
        // Two passes: the first may only queue finalizers.
        globalThis.gc?.();
        globalThis.gc?.();
        send({ type: 'gc-done', heapUsed: process.memoryUsage().heapUsed });
        break;
      case 'loop-reset':
        loop.reset();
        send({ type: 'loop-reset-done' });
        break;
      case 'loop-stats':
        send({ type: 'loop-stats', p50Ms: loop.percentile(50) / 1e6, p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 });
        break;
      case 'stop':
        void server.close('benchmark finished').finally(() => process.exit(0));
        break;
    }
  });
  process.removeAllListeners('disconnect');
  process.on('disconnect', () => void server.close().finally(() => process.exit(0)));
  send({ type: 'ready', tcpPort: server.tcpPort, wsPort: server.wsPort, pid: process.pid });
} catch (err) {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}
