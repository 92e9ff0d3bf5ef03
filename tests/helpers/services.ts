// Gating and isolation for tests that need PostgreSQL and/or Redis.
// Unset URL -> the suite is skipped with the reason in its name; in CI (or with
// CHAT_TEST_REQUIRE_SERVICES=1) a missing or unreachable service fails instead.
// Each run gets a fresh PostgreSQL schema and a random Redis key prefix.
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, it } from 'vitest';

// Fresh schemas and key prefixes live in ./isolation (no vitest there: the browser suite uses them too).
export { createTestKeyPrefix, createTestSchema } from './isolation';

export type Service = 'postgres' | 'redis';

export interface ServiceUrls {
  /** Set when 'postgres' was asked for. */
  postgresUrl: string;
  /** Set when 'redis' was asked for. */
  redisUrl: string;
}

const ENV: Record<Service, string> = { postgres: 'CHAT_TEST_POSTGRES_URL', redis: 'CHAT_TEST_REDIS_URL' };
const PROBE_TIMEOUT_MS = 3000;

/** True when a missing service must fail the run instead of skipping. */
export function servicesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1' || env.CHAT_TEST_REQUIRE_SERVICES === '1';
}

async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

/** Why the services cannot be used, or null when all are reachable. */
async function unavailableReason(needs: readonly Service[], env: NodeJS.ProcessEnv): Promise<string | null> {
  const missing = needs.filter((s) => !env[ENV[s]]);
  if (missing.length > 0) return `skipped: set ${missing.map((s) => ENV[s]).join(' and ')} to run`;
  for (const service of needs) {
    const url = env[ENV[service]] as string;
    try {
      await (service === 'postgres' ? probePostgres(url) : probeRedis(url));
    } catch (err) {
      return `skipped: ${service} at ${ENV[service]} is unreachable (${(err as Error).message})`;
    }
  }
  return null;
}

/**
 * Declares a suite that runs only when `needs` are configured and reachable.
 * Await it at the top level of the test file (the probe is asynchronous).
 * When unavailable: skipped with the reason in the suite name, or, when
 * services are required (CI), one failing test that states the reason.
 */
export async function describeWithServices(
  name: string,
  needs: readonly Service[],
  body: (urls: ServiceUrls) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const reason = await unavailableReason(needs, env);
  if (reason === null) {
    describe(name, () => body({ postgresUrl: env[ENV.postgres] ?? '', redisUrl: env[ENV.redis] ?? '' }));
  } else if (servicesRequired(env)) {
    describe(name, () => {
      it(`needs ${needs.join(' + ')} (CI or CHAT_TEST_REQUIRE_SERVICES=1)`, () => {
        throw new Error(reason.replace(/^skipped: /, ''));
      });
    });
  } else {
    describe.skip(`${name} (${reason})`, () => body({ postgresUrl: '', redisUrl: '' }));
  }
}
