// The storage interfaces every backend implements (SQLite by default,
// PostgreSQL for several nodes, memory for benchmarks), split by role:
// accounts (with lockout and sign-in tokens), blocks, groups, and messages in
// one ordered stream. Services talk only to these.
//
// Guarantees every implementation MUST give:
// - A method's promise resolves only after its writes are committed; the server
//   acknowledges nothing to a client before that.
// - Every message is stored once, whatever its audience (no per-recipient rows):
//   its id is its position in the one stream. Positions start at 1, increase,
//   are never reused, and become visible in order: a reader that sees position
//   N also sees every committed position below N (so "after my position" never
//   skips a message that commits later with a smaller id).
// - A user's mailbox is computed when read: the messages of their conversations
//   after a position, with group membership at the time of each message, and
//   without senders the reader blocks now or blocked when the message was sent.
// - Timestamps are milliseconds since the Unix epoch. Names are case-sensitive.
// - "Sorted by name" means UTF-16 code-unit order ('B' < 'a'; COLLATE "C" in SQL).
// - saveMessage rejects, storing nothing, when a recipient is not a user.
// - A lock ends at now >= lockedUntil; it then reads { failures: 0, lockedUntil: null }.
// - Users and groups share one namespace: a name is taken by either, never both.
// - A store is opened ready to use: its open function (see create-store.ts)
//   creates or upgrades the schema, so nothing else runs migrations.
import type { ChatMessage, Delivery } from '../protocol';

export interface UserRecord {
  username: string;
  passwordHash: string;
  createdAt: number;
  /** Last successful sign-in, or null if never. */
  lastLoginAt: number | null;
}

export interface LockState {
  /** Consecutive failed attempts since the last success or lock expiry. */
  failures: number;
  /** While now < lockedUntil the account refuses every sign-in; null when not locked. */
  lockedUntil: number | null;
}

export interface GroupRecord {
  /** Surrogate id: keys the group's messages. A new group with an old name gets a new id (and no old messages). */
  id: number;
  name: string;
  owner: string;
  /** Members in the order they joined; always includes the owner unless the owner left. */
  members: string[];
  createdAt: number;
}

/** A message before it is stored: everything but its id. */
export type NewMessage = Omit<ChatMessage, 'id'>;

/**
 * The positions (message ids) between which a user had no session: broadcasts
 * in (from, to] were sent while they were away and are not theirs (broadcasts
 * are never queued); other messages in that range are marked `offline`.
 */
export interface AwayWindow {
  from: number;
  to: number;
}

/** One read of a user's mailbox: the messages of their conversations. */
export interface MailboxQuery {
  username: string;
  /** Only positions > after. */
  after: number;
  /** Only positions <= upTo (default: no bound). */
  upTo?: number;
  /** At most this many. */
  limit: number;
  /** The user's last away window (decides broadcasts and the offline flag); none: every broadcast counts, nothing is offline. */
  away?: AwayWindow;
  /** True: the newest `limit` of the range (still returned ascending). Default: the oldest. */
  newest?: boolean;
}

/** What a sign-in reads and records in one step. */
export interface SignInPositions {
  /** The stream's head (highest committed position) as the session starts. */
  head: number;
  /** The user's acknowledged position. */
  acked: number;
  /** Since the last sign-out (or since the beginning): away = (last sign-out position, head]. */
  away: AwayWindow;
}

/** A page of one conversation: private with `peer`, or a group's. */
export type HistoryQuery = {
  viewer: string;
  /** Only messages with id < before. */
  before?: number;
  limit: number;
} & ({ peer: string; group?: undefined } | { group: string; peer?: undefined });

/** Users, the lockout counters and sign-in tokens (only token hashes are stored). */
export interface AccountStore {
  /** Creates a user; resolves false when the name is taken by a user or a group. */
  createUser(username: string, passwordHash: string, now: number): Promise<boolean>;
  getUser(username: string): Promise<UserRecord | null>;
  /** Replaces the hash (password change). Resolves false for an unknown user. */
  setPasswordHash(username: string, passwordHash: string): Promise<boolean>;
  /** Sets lastLoginAt = now. */
  recordLogin(username: string, now: number): Promise<void>;
  /** Users whose lastLoginAt >= since, any order. */
  usersLoggedInSince(since: number): Promise<{ username: string; lastLoginAt: number }[]>;
  /** Subset of `usernames` that exist, in input order. */
  existingUsers(usernames: readonly string[]): Promise<string[]>;
  /** True when at least one account exists (the first-run notice asks). */
  hasUsers(): Promise<boolean>;

  // Lockout, keyed by the username typed (which need not exist).
  getLockState(username: string, now: number): Promise<LockState>;
  /**
   * Atomically records a failed attempt. When failures reach maxAttempts the
   * account is locked until now + lockMs and the counter restarts at 0.
   */
  recordFailedLogin(username: string, now: number, maxAttempts: number, lockMs: number): Promise<LockState>;
  clearFailedLogins(username: string): Promise<void>;

  // Sign-in tokens.
  createToken(username: string, tokenHash: string, expiresAt: number, now: number): Promise<void>;
  /** The token's user if it exists and expiresAt > now, else null. */
  findToken(tokenHash: string, now: number): Promise<string | null>;
  revokeToken(tokenHash: string): Promise<void>;
  revokeTokensOf(username: string): Promise<void>;
}

/** Who refuses messages from whom. */
export interface BlockStore {
  /** Resolves false if already blocked. */
  block(blocker: string, blocked: string): Promise<boolean>;
  /** Resolves false if it was not blocked. */
  unblock(blocker: string, blocked: string): Promise<boolean>;
  /** Whom `blocker` has blocked, sorted by name. */
  blockedBy(blocker: string): Promise<string[]>;
  /** Who has blocked `user`, any order. */
  blockersOf(user: string): Promise<string[]>;
  isBlocked(blocker: string, blocked: string): Promise<boolean>;
}

export interface GroupStore {
  /** Resolves false when the name is taken by a group or a user. The owner comes first; members are de-duplicated. */
  createGroup(name: string, owner: string, members: readonly string[], now: number): Promise<boolean>;
  getGroup(name: string): Promise<GroupRecord | null>;
  /** Adds members not already in; resolves the updated group, or null if it does not exist. */
  addGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null>;
  /**
   * Removes members; deletes the group when none remain. When the owner is
   * removed, ownership passes to the earliest-joined remaining member.
   * Resolves the updated group, or null if it does not exist or was deleted.
   */
  removeGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null>;
  /** Groups `username` belongs to, sorted by name. */
  groupsOf(username: string): Promise<GroupRecord[]>;
}

/** The message stream, every user's position in it, and the mailbox read from it. */
export interface MessageStore {
  /**
   * Stores a message once (O(1) whatever the audience) at the next position.
   * A group message is keyed by the group's current surrogate id; rejects,
   * storing nothing, when no group of that name exists.
   */
  saveMessage(message: NewMessage): Promise<ChatMessage>;
  /**
   * The user's mailbox, ascending by position: private messages to them,
   * broadcasts by others (outside the away window), and group messages of the
   * groups they belonged to when each was sent (not their own); senders they
   * block now, or blocked when the message was sent, are left out. Each
   * delivery's seq is the message id.
   */
  mailbox(query: MailboxQuery): Promise<Delivery[]>;
  /** How many messages mailbox() would return for `query` without a limit. */
  countMailbox(query: Omit<MailboxQuery, 'limit' | 'newest'>): Promise<number>;
  /** Highest committed position (0 when no message exists). */
  head(): Promise<number>;
  /** Highest position `username` acknowledged (0 if none, or unknown user). */
  lastAcked(username: string): Promise<number>;
  /** Raises the acknowledged position (never lowers it, never above head). */
  ack(username: string, position: number): Promise<void>;
  /** Starts a session: records the head as the sign-in position and returns the away window since the last sign-out. */
  signIn(username: string): Promise<SignInPositions>;
  /** Ends a session: raises the acknowledged position to `acked` and records the head as the sign-out position. */
  signOut(username: string, acked: number): Promise<void>;
  /** The away window computed at the user's last sign-in (empty { from: 0, to: 0 } before the first). */
  lastAway(username: string): Promise<AwayWindow>;
  /**
   * One page of a conversation, newest first. Private: messages between
   * `viewer` and `peer` both ways. Group: all messages of the group that now
   * has that name (not of an ended group that had it). A query
   * naming neither a peer nor a group is rejected with BAD_REQUEST.
   */
  history(query: HistoryQuery): Promise<ChatMessage[]>;
}

export interface Store {
  readonly accounts: AccountStore;
  readonly blocks: BlockStore;
  readonly groups: GroupStore;
  readonly messages: MessageStore;
  /** Flushes and closes. No method may be called afterwards. */
  close(): Promise<void>;
}
