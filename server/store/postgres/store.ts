// PostgresStore: the store roles over one pg Pool, for clusters of server
// nodes sharing one database. Each role's SQL lives in its own module
// (accounts.ts, blocks.ts, groups.ts, messages.ts); this class owns the pool.
import type { Pool } from 'pg';
import type { Store } from '../store';
import { PostgresAccounts } from './accounts';
import { PostgresAdmin } from './admin';
import { PostgresBlobStore } from './blobs';
import { PostgresBlocks } from './blocks';
import { PostgresFiles } from './files';
import { PostgresGroups } from './groups';
import { PostgresMessages } from './messages';

export class PostgresStore implements Store {
  readonly accounts: PostgresAccounts;
  readonly admin: PostgresAdmin;
  readonly blocks: PostgresBlocks;
  readonly groups: PostgresGroups;
  readonly messages: PostgresMessages;
  readonly files: PostgresFiles;
  readonly blobs: PostgresBlobStore;
  private closed = false;

  /** Use openPostgresStore(): it migrates the schema first. The pool's search_path points at the store's schema. */
  constructor(private readonly pool: Pool) {
    this.accounts = new PostgresAccounts(pool);
    this.admin = new PostgresAdmin(pool);
    this.blocks = new PostgresBlocks(pool);
    this.groups = new PostgresGroups(pool);
    this.messages = new PostgresMessages(pool);
    this.files = new PostgresFiles(pool);
    this.blobs = new PostgresBlobStore(pool);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('PostgreSQL store is closed');
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.messages.flush();
    await this.pool.end();
  }
}
