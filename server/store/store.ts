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
// - Timestamps are milliseconds since the Unix epoch. Names are case-sensitive,
//   except where a user is looked up by a typed name: createUser, getUser,
//   existingUsers, setPasswordHash and recordLogin match users by
//   canonicalName() (NFKC + case folding), and a user's registered spelling is
//   what every other method takes and returns (messages, mailboxes, positions).
// - "Sorted by name" means UTF-16 code-unit order ('B' < 'a'; COLLATE "C" in SQL).
// - saveMessage rejects, storing nothing, when a recipient is not a user.
// - A lock ends at now >= lockedUntil; it then reads { failures: 0, lockedUntil: null }.
// - Users and groups share one namespace: a name is taken by either, never both.
// - A store is opened ready to use: its open function (see create-store.ts)
//   creates or upgrades the schema, so nothing else runs migrations.
import type { ChatMessage, Delivery } from '../protocol';
import type { BlobStore, FileStore } from './file-store';

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
  /**
   * Accounts whose name contains `query` (case-insensitive; '' matches all),
   * sorted by name in code-point order, at most `limit` of them. The people
   * directory reads this.
   */
  listUsers(query: string, limit: number): Promise<{ username: string; lastLoginAt: number | null }[]>;
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
  /**
   * Users `username` has a direct conversation with: everyone they sent a
   * private message to or received one from, each once, sorted by name, never
   * `username` itself. O(peers) index seeks, not a scan of the messages.
   */
  directPeers(username: string): Promise<string[]>;
}

/** One line of the audit log. */
export interface AuditEntry {
  /** Increases with every entry (newest = highest). */
  id: number;
  /** When it happened, ms since the epoch. */
  at: number;
  /** What happened: 'sign-in', 'sign-in-failed', 'lockout', 'user-locked', ... (README, "Audit log"). */
  action: string;
  /** Who did it: the user themselves, or `admin:<os user>` for the admin CLI; null when unknown. */
  actor: string | null;
  /** The account concerned (the name typed, for failed sign-ins), or null. */
  username: string | null;
  /** The client's address (host:port) for network events, else null. */
  address: string | null;
  /** Free text: the transport, a group name, the new name of a renamed user... */
  detail: string | null;
}

export interface AuditQuery {
  /** At most this many, newest first. */
  limit: number;
  username?: string;
  action?: string;
  /** Only entries with id < before (paging backwards). */
  before?: number;
  /** Only entries with at >= since. */
  since?: number;
}

/** A user as the admin tools list them. */
export interface UserSummary {
  username: string;
  createdAt: number;
  lastLoginAt: number | null;
  /** The stored lock's end (past values included: the caller compares with its clock), or null. */
  lockedUntil: number | null;
}

/** A session signed in on some node, as that node last reported it. */
export interface LiveSession {
  node: string;
  username: string;
  /** 'tcp' or 'ws'. */
  transport: string;
  address: string;
  /** When the node first reported the session, ms since the epoch. */
  since: number;
  /** The node's last report, ms since the epoch. */
  seenAt: number;
}

/** A request from the admin CLI to the running nodes, polled by each of them. */
export interface AdminSignal {
  id: number;
  /** 'end-session': disconnect `subject`'s session; 'group-deleted': tell the group's members (`detail`: members, comma-separated). */
  kind: 'end-session' | 'group-deleted';
  subject: string;
  detail: string;
  at: number;
}

/** Operator tooling: the audit log, account administration and the signals running nodes poll. */
export interface AdminStore {
  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<void>;
  /** Matching entries, newest first. */
  readAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** Deletes entries with at < before; resolves how many went. */
  pruneAudit(before: number): Promise<number>;

  /** Every user, sorted by name. */
  listUsers(): Promise<UserSummary[]>;
  /** Locks the account until `until` (whatever its failure count). Resolves false for an unknown user. */
  setLock(username: string, until: number): Promise<boolean>;
  /**
   * Deletes the account: its tokens, lock, blocks (both ways), group memberships
   * (ownership passes on as in removeGroupMembers; emptied groups go) and mailbox.
   * Messages it sent stay in their recipients' history. Resolves false for an unknown user.
   */
  deleteUser(username: string): Promise<boolean>;
  /**
   * Renames a user everywhere (account, tokens, lock, blocks, groups, messages and
   * mailbox). 'taken' when `to` is a user or a group, 'unknown' when `from` is no user.
   */
  renameUser(from: string, to: string): Promise<'ok' | 'unknown' | 'taken'>;
  /** Every group, sorted by name. */
  listGroups(): Promise<GroupRecord[]>;
  /** Deletes the group (its messages stay in history); resolves it as it was, or null if there was none. */
  deleteGroup(name: string): Promise<GroupRecord | null>;

  /** Replaces what `node` reports as signed in, refreshing seenAt = now for all of them. */
  putNodeSessions(node: string, sessions: readonly Omit<LiveSession, 'node' | 'seenAt'>[], now: number): Promise<void>;
  /** Sessions reported at or after `since` (stale reports of dead nodes drop out), sorted by username. */
  liveSessions(since: number): Promise<LiveSession[]>;
  /** Queues a signal; resolves its id. */
  postSignal(kind: AdminSignal['kind'], subject: string, detail: string, now: number): Promise<number>;
  /** Signals with id > afterId, ascending. */
  signalsAfter(afterId: number): Promise<AdminSignal[]>;
  /** The highest signal id (0 when none): a starting node ignores what came before it. */
  lastSignalId(): Promise<number>;
  /** Deletes signals with at < before. */
  pruneSignals(before: number): Promise<void>;
}

export interface Store {
  readonly accounts: AccountStore;
  readonly admin: AdminStore;
  readonly blocks: BlockStore;
  readonly groups: GroupStore;
  readonly messages: MessageStore;
  /**
   * Resolves when the backend can serve reads and writes right now (readiness
   * checks): the database answers a trivial query and, for SQLite, the writer
   * thread is alive. Rejects with the reason otherwise. Writes nothing.
   */
  ping(): Promise<void>;
  /** Uploads: metadata, references from messages and read grants (file-store.ts). */
  readonly files: FileStore;
  /** The bytes of uploads and thumbnails, content-addressed (file-store.ts). */
  readonly blobs: BlobStore;
  /** Flushes and closes. No method may be called afterwards. */
  close(): Promise<void>;
}
