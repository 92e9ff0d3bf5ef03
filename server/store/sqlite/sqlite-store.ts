// The default Store: one SQLite file (chat.db) in the data directory. Writes run
// in a writer thread (writer-thread.ts) that group-commits them with durable
// settings; reads run here, on the main thread's own read-only connection.
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { GroupRecord, LockState, NewMessage, Recipient, Store, StoredDelivery, StoredMessage, UserRecord } from '../store';
import { openReaderConnection, type SqliteSettings } from './connection';
import { prepareDatabaseFiles } from './file-modes';
import { readSchemaVersion } from './migrations';
import { currentLock, newMessageFields, toGroupRecord, toStoredDelivery, toStoredMessage } from './rows';
import { prepareStatements, type Statements } from './statements';
import { DEFAULT_MAX_BATCH, type WriteBatchStats } from './write-batch';
import type { WriteOp, WriteOps } from './write-ops';
import { SqliteWriter, type WriterLog } from './writer-client';

/** File name of the database inside a data directory. */
export const SQLITE_FILE_NAME = 'chat.db';

export type SqliteStoreOptions = (
  | {
      /** Directory holding chat.db; created (recursively, mode 0700) when missing. */
      dataDir: string;
    }
  | {
      /** Path of the database file; its directory is created when missing. */
      file: string;
    }
) & {
  /** Writes that force a commit without waiting for the writer's turn to end. Default 512. */
  maxBatch?: number;
  /** Where the death of the writer thread is reported. Default: console.error. */
  log?: WriterLog;
};

const consoleLog: WriterLog = {
  error: (details, message) => console.error(message, details),
};

/**
 * Opens (creating and migrating when needed) the SQLite store: starts its
 * writer thread, which opens the file and upgrades the schema, then opens this
 * thread's read-only connection.
 * Rejects with SchemaTooNewError, leaving the file untouched, when it was written
 * by a newer release; rejects on any other open or migration failure.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const file = 'dataDir' in options ? join(options.dataDir, SQLITE_FILE_NAME) : options.file;
  prepareDatabaseFiles(file);
  const { writer, settings } = await SqliteWriter.start(file, { maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH, log: options.log ?? consoleLog });
  let reader: Database.Database;
  try {
    reader = openReaderConnection(file);
  } catch (error) {
    await writer.close();
    throw error;
  }
  return new SqliteStore(reader, writer, settings);
}

/**
 * Concurrency (the same as the PostgreSQL store's):
 * MUST: a write's promise resolves only after its transaction committed (and was fsynced).
 * MUST: writes take effect in call order, across all write methods.
 * MUST: a read that starts after a write resolved sees that write.
 * Reads do not wait for writes still in flight: a read issued in the same turn
 * as a write may or may not see it. Every caller awaits its writes first.
 */
export class SqliteStore implements Store {
  private readonly s: Statements;
  private closed = false;

  /** Use openSqliteStore(). */
  constructor(
    private readonly db: Database.Database,
    private readonly writer: SqliteWriter,
    private readonly writerSettings: SqliteSettings,
  ) {
    this.s = prepareStatements(db);
  }

  /** Path of the database file. */
  get file(): string {
    return this.db.name;
  }

  /** The writer connection's settings, with the schema version as of now. */
  settings(): SqliteSettings {
    this.ready();
    return { ...this.writerSettings, schemaVersion: readSchemaVersion(this.db) };
  }

  /** Group-commit counters of the writer thread since open. */
  batchStats(): WriteBatchStats {
    return this.writer.batchStats();
  }

  /** Test seam: kills the writer thread as a crash would. */
  terminateWriterForTests(): Promise<void> {
    return this.writer.terminateForTests();
  }

  /** Throws once closed. */
  private ready(): void {
    if (this.closed) throw new Error(`SQLite store ${this.db.name} is closed`);
  }

  /** Runs a write in the writer thread; rejects at once when closed. */
  private write<K extends WriteOp>(op: K, ...args: Parameters<WriteOps[K]>): Promise<ReturnType<WriteOps[K]>> {
    if (this.closed) return Promise.reject(new Error(`SQLite store ${this.db.name} is closed`));
    return this.writer.run(op, args);
  }

  async migrate(): Promise<void> {
    this.ready();
    await this.writer.migrate();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The reader goes first, so the writer's connection is the last one and its
    // close removes the checkpointed WAL: the directory holds one self-contained file.
    this.db.close();
    await this.writer.close();
  }

  // ---------------------------------------------------------------- accounts

  createUser(username: string, passwordHash: string, now: number): Promise<boolean> {
    return this.write('createUser', username, passwordHash, now);
  }

  async getUser(username: string): Promise<UserRecord | null> {
    this.ready();
    const row = this.s.getUser.get(username);
    if (!row) return null;
    return { username: row.username, passwordHash: row.password_hash, createdAt: row.created_at, lastLoginAt: row.last_login_at };
  }

  setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    return this.write('setPasswordHash', username, passwordHash);
  }

  recordLogin(username: string, now: number): Promise<void> {
    return this.write('recordLogin', username, now);
  }

  async usersLoggedInSince(since: number): Promise<{ username: string; lastLoginAt: number }[]> {
    this.ready();
    return this.s.usersLoggedInSince.all(since).map((r) => ({ username: r.username, lastLoginAt: r.last_login_at }));
  }

  async existingUsers(usernames: readonly string[]): Promise<string[]> {
    this.ready();
    // In-process lookups on the primary key: no round trips, and input order for free.
    return usernames.filter((name) => this.s.userExists.get(name) !== undefined);
  }

  async hasUsers(): Promise<boolean> {
    this.ready();
    return this.s.anyUser.get() !== undefined;
  }

  // ---------------------------------------------------------------- lockout

  async getLockState(username: string, now: number): Promise<LockState> {
    this.ready();
    return currentLock(this.s.getLock.get(username), now);
  }

  recordFailedLogin(username: string, now: number, maxAttempts: number, lockMs: number): Promise<LockState> {
    return this.write('recordFailedLogin', username, now, maxAttempts, lockMs);
  }

  clearFailedLogins(username: string): Promise<void> {
    return this.write('clearFailedLogins', username);
  }

  // ---------------------------------------------------------------- tokens

  createToken(username: string, tokenHash: string, expiresAt: number, now: number): Promise<void> {
    return this.write('createToken', username, tokenHash, expiresAt, now);
  }

  async findToken(tokenHash: string, now: number): Promise<string | null> {
    this.ready();
    return this.s.findToken.get(tokenHash, now)?.username ?? null;
  }

  revokeToken(tokenHash: string): Promise<void> {
    return this.write('revokeToken', tokenHash);
  }

  revokeTokensOf(username: string): Promise<void> {
    return this.write('revokeTokensOf', username);
  }

  // ---------------------------------------------------------------- blocks

  block(blocker: string, blocked: string): Promise<boolean> {
    return this.write('block', blocker, blocked);
  }

  unblock(blocker: string, blocked: string): Promise<boolean> {
    return this.write('unblock', blocker, blocked);
  }

  async blockedBy(blocker: string): Promise<string[]> {
    this.ready();
    return this.s.blockedBy.all(blocker).map((r) => r.blocked);
  }

  async blockersOf(user: string): Promise<string[]> {
    this.ready();
    return this.s.blockersOf.all(user).map((r) => r.blocker);
  }

  async isBlocked(blocker: string, blocked: string): Promise<boolean> {
    this.ready();
    return this.s.isBlocked.get(blocker, blocked) !== undefined;
  }

  // ---------------------------------------------------------------- groups

  createGroup(name: string, owner: string, members: readonly string[], now: number): Promise<boolean> {
    return this.write('createGroup', name, owner, [...members], now);
  }

  async getGroup(name: string): Promise<GroupRecord | null> {
    this.ready();
    // One read transaction: the group row and its members come from the same commit.
    return this.db.transaction(() => {
      const row = this.s.getGroup.get(name);
      return row ? toGroupRecord(this.s, row) : null;
    })();
  }

  addGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    // The interface takes no clock here; joined_at is informational only.
    return this.write('addGroupMembers', name, [...members], Date.now());
  }

  removeGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    return this.write('removeGroupMembers', name, [...members]);
  }

  async groupsOf(username: string): Promise<GroupRecord[]> {
    this.ready();
    return this.db.transaction(() => {
      const groups = this.s.groupsOf.all(username).map((row): GroupRecord => ({ name: row.name, owner: row.owner, members: [], createdAt: row.created_at }));
      const byName = new Map(groups.map((g) => [g.name, g]));
      for (const m of this.s.membersOfGroupsOf.all(username)) byName.get(m.group_name)?.members.push(m.username);
      return groups;
    })();
  }

  // ---------------------------------------------------------------- messages and mailboxes

  async saveMessage(message: NewMessage, recipients: readonly Recipient[]): Promise<{ message: StoredMessage; deliveries: StoredDelivery[] }> {
    this.ready();
    const duplicate = findDuplicate(recipients);
    if (duplicate !== null) throw new Error(`saveMessage: recipient "${duplicate}" is listed twice`);
    // Names and flags travel as an array of strings and a byte array: cheaper to copy than 1000 objects.
    const names = recipients.map((r) => r.username);
    const offline = Uint8Array.from(recipients, (r) => (r.offline ? 1 : 0));
    // Only the fields the writer needs: everything posted is copied.
    const fields = newMessageFields(message);
    const { id, seqs } = await this.write('saveMessage', fields, names, offline);
    const stored: StoredMessage = { id, ...fields };
    const deliveries = recipients.map((r, i): StoredDelivery => ({ username: r.username, seq: seqs[i] as number, offline: r.offline, message: stored }));
    return { message: stored, deliveries };
  }

  async deliveriesAfter(username: string, afterSeq: number, limit: number): Promise<StoredDelivery[]> {
    this.ready();
    const n = pageSize(limit);
    return n === 0 ? [] : this.s.deliveriesAfter.all(username, afterSeq, n).map(toStoredDelivery);
  }

  async lastSeq(username: string): Promise<number> {
    this.ready();
    return this.s.seqs.get(username)?.last_seq ?? 0;
  }

  async lastAcked(username: string): Promise<number> {
    this.ready();
    return this.s.seqs.get(username)?.acked_seq ?? 0;
  }

  ack(username: string, seq: number): Promise<void> {
    return this.write('ack', username, seq);
  }

  async offlineDeliveries(username: string, limit: number): Promise<StoredDelivery[]> {
    this.ready();
    const n = pageSize(limit);
    return n === 0 ? [] : this.s.newestOffline.all(username, n).map(toStoredDelivery).reverse();
  }

  async countOfflineAfter(username: string, afterSeq: number): Promise<number> {
    this.ready();
    return this.s.countOfflineAfter.get(username, afterSeq)?.n ?? 0;
  }

  async history(query: { viewer: string; peer?: string; group?: string; before?: number; limit: number }): Promise<StoredMessage[]> {
    this.ready();
    const limit = pageSize(query.limit);
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    if (limit === 0) return [];
    if (query.group !== undefined) return this.s.groupHistory.all(query.group, before, limit).map(toStoredMessage);
    if (query.peer !== undefined) {
      return this.s.privateHistory.all({ a: query.viewer, b: query.peer, before, limit }).map(toStoredMessage);
    }
    throw new Error('history: give either `peer` or `group`');
  }
}

// ---------------------------------------------------------------- helpers

/** SQLite treats a negative LIMIT as "no limit"; the Store means "nothing". */
function pageSize(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}

function findDuplicate(recipients: readonly Recipient[]): string | null {
  const seen = new Set<string>();
  for (const r of recipients) {
    if (seen.has(r.username)) return r.username;
    seen.add(r.username);
  }
  return null;
}
