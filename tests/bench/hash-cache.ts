// Precomputed password hashes for the login storm. A production-cost scrypt hash
// takes about a second, so 1000 accounts are hashed once, cached on disk
// (~/.cache/chat-bench, or $CHAT_BENCH_CACHE) and reused by later runs.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hashPassword } from '../../server/services/passwords';

export interface CachedUser {
  username: string;
  password: string;
  /** scrypt hash in the server's stored format. */
  hash: string;
}

export function cacheDir(): string {
  return process.env.CHAT_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'chat-bench');
}

/** The password of a benchmark account: derived from the name so the cache needs no secrets. */
export function benchPassword(username: string): string {
  return `pw-${username}`;
}

/**
 * Returns `count` users named `${prefix}0..` with hashes at `cost`, computing
 * (and appending to the cache) the ones missing. `concurrency` hashes run at once
 * on libuv's pool. Order: by index.
 */
export async function cachedHashes(prefix: string, count: number, cost: number, concurrency = 2): Promise<CachedUser[]> {
  mkdirSync(cacheDir(), { recursive: true });
  const file = path.join(cacheDir(), `hashes-${prefix}-cost${cost}.txt`);
  const known = new Map<string, string>();
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [user, hash] = line.split(' ');
      if (user && hash) known.set(user, hash);
    }
  }
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const missing = names.filter((n) => !known.has(n));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < missing.length) {
      const name = missing[next++]!;
      const hash = await hashPassword(benchPassword(name), cost);
      known.set(name, hash);
      // Appended one by one so an interrupted run keeps what it computed.
      appendFileSync(file, `${name} ${hash}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return names.map((username) => ({ username, password: benchPassword(username), hash: known.get(username)! }));
}

// `tsx tests/bench/hash-cache.ts PREFIX COUNT COST [CONCURRENCY]` fills the cache ahead of a run.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [prefix = 'storm', count = '1000', cost = '17', concurrency = '1'] = process.argv.slice(2);
  const started = Date.now();
  const users = await cachedHashes(prefix, Number(count), Number(cost), Number(concurrency));
  console.log(`${users.length} hashes at cost ${cost} ready in ${cacheDir()} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
