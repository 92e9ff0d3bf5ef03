// Blocks in PostgreSQL: who refuses messages from whom.
import type { BlockStore } from '../store';
import { changed, rows, type Queryable } from './db';

export class PostgresBlocks implements BlockStore {
  constructor(private readonly pool: Queryable) {}

  async block(blocker: string, blocked: string): Promise<boolean> {
    return (await changed(this.pool, 'INSERT INTO blocks (blocker, blocked) VALUES ($1, $2) ON CONFLICT DO NOTHING', [blocker, blocked])) > 0;
  }

  async unblock(blocker: string, blocked: string): Promise<boolean> {
    return (await changed(this.pool, 'DELETE FROM blocks WHERE blocker = $1 AND blocked = $2', [blocker, blocked])) > 0;
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
