// PostgresStore: the Store interface over a pg Pool, for clusters of server
// nodes sharing one database. The SQL lives in accounts.ts, social.ts,
// messages.ts and message-writer.ts; this class owns the pool and its lifecycle.
import type { Pool } from 'pg';
import type { GroupRecord, LockState, NewMessage, Recipient, Store, StoredDelivery, StoredMessage, UserRecord } from '../store';
import * as accounts from './accounts';
import { MessageWriter } from './message-writer';
import * as messages from './messages';
import { runMigrations } from './migrations';
import * as social from './social';

export class PostgresStore implements Store {
  private closed = false;
  private readonly writer: MessageWriter;

  /** `schema` must be a validated identifier; the pool's search_path points at it. */
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    this.writer = new MessageWriter(pool);
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await runMigrations(client, this.schema);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.flush();
    await this.pool.end();
  }

  // ---- accounts
  createUser(username: string, passwordHash: string, now: number): Promise<boolean> {
    return accounts.createUser(this.pool, username, passwordHash, now);
  }
  getUser(username: string): Promise<UserRecord | null> {
    return accounts.getUser(this.pool, username);
  }
  setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    return accounts.setPasswordHash(this.pool, username, passwordHash);
  }
  recordLogin(username: string, now: number): Promise<void> {
    return accounts.recordLogin(this.pool, username, now);
  }
  usersLoggedInSince(since: number): Promise<{ username: string; lastLoginAt: number }[]> {
    return accounts.usersLoggedInSince(this.pool, since);
  }
  existingUsers(usernames: readonly string[]): Promise<string[]> {
    return accounts.existingUsers(this.pool, usernames);
  }
  hasUsers(): Promise<boolean> {
    return accounts.hasUsers(this.pool);
  }

  // ---- lockout
  getLockState(username: string, now: number): Promise<LockState> {
    return accounts.getLockState(this.pool, username, now);
  }
  recordFailedLogin(username: string, now: number, maxAttempts: number, lockMs: number): Promise<LockState> {
    return accounts.recordFailedLogin(this.pool, username, now, maxAttempts, lockMs);
  }
  clearFailedLogins(username: string): Promise<void> {
    return accounts.clearFailedLogins(this.pool, username);
  }

  // ---- tokens
  createToken(username: string, tokenHash: string, expiresAt: number, now: number): Promise<void> {
    return accounts.createToken(this.pool, username, tokenHash, expiresAt, now);
  }
  findToken(tokenHash: string, now: number): Promise<string | null> {
    return accounts.findToken(this.pool, tokenHash, now);
  }
  revokeToken(tokenHash: string): Promise<void> {
    return accounts.revokeToken(this.pool, tokenHash);
  }
  revokeTokensOf(username: string): Promise<void> {
    return accounts.revokeTokensOf(this.pool, username);
  }

  // ---- blocks
  block(blocker: string, blocked: string): Promise<boolean> {
    return social.block(this.pool, blocker, blocked);
  }
  unblock(blocker: string, blocked: string): Promise<boolean> {
    return social.unblock(this.pool, blocker, blocked);
  }
  blockedBy(blocker: string): Promise<string[]> {
    return social.blockedBy(this.pool, blocker);
  }
  blockersOf(user: string): Promise<string[]> {
    return social.blockersOf(this.pool, user);
  }
  isBlocked(blocker: string, blocked: string): Promise<boolean> {
    return social.isBlocked(this.pool, blocker, blocked);
  }

  // ---- groups
  createGroup(name: string, owner: string, members: readonly string[], now: number): Promise<boolean> {
    return social.createGroup(this.pool, name, owner, members, now);
  }
  getGroup(name: string): Promise<GroupRecord | null> {
    return social.getGroup(this.pool, name);
  }
  addGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    return social.addGroupMembers(this.pool, name, members);
  }
  removeGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    return social.removeGroupMembers(this.pool, name, members);
  }
  groupsOf(username: string): Promise<GroupRecord[]> {
    return social.groupsOf(this.pool, username);
  }

  // ---- messages and mailboxes
  saveMessage(message: NewMessage, recipients: readonly Recipient[]): Promise<{ message: StoredMessage; deliveries: StoredDelivery[] }> {
    return this.writer.save(message, recipients);
  }
  deliveriesAfter(username: string, afterSeq: number, limit: number): Promise<StoredDelivery[]> {
    return messages.deliveriesAfter(this.pool, username, afterSeq, limit);
  }
  lastSeq(username: string): Promise<number> {
    return messages.lastSeq(this.pool, username);
  }
  lastAcked(username: string): Promise<number> {
    return messages.lastAcked(this.pool, username);
  }
  ack(username: string, seq: number): Promise<void> {
    return messages.ack(this.pool, username, seq);
  }
  offlineDeliveries(username: string, limit: number): Promise<StoredDelivery[]> {
    return messages.offlineDeliveries(this.pool, username, limit);
  }
  countOfflineAfter(username: string, afterSeq: number): Promise<number> {
    return messages.countOfflineAfter(this.pool, username, afterSeq);
  }
  history(query: { viewer: string; peer?: string; group?: string; before?: number; limit: number }): Promise<StoredMessage[]> {
    return messages.history(this.pool, query);
  }
}
