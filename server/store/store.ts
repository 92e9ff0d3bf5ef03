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
import type { ChatMessage, Delivery, Reaction } from '../protocol';
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

/** What a finished password check leaves: the lock as of now, and how many wrong passwords may still follow. */
export interface AttemptResult extends LockState {
  /** Wrong passwords before the name locks: the fewer of what `maxAttempts` and the hourly cap leave. */
  attemptsLeft: number;
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

/**
 * A message before it is stored: everything but its id. Of `replyTo` only the
 * id is kept (the quote is read from the original whenever the reply is read);
 * editedAt, deleted and reactions are not taken from it.
 */
export type NewMessage = Omit<ChatMessage, 'id'>;

/**
 * The files a message carries, stored with it (see MessageStore.saveMessage).
 * Who may read them follows from the message (FileStore.canRead), so nothing
 * per reader is written.
 */
export interface MessageFiles {
  /** File ids, in the order the message lists them; no repeats. */
  ids: readonly string[];
}

/** What saveMessageOnce did: stored `message` now, or found the one its sender stored with that key before. */
export interface SavedOnce {
  /** The new message (as saveMessage resolves it), or for a repeat the earlier one as every reader sees it now (getMessage). */
  message: ChatMessage;
  /** True: the key was used already; nothing was stored. */
  repeat: boolean;
}

/** A stored message with what permission checks need beside it. */
export interface StoredMessage {
  message: ChatMessage;
  /** The surrogate id of the group a group message was sent to (null for others). */
  groupId: number | null;
}

/** What toggleReaction did. */
export interface ReactionToggle {
  /** True: added; false: it existed and was removed. */
  added: boolean;
  /** The message's reactions afterwards (as ChatMessage.reactions, [] when none). */
  reactions: Reaction[];
}

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
  /**
   * The away window recorded at the previous sign-in (empty before the first):
   * its broadcasts were never the user's, also when that session ended
   * without acknowledging its deliveries.
   */
  previousAway: AwayWindow;
}

/** A page of one conversation: private with `peer`, a group's, or the broadcasts (`everyone`). */
export type HistoryQuery = {
  viewer: string;
  /** Only messages with id < before. */
  before?: number;
  limit: number;
} & (
  | { peer: string; group?: undefined; everyone?: undefined }
  | { group: string; peer?: undefined; everyone?: undefined }
  | { everyone: true; peer?: undefined; group?: undefined }
);

/** One conversation of a user: a direct peer, a group (by its current name), or the broadcasts. */
export type ConversationTarget = { peer: string } | { group: string } | { everyone: true };

/** A conversation as one user sees it (ConversationStore reads). */
export interface ConversationRecord {
  kind: 'direct' | 'group' | 'everyone';
  /** The peer or the group; '' for everyone. */
  name: string;
  /**
   * The newest message the user can see there: not from a sender they block
   * (now, or when it was sent); in a group, only from their own membership.
   * Null when there is none (a new group, Everyone before any broadcast).
   */
  lastMessage: ChatMessage | null;
  /** The user's read position there (0: nothing read; never below the floor set when the account was created). */
  read: number;
  /** Messages of others after `read` that the user can see (the same rules as lastMessage). */
  unread: number;
  /** Direct: how far the peer has read this conversation (0: nothing). Receipt rules are the caller's. */
  peerRead?: number;
  /** Group: each user's read position in this group (any order; members and former members alike). */
  memberReads?: Record<string, number>;
}

/** A page of a user's conversation list. */
export interface ConversationQuery {
  username: string;
  /** Only conversations whose last message id < before (conversations without messages always qualify). */
  before?: number;
  /** At most this many, except that conversations without messages are never split across pages. */
  limit: number;
}

/** One page of a message search (see MessageStore.search). */
export interface SearchQuery {
  viewer: string;
  /** Lower-cased words (protocol/search.ts searchTerms); every one must start a word of the text. Empty: nothing matches. */
  terms: readonly string[];
  /** Only the private conversation between the viewer and this user (registered spelling). */
  peer?: string;
  /** Only messages of groups with this name (the viewer's membership spans still apply). */
  group?: string;
  /** Only messages with id < beforeId (the paging cursor). */
  beforeId?: number;
  /** Only messages with ts < beforeTs (ms). */
  beforeTs?: number;
  /** Only messages with ts > afterTs (ms). */
  afterTs?: number;
  limit: number;
}

/** A user's profile as stored: null fields are unset (show the username; initials). */
export interface ProfileRecord {
  /** The registered spelling. */
  username: string;
  /** Trimmed, NFC, 1-64 characters (the service checks), or null. */
  displayName: string | null;
  /** The id of the uploaded image shown as the user's picture, or null. */
  avatar: string | null;
}

/** A change to a profile: a field left out (undefined) stays as it is, null clears it. */
export interface ProfileChange {
  displayName?: string | null;
  avatar?: string | null;
}

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
  listUsers(query: string, limit: number): Promise<({ lastLoginAt: number | null } & ProfileRecord)[]>;
  /**
   * Applies `change` to the profile of the user `username` names (in any case
   * or Unicode form) and resolves the profile as it now is, or null for an
   * unknown user. Rejects, changing nothing, when `change.avatar` names no
   * file. A file that is someone's avatar is readable by every user and is
   * never garbage-collected (file-store.ts).
   */
  setProfile(username: string, change: ProfileChange): Promise<ProfileRecord | null>;
  /** The profiles of the users `usernames` name (by canonical form), in input order; unknown names are left out. */
  getProfiles(usernames: readonly string[]): Promise<ProfileRecord[]>;
  /** The registered spelling of each of `usernames` that names a user (by canonical form), in input order; unknown names are left out. */
  existingUsers(usernames: readonly string[]): Promise<string[]>;
  /** True when at least one account exists (the first-run notice asks). */
  hasUsers(): Promise<boolean>;

  // Lockout, keyed by the username typed (which need not exist).
  getLockState(username: string, now: number): Promise<LockState>;
  /** Forgets the failures and any lock of `username` (an administrator's unlock). */
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
  finishLoginAttempt(username: string, now: number, ok: boolean, policy: LockoutPolicy): Promise<AttemptResult>;
  /**
   * Gives back a reservation whose check never ran (the hash queue was full,
   * the store failed), counting nothing, so the name's next sign-in need not
   * wait for the lease to end.
   */
  releaseLoginAttempt(username: string): Promise<void>;

  // Sign-in tokens. Every token belongs to a family: the tokens rotated, one
  // from the other, since one sign-in. Times are ms since the epoch.
  /** Stores a token; `family` defaults to a new family named by `tokenHash`. */
  createToken(username: string, tokenHash: string, expiresAt: number, now: number, family?: string): Promise<void>;
  /**
   * The token's user if it is accepted at `now`, else null: it exists,
   * expiresAt > now, and it was never rotated or its grace (graceUntil > now)
   * has not ended.
   */
  findToken(tokenHash: string, now: number): Promise<string | null>;
  /** The stored token whatever its state (rotated, past grace), or null when unknown or expired (expiresAt <= now). */
  getToken(tokenHash: string, now: number): Promise<TokenRecord | null>;
  /**
   * Atomically replaces `oldHash` by `newHash` in the same family (expiring at
   * `expiresAt`). The first rotation marks the old token rotated at `now`,
   * accepted until `graceUntil`; a later rotation inside that grace (a lost
   * reply, two tabs) adds a sibling and leaves the grace as it was.
   * - 'rotated': the new token is stored.
   * - 'reused': the old token was rotated and its grace is over; the whole
   *   family is deleted (the newest tokens too) and nothing is stored.
   * - 'invalid': the old token is unknown or expired; nothing is stored.
   */
  rotateToken(oldHash: string, newHash: string, now: number, graceUntil: number, expiresAt: number): Promise<TokenRotation>;
  /** Deletes one token. */
  revokeToken(tokenHash: string): Promise<void>;
  /** Deletes every token of `tokenHash`'s family (nothing when unknown). Resolves how many were deleted. */
  revokeTokenFamily(tokenHash: string): Promise<number>;
  revokeTokensOf(username: string): Promise<void>;
}

/** A stored sign-in token (only its hash is stored). Times are ms since the epoch. */
export interface TokenRecord {
  username: string;
  /** Shared by every token rotated from the same first token. */
  family: string;
  /** Null for tokens stored before creation times were kept. */
  createdAt: number | null;
  expiresAt: number;
  /** When a newer token replaced it; null while it is the newest of its line. */
  rotatedAt: number | null;
  /** A rotated token is accepted until then; null while not rotated. */
  graceUntil: number | null;
}

export type TokenRotation = { status: 'rotated' | 'reused'; username: string; family: string } | { status: 'invalid' };

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
  /**
   * Whether a group has `name` in any case (users and groups share the names, and a new
   * account must not take a group's). A read for a clear answer before work is done:
   * createUser still arbitrates a race.
   */
  hasGroupNamed(name: string): Promise<boolean>;
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
   * With `files`, the message's file references are written
   * in the same transaction: both or neither, so no committed message ever
   * lacks its files and garbage collection never deletes a file a message
   * carries. Rejects, storing nothing, when one of the files does not exist.
   */
  saveMessage(message: NewMessage, files?: MessageFiles): Promise<ChatMessage>;
  /**
   * saveMessage with the sender's idempotency key `clientKey` (protocol ClientKey).
   * When a message from `message.from` stored with that key exists (committed, or
   * earlier in the same commit), stores nothing and resolves it as it is now with
   * `repeat: true`; otherwise stores `message` with the key. Check and insert are
   * one atomic step (a unique index on sender and key backs it), so two saves with
   * the same key, however concurrent and on whatever node, store one message.
   * A key names a message as long as the message exists (a deleted one stays as a
   * tombstone, and still answers); deleting an account forgets its keys, and a
   * rename moves them to the new name.
   */
  saveMessageOnce(message: NewMessage, clientKey: string, files?: MessageFiles): Promise<SavedOnce>;
  /** The message `sender` stored with `clientKey`, as getMessage reads it, or null when there is none. */
  messageByClientKey(sender: string, clientKey: string): Promise<StoredMessage | null>;
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
   * One page of a conversation, newest first, leaving out messages from
   * senders `viewer` blocks now or blocked when the message was sent (the
   * viewer's own always stay; hidden messages take no place in the page).
   * Private: messages between `viewer` and `peer` both ways. Group: messages
   * of the group that now has that name (not of an ended group that had it).
   * Everyone: every broadcast. A query naming neither a peer nor a group is
   * rejected with BAD_REQUEST.
   */
  history(query: HistoryQuery): Promise<ChatMessage[]>;

  // Conversations and read positions. Nothing here is written per message but
  // one row per direct pair (its last id, upserted by saveMessage); the rest is
  // read from the stream with its indexes.
  /**
   * A page of the user's conversations, newest last message first: every peer
   * they exchanged private messages with (either direction) that has a message
   * they can see, every group they belong to, and Everyone (always listed).
   * Conversations without a message come last (groups by name, then Everyone).
   */
  conversations(query: ConversationQuery): Promise<ConversationRecord[]>;
  /**
   * Raises the user's read position in one conversation to `position` (never
   * lowers it, never above head). A group is the one that now has the name;
   * rejects when there is none. Resolves the position now and the unread count after it.
   */
  markRead(username: string, target: ConversationTarget, position: number): Promise<{ read: number; unread: number }>;
  /** Turns the user's read receipts on or off (default on). */
  setReadReceipts(username: string, on: boolean): Promise<void>;
  /** Those of `usernames` who turned read receipts off, in input order. */
  readReceiptsOff(usernames: readonly string[]): Promise<string[]>;
  /**
   * Full-text search over exactly what `viewer` may read, newest first (by id),
   * at most `limit`: private messages they sent or received, broadcasts (anyone's,
   * their own included), and messages of groups while they were a member (their
   * own included; membership spans as in mailbox(), also of groups that ended).
   * Senders the viewer blocks now, or blocked when the message was sent, are
   * left out. A message matches when each term starts one of its words, in any
   * case (see protocol/search.ts). Text that changes later (an edit) is matched
   * as it is now; empty text matches nothing.
   */
  search(query: SearchQuery): Promise<ChatMessage[]>;
  // Changes to stored messages. Every message read (mailbox, history, getMessage)
  // shows its current state: the edited text with editedAt, a deleted message as
  // a tombstone (text '', deleted: true, no reactions, no attachments), the quote
  // of the message it replies to (replyQuoteOf of the original now), and its
  // reactions (emojis ordered by their oldest reaction, users in the order they reacted).
  // An edit is an UPDATE of the row's text (full-text indexes follow it).

  /** The message at `id` as every reader sees it now, or null when there is none. */
  getMessage(id: number): Promise<StoredMessage | null>;
  /** Replaces the text and sets editedAt = at; resolves the message afterwards, or null when it does not exist or is deleted. */
  editMessage(id: number, text: string, at: number): Promise<ChatMessage | null>;
  /**
   * Makes the message a tombstone: text '', deleted, its reactions and the
   * references to the files it carried removed (so unreferenced uploads can be
   * collected). Resolves the tombstone, or null when it does not exist or was deleted already.
   */
  deleteMessage(id: number, at: number): Promise<ChatMessage | null>;
  /**
   * Adds `username`'s reaction `emoji` to the message, or removes it when it is
   * there. Resolves null (changing nothing) when the message does not exist or is deleted.
   */
  toggleReaction(id: number, username: string, emoji: string, at: number): Promise<ReactionToggle | null>;
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
  /** Entries whose name has this canonical form (canonicalName): a sign-in typed `ALICE` is part of alice's trail. */
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
   * Deletes the account: its profile, tokens, lock, blocks (both ways), group memberships
   * (ownership passes on as in removeGroupMembers; emptied groups go) and mailbox.
   * Messages it sent stay in their recipients' history. Resolves false for an unknown user.
   */
  deleteUser(username: string): Promise<boolean>;
  /**
   * Renames a user everywhere (account and profile, tokens, lock, blocks, groups,
   * messages and mailbox). 'taken' when `to` is a user or a group, 'unknown' when `from` is no user.
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
