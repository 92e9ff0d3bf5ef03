// Entry point of the PostgreSQL store: validates options, opens the pool with
// the schema on its search_path, runs migrations (the store's only migration
// entry point), and returns a Store.
import pg from 'pg';
import { serviceAddress } from '../../config';
import type { Store } from '../store';
import { runMigrations } from './migrations';
import { PostgresStore } from './store';

export { LATEST_VERSION, MigrationError } from './migrations';

export interface PostgresStoreOptions {
  /** Connection URL, e.g. postgres://chat@db.internal:5432/chat. */
  url: string;
  /** Schema holding the tables; created when missing. Default 'public'. Tests use a fresh one each. */
  schema?: string;
  /** Most connections this node opens. Default 10. */
  poolSize?: number;
}

/** Lower-case SQL identifier, so it can be spliced into statements unquoted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens the store and brings the schema up to date before resolving.
 * Rejects (and closes the pool) when the database cannot be reached or its
 * schema is newer than this code.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`Invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new Error(`poolSize must be a positive integer, got ${poolSize}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: poolSize,
    // Set on every connection at startup, so no query can run against another schema.
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection emits 'error' on the pool; without a
  // listener that would crash the process. The next query gets a fresh client.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect().catch((err: unknown) => {
      // pg says only "connect ECONNREFUSED ..."; name the service (never the password).
      throw new Error(`PostgreSQL at ${serviceAddress(options.url, 5432)}: ${(err as Error).message}`, { cause: err });
    });
    try {
      await runMigrations(client, schema);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return new PostgresStore(pool);
}
