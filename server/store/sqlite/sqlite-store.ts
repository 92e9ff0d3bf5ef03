// The default Store: one SQLite file (chat.db) in the data directory, opened
// with durable settings; message, ack and sign-in writes are group-committed.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type {
  GroupRecord,
  LockState,
  NewMessage,
  Recipient,
  Store,
  StoredDelivery,
  StoredMessage,
  UserRecord,
} from '../store';
import { applyMigrations, LATEST_SCHEMA_VERSION, readSchemaVersion, SchemaTooNewError } from './migrations';
import { toStoredDelivery, toStoredMessage } from './rows';
import { prepareStatements, type GroupRow, type Statements } from './statements';
import { DEFAULT_MAX_BATCH, WriteBatch, type WriteBatchStats } from './write-batch';

/** File name of the database inside a data directory. */
export const SQLITE_FILE_NAME = 'chat.db';

/** How long a statement waits for another connection's lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 5000;

export type SqliteStoreOptions = (
  | {
      /** Directory holding chat.db; created (recursively) when missing. */
      dataDir: string;
    }
  | {
      /** Path of the database file; its directory is created when missing. */
      file: string;
    }
) & {
  /** Queued writes that force a flush before the tick ends. Default 512. */
  maxBatch?: number;
};

/** Connection settings as SQLite reports them (for startup logs and tests). */
export interface SqliteSettings {
  /** 'wal' once opened. */
  journalMode: string;
  /** 2 = FULL: every commit is fsynced before it returns. */
  synchronous: number;
  foreignKeys: boolean;
  busyTimeoutMs: number;
  schemaVersion: number;
}

/**
 * Opens (creating and migrating when needed) the SQLite store.
 * Throws SchemaTooNewError, leaving the file untouched, when it was written by a
 * newer release; throws on any other open or migration failure.
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const file = 'dataDir' in options ? join(options.dataDir, SQLITE_FILE_NAME) : options.file;
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Check before any pragma that writes to the file: a newer file stays byte-for-byte as it was.
    const found = readSchemaVersion(db);
    if (found > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(file, found, LATEST_SCHEMA_VERSION);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite refused WAL mode for ${file} (journal_mode is ${String(mode)})`);
    // FULL: a resolved write survives a power cut (the server acknowledges only after commit).
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    applyMigrations(db);
    return new SqliteStore(db, options.maxBatch ?? DEFAULT_MAX_BATCH);
  } catch (error) {
    db.close();
    throw error;
  }
}

export class SqliteStore implements Store {
  private readonly s: Statements;
  private readonly batch: WriteBatch;
  private closed = false;

  /** Use openSqliteStore(); the connection must already be configured and migrated. */
  constructor(
    private readonly db: Database.Database,
    maxBatch: number,
  ) {
    this.s = prepareStatements(db);
    this.batch = new WriteBatch(db, maxBatch);
  }

  /** Path of the database file. */
  get file(): string {
    return this.db.name;
  }

  settings(): SqliteSettings {
    this.ready();
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
      foreignKeys: this.db.pragma('foreign_keys', { simple: true }) === 1,
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
      schemaVersion: readSchemaVersion(this.db),
    };
  }

  /** Group-commit counters since open. */
  batchStats(): WriteBatchStats {
    return this.batch.getStats();
  }

  /** Throws after close; otherwise runs queued writes so what follows sees them. */
  private ready(): void {
    if (this.closed) throw new Error(`SQLite store ${this.db.name} is closed`);
    this.batch.flush();
  }

  async migrate(): Promise<void> {
    this.ready();
    applyMigrations(this.db);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.batch.flush();
    this.closed = true;
    // Fold the WAL back into chat.db so the directory holds one self-contained file.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  // ---------------------------------------------------------------- accounts

  async createUser(username: string, passwordHash: string, now: number): Promise<boolean> {
    this.ready();
    return this.db.transaction(() => {
      if (this.s.nameTaken.get(username, username)) return false;
      this.s.insertUser.run(username, passwordHash, now);
      return true;
    })();
  }

  async getUser(username: string): Promise<UserRecord | null> {
    this.ready();
    const row = this.s.getUser.get(username);
    if (!row) return null;
    return { username: row.username, passwordHash: row.password_hash, createdAt: row.created_at, lastLoginAt: row.last_login_at };
  }

  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    this.ready();
    return this.s.setPasswordHash.run(passwordHash, username).changes > 0;
  }

  recordLogin(username: string, now: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`SQLite store ${this.db.name} is closed`));
    const { s } = this;
    // Group-committed like messages: a burst of sign-ins shares one fsync.
    // Readers still see it at once, since every read method flushes first.
    return this.batch.enqueue(() => {
      s.recordLogin.run(now, username);
    });
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

  // ---------------------------------------------------------------- lockout

  async getLockState(username: string, now: number): Promise<LockState> {
    this.ready();
    return currentLock(this.s.getLock.get(username), now);
  }

  async recordFailedLogin(username: string, now: number, maxAttempts: number, lockMs: number): Promise<LockState> {
    this.ready();
    return this.db.transaction(() => {
      const next = nextLockAfterFailure(currentLock(this.s.getLock.get(username), now), now, maxAttempts, lockMs);
      this.s.putLock.run(username, next.failures, next.lockedUntil);
      return next;
    })();
  }

  async clearFailedLogins(username: string): Promise<void> {
    this.ready();
    this.s.clearLock.run(username);
  }

  // ---------------------------------------------------------------- tokens

  async createToken(username: string, tokenHash: string, expiresAt: number, now: number): Promise<void> {
    this.ready();
    this.db.transaction(() => {
      // Housekeeping: a user's dead tokens go when they get a new one.
      this.s.purgeExpiredTokensOf.run(username, now);
      this.s.insertToken.run(tokenHash, username, expiresAt);
    })();
  }

  async findToken(tokenHash: string, now: number): Promise<string | null> {
    this.ready();
    return this.s.findToken.get(tokenHash, now)?.username ?? null;
  }

  async revokeToken(tokenHash: string): Promise<void> {
    this.ready();
    this.s.revokeToken.run(tokenHash);
  }

  async revokeTokensOf(username: string): Promise<void> {
    this.ready();
    this.s.revokeTokensOf.run(username);
  }

  // ---------------------------------------------------------------- blocks

  async block(blocker: string, blocked: string): Promise<boolean> {
    this.ready();
    return this.s.block.run(blocker, blocked).changes > 0;
  }

  async unblock(blocker: string, blocked: string): Promise<boolean> {
    this.ready();
    return this.s.unblock.run(blocker, blocked).changes > 0;
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

  async createGroup(name: string, owner: string, members: readonly string[], now: number): Promise<boolean> {
    this.ready();
    return this.db.transaction(() => {
      if (this.s.nameTaken.get(name, name)) return false;
      this.s.insertGroup.run(name, owner, now);
      let position = 1;
      for (const member of [owner, ...members]) {
        if (this.s.addMember.run(name, member, now, position).changes > 0) position++;
      }
      return true;
    })();
  }

  async getGroup(name: string): Promise<GroupRecord | null> {
    this.ready();
    const row = this.s.getGroup.get(name);
    return row ? this.groupRecord(row) : null;
  }

  async addGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    this.ready();
    return this.db.transaction(() => {
      const row = this.s.getGroup.get(name);
      if (!row) return null;
      // The interface takes no clock here; joined_at is informational only.
      const now = Date.now();
      let position = this.s.nextPosition.get(name)?.next ?? 1;
      for (const member of members) {
        if (this.s.addMember.run(name, member, now, position).changes > 0) position++;
      }
      return this.groupRecord(row);
    })();
  }

  async removeGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    this.ready();
    return this.db.transaction(() => {
      const row = this.s.getGroup.get(name);
      if (!row) return null;
      for (const member of members) this.s.removeMember.run(name, member);
      const group = this.groupRecord(row);
      const [successor] = group.members;
      if (successor === undefined) {
        this.s.deleteGroup.run(name);
        return null;
      }
      // The owner left: the earliest-joined remaining member takes over.
      if (!group.members.includes(group.owner)) {
        this.s.setOwner.run(successor, name);
        group.owner = successor;
      }
      return group;
    })();
  }

  async groupsOf(username: string): Promise<GroupRecord[]> {
    this.ready();
    const groups = this.s.groupsOf.all(username).map((row): GroupRecord => ({ name: row.name, owner: row.owner, members: [], createdAt: row.created_at }));
    const byName = new Map(groups.map((g) => [g.name, g]));
    for (const m of this.s.membersOfGroupsOf.all(username)) byName.get(m.group_name)?.members.push(m.username);
    return groups;
  }

  private groupRecord(row: GroupRow): GroupRecord {
    const members = this.s.membersOf.all(row.name).map((r) => r.username);
    return { name: row.name, owner: row.owner, members, createdAt: row.created_at };
  }

  // ---------------------------------------------------------------- messages and mailboxes

  saveMessage(message: NewMessage, recipients: readonly Recipient[]): Promise<{ message: StoredMessage; deliveries: StoredDelivery[] }> {
    if (this.closed) return Promise.reject(new Error(`SQLite store ${this.db.name} is closed`));
    const duplicate = findDuplicate(recipients);
    if (duplicate !== null) return Promise.reject(new Error(`saveMessage: recipient "${duplicate}" is listed twice`));
    const { s } = this;
    // Runs at flush time, in call order, inside its own savepoint of the batch transaction.
    return this.batch.enqueue(() => {
      const inserted = s.insertMessage.get(message.kind, message.from, message.to ?? null, message.group ?? null, message.text, message.ts);
      if (!inserted) throw new Error('saveMessage: INSERT returned no id');
      const stored = storedMessage(message, inserted.id);
      if (recipients.length === 0) return { message: stored, deliveries: [] };
      const seqOf = new Map<string, number>();
      for (const row of s.bumpSeqs.all(JSON.stringify(recipients.map((r) => r.username)))) seqOf.set(row.username, row.seq);
      const deliveries: StoredDelivery[] = [];
      const triples: [string, number, 0 | 1][] = [];
      for (const r of recipients) {
        const seq = seqOf.get(r.username);
        // Throwing rolls back this message's savepoint (seq bumps included): nothing of it remains.
        if (seq === undefined) throw new Error(`saveMessage: recipient "${r.username}" is not a user`);
        deliveries.push({ username: r.username, seq, offline: r.offline, message: stored });
        triples.push([r.username, seq, r.offline ? 1 : 0]);
      }
      s.insertDeliveries.run(inserted.id, JSON.stringify(triples));
      return { message: stored, deliveries };
    });
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
    if (this.closed) return Promise.reject(new Error(`SQLite store ${this.db.name} is closed`));
    const { s } = this;
    return this.batch.enqueue(() => {
      s.ack.run(seq, username);
    });
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

// ---------------------------------------------------------------- helpers shared by the methods

/** Lock state as of `now`: an expired lock reads as no lock and a fresh counter. */
function currentLock(row: { failures: number; locked_until: number | null } | undefined, now: number): LockState {
  if (!row) return { failures: 0, lockedUntil: null };
  if (row.locked_until !== null && now >= row.locked_until) return { failures: 0, lockedUntil: null };
  return { failures: row.failures, lockedUntil: row.locked_until };
}

function nextLockAfterFailure(state: LockState, now: number, maxAttempts: number, lockMs: number): LockState {
  const failures = state.failures + 1;
  if (failures >= maxAttempts) return { failures: 0, lockedUntil: now + lockMs };
  return { failures, lockedUntil: state.lockedUntil };
}

/** SQLite treats a negative LIMIT as "no limit"; the Store means "nothing". */
function pageSize(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}

function storedMessage(message: NewMessage, id: number): StoredMessage {
  const stored: StoredMessage = { id, kind: message.kind, from: message.from, text: message.text, ts: message.ts };
  if (message.to !== undefined) stored.to = message.to;
  if (message.group !== undefined) stored.group = message.group;
  return stored;
}

function findDuplicate(recipients: readonly Recipient[]): string | null {
  const seen = new Set<string>();
  for (const r of recipients) {
    if (seen.has(r.username)) return r.username;
    seen.add(r.username);
  }
  return null;
}
