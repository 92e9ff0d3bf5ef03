// Blocks in PostgreSQL: who refuses messages from whom, and since when (block
// spans in stream positions: what was sent during a block stays hidden after it).
import type { BlockStore } from '../store';
import { changed, rows, type Queryable } from './db';

/** The stream's head, where a block span starts or ends. */
const HEAD = '(SELECT coalesce(max(id), 0) FROM messages)';

export class PostgresBlocks implements BlockStore {
  constructor(private readonly pool: Queryable) {}

  async block(blocker: string, blocked: string): Promise<boolean> {
    return (
      (await changed(
        this.pool,
        `WITH added AS (INSERT INTO blocks (blocker, blocked) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING blocker, blocked)
         INSERT INTO block_spans (blocker, blocked, from_pos) SELECT blocker, blocked, ${HEAD} FROM added`,
        [blocker, blocked],
      )) > 0
    );
  }

  async unblock(blocker: string, blocked: string): Promise<boolean> {
    return (
      (await changed(
        this.pool,
        `WITH removed AS (DELETE FROM blocks WHERE blocker = $1 AND blocked = $2 RETURNING blocker, blocked)
         UPDATE block_spans s SET to_pos = ${HEAD} FROM removed r
         WHERE s.blocker = r.blocker AND s.blocked = r.blocked AND s.to_pos IS NULL`,
        [blocker, blocked],
      )) > 0
    );
  }

  async blockedBy(blocker: string): Promise<string[]> {
    // COLLATE "C": byte order, the same on every node and every backend.
    const found = await rows<{ blocked: string }>(this.pool, 'SELECT blocked FROM blocks WHERE blocker = $1 ORDER BY blocked COLLATE "C"', [blocker]);
    return found.map((r) => r.blocked);
  }

  async blockersOf(user: string): Promise<string[]> {
    const found = await rows<{ blocker: string }>(this.pool, 'SELECT blocker FROM blocks WHERE blocked = $1', [user]);
    return found.map((r) => r.blocker);
  }

  async isBlocked(blocker: string, blocked: string): Promise<boolean> {
    const found = await rows(this.pool, 'SELECT 1 FROM blocks WHERE blocker = $1 AND blocked = $2', [blocker, blocked]);
    return found.length > 0;
  }
}
