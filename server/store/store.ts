// The storage interfaces every backend implements (SQLite by default,
// PostgreSQL for several nodes, memory for benchmarks), split by role:
// accounts (with lockout and sign-in tokens), blocks, groups, and messages with
// the per-recipient mailboxes. Services talk only to these.
//
// Guarantees every implementation MUST give:
// - A method's promise resolves only after its writes are committed; the server
//   acknowledges nothing to a client before that.
// - saveMessage is atomic: the message and all of its deliveries exist, or none.
// - Sequence numbers are per recipient, start at 1, increase by exactly 1 per
//   delivery and are never reused, even across restarts and across nodes.
// - Timestamps are milliseconds since the Unix epoch. Names are case-sensitive,
//   except where a user is looked up by a typed name: createUser, getUser,
//   existingUsers, setPasswordHash and recordLogin match users by
//   canonicalName() (NFKC + case folding), and a user's registered spelling is
//   what every other method takes and returns.
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

/** The whole lockout row of one name, as the backends keep it. */
export interface LoginGuard extends LockState {
  /** Start of the current hour of the hourly cap (first failure in it), or null. */
  hourStart: number | null;
  /** Failures since hourStart. */
  hourFailures: number;
  /** A verification holds the name until then (one in flight per name), or null. */
  leaseUntil: number | null;
}

/** The lockout rules the service applies through the store. */
export interface LockoutPolicy {
  /** Failures in a row that lock the name for lockMs. */
  maxAttempts: number;
  lockMs: number;
  /** Failures inside one hour that lock the name for an hour (ASVS V2.2.1). */
  maxPerHour: number;
}

/** The answer to beginLoginAttempt. */
export type AttemptReservation =
  | { granted: true }
  /** lockedUntil: the name is locked until then; null: another verification is in flight. */
  | { granted: false; lockedUntil: number | null };

export interface GroupRecord {
  name: string;
  owner: string;
  /** Members in the order they joined; always includes the owner unless the owner left. */
  members: string[];
  createdAt: number;
}

/** A message before it is stored: everything but its id. */
export type NewMessage = Omit<ChatMessage, 'id'>;

export interface Recipient {
  username: string;
  /** The recipient was offline when the message was sent: it waits in their mailbox. */
  offline: boolean;
}

/** One recipient's delivery of a message. */
export interface StoredDelivery extends Delivery {
  username: string;
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
  /** Creates a user; resolves false when the name is taken by a group, or by a user in any case or Unicode form. */
  createUser(username: string, passwordHash: string, now: number): Promise<boolean>;
  /** The user `username` names in any case or Unicode form; the record carries the registered spelling. */
  getUser(username: string): Promise<UserRecord | null>;
  /** Replaces the hash (password change) and records `now` as the change time. Resolves false for an unknown user. */
  setPasswordHash(username: string, passwordHash: string, now: number): Promise<boolean>;
  /**
   * Users whose password was changed at or after `since` (ms), with the time,
   * any order. Every node polls this to end the live sessions of a user whose
   * password changed anywhere (another node, or `adduser --update` run as a
   * separate process).
   */
  passwordsChangedSince(since: number): Promise<{ username: string; changedAt: number }[]>;
  /** Sets lastLoginAt = now. */
  recordLogin(username: string, now: number): Promise<void>;
  /** Users whose lastLoginAt >= since, any order. */
  usersLoggedInSince(since: number): Promise<{ username: string; lastLoginAt: number }[]>;
  /** The registered spelling of each of `usernames` that names a user (by canonical form), in input order; unknown names are left out. */
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
  /**
   * Atomically reserves the one password verification allowed in flight for
   * `username` (across every node sharing the store), before any hashing.
   * Refused while the name is locked or another reservation's lease (until
   * now + leaseMs) has not ended. See rules.beginAttempt.
   */
  beginLoginAttempt(username: string, now: number, leaseMs: number): Promise<AttemptReservation>;
  /**
   * Atomically ends a reservation with its result: a failure counts toward
   * both limits, a success clears the short counter. Resolves the lock as of
   * `now`, which a success must respect. See rules.finishAttempt.
   */
  finishLoginAttempt(username: string, now: number, ok: boolean, policy: LockoutPolicy): Promise<LockState>;

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

/** Messages and every user's mailbox: the deliveries with their sequence numbers. */
export interface MessageStore {
  /**
   * Stores a message and one delivery per recipient, each with the recipient's
   * next sequence number. Recipients must be distinct. Deliveries come back in
   * recipient order.
   */
  saveMessage(message: NewMessage, recipients: readonly Recipient[]): Promise<{ message: ChatMessage; deliveries: StoredDelivery[] }>;
  /** Deliveries for `username` with seq > afterSeq, ascending, at most `limit`. */
  deliveriesAfter(username: string, afterSeq: number, limit: number): Promise<StoredDelivery[]>;
  /** Highest sequence number ever assigned to `username` (0 if none). */
  lastSeq(username: string): Promise<number>;
  /** Highest sequence number `username` acknowledged (0 if none). */
  lastAcked(username: string): Promise<number>;
  /** Raises the acknowledged seq to `seq` (never lowers it, never above lastSeq). */
  ack(username: string, seq: number): Promise<void>;
  /** The newest `limit` deliveries queued while `username` was offline, ascending by seq. */
  offlineDeliveries(username: string, limit: number): Promise<StoredDelivery[]>;
  /** Number of offline deliveries with seq > afterSeq. */
  countOfflineAfter(username: string, afterSeq: number): Promise<number>;
  /**
   * One page of a conversation, newest first. Private: messages between
   * `viewer` and `peer` both ways. Group: all messages of the group. A query
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
