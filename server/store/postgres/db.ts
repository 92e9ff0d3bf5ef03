// The query seam shared by the PostgreSQL store modules: one pool, a helper for
// transactions, and converters for the column types pg hands back as strings.
import type { Pool, PoolClient, QueryResultRow } from 'pg';

/** Either the pool (autocommit) or a client inside a transaction. */
export type Queryable = Pick<Pool | PoolClient, 'query'>;

export async function rows<T extends QueryResultRow>(db: Queryable, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = await db.query<T>(sql, params);
  return result.rows;
}

/** Rows changed by a write (0 when pg reports none). */
export async function changed(db: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  const result = await db.query(sql, params);
  return result.rowCount ?? 0;
}

/**
 * Runs `work` in one transaction on a dedicated client: COMMIT when it
 * resolves, ROLLBACK when it throws. The promise settles after COMMIT returns.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * int8 columns arrive as strings (pg keeps 64-bit precision). Every number we
 * store is a millisecond timestamp, a sequence or an id, all below 2^53.
 */
export function toNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`Expected a safe integer from PostgreSQL, got ${String(value)}`);
  return n;
}

export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}
