// Isolation for tests that share PostgreSQL and Redis: a fresh schema and a
// random key prefix per run, removed afterwards. Free of vitest, so Playwright
// suites can use it as well.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** A short random tag, safe in SQL identifiers and Redis keys. */
export function randomTag(): string {
  return randomBytes(6).toString('hex');
}

/** Creates `chat_test_<random>`; drop() removes it with everything in it. */
export async function createTestSchema(url: string): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `chat_test_${randomTag()}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  return {
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh `chat_test:<random>:` prefix; clear() deletes every key under it. */
export function createTestKeyPrefix(url: string): { prefix: string; clear: () => Promise<void> } {
  const prefix = `chat_test:${randomTag()}:`;
  return {
    prefix,
    async clear() {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        // SCAN is bounded by the key count; the loop ends when the cursor wraps to 0.
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        await redis.quit().catch(() => undefined);
      }
    },
  };
}
