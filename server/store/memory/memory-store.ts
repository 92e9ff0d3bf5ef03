// A Store kept entirely in process memory: same semantics as the durable
// backends, nothing persisted. Benchmarks use it to show what durability costs.
//
// Every method is synchronous inside, so each one is atomic with respect to the
// others and calls made in one tick take effect in call order. Returned objects
// are copies or frozen, so callers cannot change the store's state by mutation.
import { canonicalName } from '../../protocol/canonical-name';
import type { ChatMessage, Delivery } from '../../protocol';
import {
  awayAtSignIn,
  beginAttempt,
  currentLock,
  finishAttempt,
  FRESH_GUARD,
  historyTarget,
  groupReactions,
  inAway,
  messageRecord,
  replyQuoteOf,
  pageSize,
} from '../rules';
import { matchesTerms } from '../../protocol/search';
import { MemoryBlobStore } from '../blobs/memory';
import { directKey, effectiveRead, FLOOR_KEY, keyOf, listConversations, resolveTarget, type ConversationReads, type ResolvedTarget } from '../conversations';
import { MemoryFiles } from './memory-files';
import { PairLogs } from './pair-logs';
import type { BlobStore, FileStore } from '../file-store';
import type {
  AccountStore,
  AdminSignal,
  AdminStore,
  AttemptReservation,
  AuditEntry,
  AuditQuery,
  AwayWindow,
  LiveSession,
  UserSummary,
  BlockStore,
  ConversationQuery,
  ConversationRecord,
  ConversationTarget,
  GroupRecord,
  GroupStore,
  HistoryQuery,
  AttemptResult,
  LockState,
  LockoutPolicy,
  LoginGuard,
  MailboxQuery,
  MessageFiles,
  MessageStore,
  NewMessage,
  SearchQuery,
  ProfileChange,
  ProfileRecord,
  ReactionToggle,
  SavedOnce,
  SignInPositions,
  StoredMessage,
  Store,
  TokenRecord,
  TokenRotation,
  UserRecord,
} from '../store';

interface UserState {
  record: UserRecord;
  displayName: string | null;
  /** File id of the user's picture, or null. */
  avatar: string | null;
  acked: number;
  signedIn: number;
  signedOut: number;
  away: AwayWindow;
  /** Private messages to this user, ascending by id. */
  inbox: ChatMessage[];
  /** Group memberships over time: positions (from, to], `to` null while still a member. */
  spans: { groupId: number; from: number; to: number | null }[];
}

interface MessageChanges {
  text?: string;
  editedAt?: number;
  deleted?: boolean;
  /** (emoji, user) in the order made. */
  reactions: [string, string][];
}

interface GroupState {
  id: number;
  name: string;
  owner: string;
  createdAt: number;
  /** Join order; `memberSet` mirrors it for O(1) membership tests. */
  members: string[];
  memberSet: Set<string>;
}

/** The state all roles share (users and groups share one namespace). */
class MemoryData {
  readonly users = new Map<string, UserState>();
  readonly groups = new Map<string, GroupState>();
  /** canonicalName(user) → the registered spelling, which keys `users` and everything else. */
  readonly userKeys = new Map<string, string>();
  /** blocker -> whom they block. */
  readonly blocking = new Map<string, Set<string>>();
  /** blocker -> blocked -> block spans over stream positions (from, to], `to` null while blocked. */
  readonly blockSpans = new Map<string, Map<string, { from: number; to: number | null }[]>>();
  /** Every message; messages[i].id === i + 1. */
  readonly stream: ChatMessage[] = [];
  /** Broadcasts, and each group's messages by group id; ascending by id. */
  readonly broadcasts: ChatMessage[] = [];
  readonly groupLog = new Map<number, ChatMessage[]>();
  /** user -> peer -> the newest private message id between them (either way). */
  readonly directPeers = new Map<string, Map<string, number>>();
  /** user -> conversation key (conversations.ts) -> read position. */
  readonly reads = new Map<string, Map<string, number>>();
  /** Users who turned read receipts off. */
  readonly receiptsOff = new Set<string>();
  /** What changed on a message since it was stored (edits, deletion, reactions), by id. */
  readonly changes = new Map<number, MessageChanges>();
  /** The id each reply answers, by the reply's id. */
  readonly replies = new Map<number, number>();
  /** The group id of each group message, by message id. */
  readonly groupOf = new Map<number, number>();
  /** sender -> client key -> the id of the message they stored with it (saveMessageOnce). */
  readonly clientKeys = new Map<string, Map<string, number>>();
  nextGroupId = 1;
  closed = false;

  /** Whether a group's name has the canonical form `key` (in any case: a new name must differ from every group's). */
  groupNameTaken(key: string): boolean {
    for (const name of this.groups.keys()) if (canonicalName(name) === key) return true;
    return false;
  }
  /** Whether an upload record exists (set by MemoryStore: the files live in MemoryFiles). */
  fileExists: (id: string) => boolean = () => false;

  get head(): number {
    return this.stream.length;
  }

  /** The user a typed name means (matched by canonical form), or undefined. */
  user(typed: string): UserState | undefined {
    const registered = this.userKeys.get(canonicalName(typed));
    return registered === undefined ? undefined : this.users.get(registered);
  }

  ready(): void {
    if (this.closed) throw new Error('Memory store is closed');
  }
}

class MemoryAccounts implements AccountStore {
  // Not private: MemoryAdmin deletes and renames across them.
  readonly locks = new Map<string, LoginGuard>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly tokensByUser = new Map<string, Set<string>>();

  constructor(private readonly data: MemoryData) {}

  async createUser(username: string, passwordHash: string, now: number): Promise<boolean> {
    this.data.ready();
    const key = canonicalName(username);
    if (this.data.userKeys.has(key) || this.data.groupNameTaken(key)) return false;
    this.data.userKeys.set(key, username);
    this.data.users.set(username, {
      record: { username, passwordHash, createdAt: now, lastLoginAt: null },
      displayName: null,
      avatar: null,
      // The mailbox starts at the head: no broadcast sent before the account existed is its own.
      acked: this.data.head,
      signedIn: 0,
      signedOut: 0,
      away: { from: 0, to: 0 },
      inbox: [],
      spans: [],
    });
    // Nothing sent before the account existed counts as unread.
    this.data.reads.set(username, new Map([[FLOOR_KEY, this.data.head]]));
    return true;
  }

  async getUser(username: string): Promise<UserRecord | null> {
    this.data.ready();
    const user = this.data.user(username);
    return user ? { ...user.record } : null;
  }

  /** Password change times by registered name (not part of UserRecord). */
  private readonly passwordChanged = new Map<string, number>();

  async setPasswordHash(username: string, passwordHash: string, now: number): Promise<boolean> {
    this.data.ready();
    const user = this.data.user(username);
    if (!user) return false;
    user.record.passwordHash = passwordHash;
    this.passwordChanged.set(user.record.username, now);
    return true;
  }

  async passwordsChangedSince(since: number): Promise<{ username: string; changedAt: number }[]> {
    this.data.ready();
    return [...this.passwordChanged].filter(([, at]) => at >= since).map(([username, changedAt]) => ({ username, changedAt }));
  }

  async recordLogin(username: string, now: number): Promise<void> {
    this.data.ready();
    const user = this.data.user(username);
    if (user) user.record.lastLoginAt = now;
  }

  async usersLoggedInSince(since: number): Promise<{ username: string; lastLoginAt: number }[]> {
    this.data.ready();
    const out: { username: string; lastLoginAt: number }[] = [];
    for (const { record } of this.data.users.values()) {
      if (record.lastLoginAt !== null && record.lastLoginAt >= since) out.push({ username: record.username, lastLoginAt: record.lastLoginAt });
    }
    return out;
  }

  async listUsers(query: string, limit: number): Promise<({ lastLoginAt: number | null } & ProfileRecord)[]> {
    this.data.ready();
    const needle = query.toLowerCase();
    const out: ({ lastLoginAt: number | null } & ProfileRecord)[] = [];
    for (const user of this.data.users.values()) {
      const { record } = user;
      if (record.username.toLowerCase().includes(needle)) out.push({ ...profileOf(user), lastLoginAt: record.lastLoginAt });
    }
    return out.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0)).slice(0, limit);
  }

  async setProfile(username: string, change: ProfileChange): Promise<ProfileRecord | null> {
    this.data.ready();
    const user = this.data.user(username);
    if (!user) return null;
    if (change.avatar !== undefined && change.avatar !== null && !this.data.fileExists(change.avatar)) {
      throw new Error(`setProfile: no file ${change.avatar}`);
    }
    if (change.displayName !== undefined) user.displayName = change.displayName;
    if (change.avatar !== undefined) user.avatar = change.avatar;
    return profileOf(user);
  }

  async getProfiles(usernames: readonly string[]): Promise<ProfileRecord[]> {
    this.data.ready();
    return usernames.flatMap((name) => {
      const user = this.data.user(name);
      return user ? [profileOf(user)] : [];
    });
  }

  async existingUsers(usernames: readonly string[]): Promise<string[]> {
    this.data.ready();
    return usernames.flatMap((name) => this.data.user(name)?.record.username ?? []);
  }

  async hasUsers(): Promise<boolean> {
    this.data.ready();
    return this.data.users.size > 0;
  }

  async getLockState(username: string, now: number): Promise<LockState> {
    this.data.ready();
    return currentLock(this.locks.get(username), now);
  }

  async beginLoginAttempt(username: string, now: number, leaseMs: number): Promise<AttemptReservation> {
    this.data.ready();
    const { next, outcome } = beginAttempt(this.locks.get(username), now, leaseMs);
    this.locks.set(username, next);
    return outcome;
  }

  async releaseLoginAttempt(username: string): Promise<void> {
    this.data.ready();
    const guard = this.locks.get(username);
    if (guard) this.locks.set(username, { ...guard, leaseUntil: null });
  }

  async finishLoginAttempt(username: string, now: number, ok: boolean, policy: LockoutPolicy): Promise<AttemptResult> {
    this.data.ready();
    const { next, lock } = finishAttempt(this.locks.get(username), now, ok, policy);
    this.locks.set(username, next);
    return lock;
  }

  async clearFailedLogins(username: string): Promise<void> {
    this.data.ready();
    this.locks.delete(username);
  }

  async createToken(username: string, tokenHash: string, expiresAt: number, now: number, family: string = tokenHash): Promise<void> {
    this.data.ready();
    this.putToken(username, tokenHash, { username, family, createdAt: now, expiresAt, rotatedAt: null, graceUntil: null }, now);
  }

  private putToken(username: string, tokenHash: string, record: TokenRecord, now: number): void {
    const own = setIn(this.tokensByUser, username);
    // Housekeeping, as in SQLite: a user's dead tokens go when they get a new one.
    for (const hash of own) {
      if ((this.tokens.get(hash)?.expiresAt ?? 0) <= now) {
        this.tokens.delete(hash);
        own.delete(hash);
      }
    }
    const previous = this.tokens.get(tokenHash);
    if (previous) this.tokensByUser.get(previous.username)?.delete(tokenHash);
    this.tokens.set(tokenHash, record);
    own.add(tokenHash);
  }

  async findToken(tokenHash: string, now: number): Promise<string | null> {
    this.data.ready();
    const token = this.tokens.get(tokenHash);
    return token && token.expiresAt > now && (token.graceUntil === null || token.graceUntil > now) ? token.username : null;
  }

  async getToken(tokenHash: string, now: number): Promise<TokenRecord | null> {
    this.data.ready();
    const token = this.tokens.get(tokenHash);
    return token && token.expiresAt > now ? { ...token } : null;
  }

  async rotateToken(oldHash: string, newHash: string, now: number, graceUntil: number, expiresAt: number): Promise<TokenRotation> {
    this.data.ready();
    const old = this.tokens.get(oldHash);
    if (!old || old.expiresAt <= now) return { status: 'invalid' };
    const { username, family } = old;
    if (old.graceUntil !== null && old.graceUntil <= now) {
      this.deleteFamily(family);
      return { status: 'reused', username, family };
    }
    if (old.rotatedAt === null) {
      old.rotatedAt = now;
      old.graceUntil = graceUntil;
    }
    this.putToken(username, newHash, { username, family, createdAt: now, expiresAt, rotatedAt: null, graceUntil: null }, now);
    return { status: 'rotated', username, family };
  }

  async revokeToken(tokenHash: string): Promise<void> {
    this.data.ready();
    const token = this.tokens.get(tokenHash);
    if (!token) return;
    this.tokens.delete(tokenHash);
    this.tokensByUser.get(token.username)?.delete(tokenHash);
  }

  async revokeTokenFamily(tokenHash: string): Promise<number> {
    this.data.ready();
    const token = this.tokens.get(tokenHash);
    return token ? this.deleteFamily(token.family) : 0;
  }

  private deleteFamily(family: string): number {
    let deleted = 0;
    for (const [hash, token] of this.tokens) {
      if (token.family !== family) continue;
      this.tokens.delete(hash);
      this.tokensByUser.get(token.username)?.delete(hash);
      deleted++;
    }
    return deleted;
  }

  async revokeTokensOf(username: string): Promise<void> {
    this.data.ready();
    for (const hash of this.tokensByUser.get(username) ?? []) this.tokens.delete(hash);
    this.tokensByUser.delete(username);
  }
}

class MemoryBlocks implements BlockStore {
  // Not private: MemoryAdmin deletes and renames across it.
  readonly blockedByIndex = new Map<string, Set<string>>();

  constructor(private readonly data: MemoryData) {}

  private get blocking(): Map<string, Set<string>> {
    return this.data.blocking;
  }

  async block(blocker: string, blocked: string): Promise<boolean> {
    this.data.ready();
    const set = setIn(this.blocking, blocker);
    if (set.has(blocked)) return false;
    set.add(blocked);
    let spans = this.data.blockSpans.get(blocker);
    if (!spans) this.data.blockSpans.set(blocker, (spans = new Map<string, { from: number; to: number | null }[]>()));
    pushIn(spans, blocked, { from: this.data.head, to: null });
    setIn(this.blockedByIndex, blocked).add(blocker);
    return true;
  }

  async unblock(blocker: string, blocked: string): Promise<boolean> {
    this.data.ready();
    if (!this.blocking.get(blocker)?.delete(blocked)) return false;
    const open = this.data.blockSpans
      .get(blocker)
      ?.get(blocked)
      ?.find((span) => span.to === null);
    if (open) open.to = this.data.head;
    this.blockedByIndex.get(blocked)?.delete(blocker);
    return true;
  }

  async blockedBy(blocker: string): Promise<string[]> {
    this.data.ready();
    return [...(this.blocking.get(blocker) ?? [])].sort(byCodeUnit);
  }

  async blockersOf(user: string): Promise<string[]> {
    this.data.ready();
    return [...(this.blockedByIndex.get(user) ?? [])];
  }

  async isBlocked(blocker: string, blocked: string): Promise<boolean> {
    this.data.ready();
    return this.blocking.get(blocker)?.has(blocked) ?? false;
  }
}

class MemoryGroups implements GroupStore {
  // Not private: MemoryAdmin renames members.
  readonly groupsByMember = new Map<string, Set<string>>();

  constructor(private readonly data: MemoryData) {}

  async createGroup(name: string, owner: string, members: readonly string[], now: number): Promise<boolean> {
    this.data.ready();
    if (this.data.groupNameTaken(canonicalName(name)) || this.data.userKeys.has(canonicalName(name))) return false;
    const group: GroupState = { id: this.data.nextGroupId++, name, owner, createdAt: now, members: [], memberSet: new Set() };
    this.data.groups.set(name, group);
    this.join(group, [owner, ...members]);
    return true;
  }

  async getGroup(name: string): Promise<GroupRecord | null> {
    this.data.ready();
    const group = this.data.groups.get(name);
    return group ? groupRecord(group) : null;
  }

  async hasGroupNamed(name: string): Promise<boolean> {
    this.data.ready();
    return this.data.groupNameTaken(canonicalName(name));
  }

  async addGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    this.data.ready();
    const group = this.data.groups.get(name);
    if (!group) return null;
    this.join(group, members);
    return groupRecord(group);
  }

  async removeGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    this.data.ready();
    const group = this.data.groups.get(name);
    if (!group) return null;
    const leaving = new Set(members.filter((m) => group.memberSet.has(m)));
    if (leaving.size > 0) {
      group.members = group.members.filter((m) => !leaving.has(m));
      for (const m of leaving) {
        group.memberSet.delete(m);
        this.groupsByMember.get(m)?.delete(name);
        const span = this.data.users.get(m)?.spans.find((sp) => sp.groupId === group.id && sp.to === null);
        if (span) span.to = this.data.head;
      }
    }
    const [successor] = group.members;
    if (successor === undefined) {
      this.data.groups.delete(name);
      return null;
    }
    // The owner left: the earliest-joined remaining member takes over.
    if (!group.memberSet.has(group.owner)) group.owner = successor;
    return groupRecord(group);
  }

  async groupsOf(username: string): Promise<GroupRecord[]> {
    this.data.ready();
    const names = [...(this.groupsByMember.get(username) ?? [])].sort(byCodeUnit);
    return names.map((n) => groupRecord(this.data.groups.get(n)!));
  }

  private join(group: GroupState, members: readonly string[]): void {
    for (const m of members) {
      if (group.memberSet.has(m)) continue;
      group.memberSet.add(m);
      group.members.push(m);
      setIn(this.groupsByMember, m).add(group.name);
      this.data.users.get(m)?.spans.push({ groupId: group.id, from: this.data.head, to: null });
    }
  }
}

class MemoryMessages implements MessageStore {
  /** Private conversations by pair; ascending by id. */
  private privateLog = new PairLogs<ChatMessage>();

  constructor(
    private readonly data: MemoryData,
    private readonly files: MemoryFiles,
  ) {}

  /** A stored record as readers see it now (edits, deletion, reactions, the quote it carries). */
  private view(m: ChatMessage): ChatMessage {
    const changes = this.data.changes.get(m.id);
    const replyId = this.data.replies.get(m.id);
    if (!changes && replyId === undefined) return m;
    const original = replyId === undefined ? undefined : this.data.stream[replyId - 1];
    const quoted = original && this.data.changes.get(original.id);
    return messageRecord(
      m.id,
      { ...m, text: changes?.text ?? m.text },
      {
        replyTo: original && replyQuoteOf({ ...original, text: quoted?.text ?? original.text, deleted: quoted?.deleted }),
        editedAt: changes?.editedAt,
        deleted: changes?.deleted,
        reactions: changes && groupReactions(changes.reactions),
      },
    );
  }

  async getMessage(id: number): Promise<StoredMessage | null> {
    this.data.ready();
    const m = Number.isInteger(id) && id >= 1 ? this.data.stream[id - 1] : undefined;
    return m ? { message: this.view(m), groupId: this.data.groupOf.get(id) ?? null } : null;
  }

  private live(id: number): MessageChanges | null {
    if (!Number.isInteger(id) || id < 1 || id > this.data.stream.length) return null;
    let changes = this.data.changes.get(id);
    if (changes?.deleted) return null;
    if (!changes) this.data.changes.set(id, (changes = { reactions: [] }));
    return changes;
  }

  async editMessage(id: number, text: string, at: number): Promise<ChatMessage | null> {
    this.data.ready();
    const changes = this.live(id);
    if (!changes) return null;
    changes.text = text;
    changes.editedAt = at;
    return this.view(this.data.stream[id - 1]!);
  }

  async deleteMessage(id: number, _at: number): Promise<ChatMessage | null> {
    this.data.ready();
    const changes = this.live(id);
    if (!changes) return null;
    changes.text = '';
    changes.deleted = true;
    changes.reactions = [];
    this.files.detachMessage(id);
    return this.view(this.data.stream[id - 1]!);
  }

  async toggleReaction(id: number, username: string, emoji: string, _at: number): Promise<ReactionToggle | null> {
    this.data.ready();
    const changes = this.live(id);
    if (!changes) return null;
    const before = changes.reactions.length;
    changes.reactions = changes.reactions.filter(([e, u]) => !(e === emoji && u === username));
    const added = changes.reactions.length === before;
    if (added) changes.reactions.push([emoji, username]);
    return { added, reactions: groupReactions(changes.reactions) };
  }

  async saveMessage(message: NewMessage, files?: MessageFiles): Promise<ChatMessage> {
    this.data.ready();
    return this.store(message, files);
  }

  /** saveMessage's work, synchronous (saveMessageOnce records the key in the same step). */
  private store(message: NewMessage, files?: MessageFiles): ChatMessage {
    // Check before changing anything: that is what makes this atomic.
    let groupId: number | undefined;
    if (message.kind === 'group') {
      groupId = this.data.groups.get(message.group ?? '')?.id;
      if (groupId === undefined) throw new Error(`saveMessage: no group "${String(message.group)}"`);
    }
    const recipient = message.kind === 'private' ? this.data.users.get(message.to ?? '') : undefined;
    if (message.kind === 'private' && !recipient) throw new Error(`saveMessage: recipient "${String(message.to)}" is not a user`);
    if (files) this.files.checkExist(files.ids);

    const stored = Object.freeze(messageRecord(this.data.head + 1, message));
    this.data.stream.push(stored);
    if (message.replyTo) this.data.replies.set(stored.id, message.replyTo.id);
    if (groupId !== undefined) this.data.groupOf.set(stored.id, groupId);
    if (recipient && stored.to !== undefined) {
      recipient.inbox.push(stored);
      this.privateLog.push(stored.from, stored.to, stored);
      mapIn(this.data.directPeers, stored.from).set(stored.to, stored.id);
      mapIn(this.data.directPeers, stored.to).set(stored.from, stored.id);
    }
    if (stored.kind === 'broadcast') this.data.broadcasts.push(stored);
    if (groupId !== undefined) pushIn(this.data.groupLog, groupId, stored);
    if (files) this.files.attach(stored.id, files.ids);
    return this.view(stored);
  }

  async saveMessageOnce(message: NewMessage, clientKey: string, files?: MessageFiles): Promise<SavedOnce> {
    this.data.ready();
    // Looked up and stored in one synchronous step: nothing runs in between.
    const earlier = this.data.clientKeys.get(message.from)?.get(clientKey);
    if (earlier !== undefined) return { message: this.view(this.data.stream[earlier - 1]!), repeat: true };
    const stored = this.store(message, files);
    mapIn(this.data.clientKeys, message.from).set(clientKey, stored.id);
    return { message: stored, repeat: false };
  }

  async messageByClientKey(sender: string, clientKey: string): Promise<StoredMessage | null> {
    this.data.ready();
    const id = this.data.clientKeys.get(sender)?.get(clientKey);
    return id === undefined ? null : this.getMessage(id);
  }

  async mailbox(query: MailboxQuery): Promise<Delivery[]> {
    this.data.ready();
    const n = pageSize(query.limit);
    if (n === 0) return [];
    const found = this.collect(query, n, query.newest === true);
    return found.map((m) => ({ seq: m.id, offline: inAway(m.id, query.away), message: this.view(m) }));
  }

  async countMailbox(query: Omit<MailboxQuery, 'limit' | 'newest'>): Promise<number> {
    this.data.ready();
    return this.collect(query, Number.MAX_SAFE_INTEGER, false).length;
  }

  /** The first (or last) `n` mailbox messages in (after, upTo], ascending. */
  private collect(query: Omit<MailboxQuery, 'limit' | 'newest'>, n: number, newest: boolean): ChatMessage[] {
    const user = this.data.users.get(query.username);
    if (!user) return [];
    const spans = this.data.blockSpans.get(query.username);
    const after = query.after;
    const upTo = query.upTo ?? Number.MAX_SAFE_INTEGER;
    // Left out: senders blocked now, or blocked when the message was sent.
    const keep = (m: ChatMessage) => !spans?.get(m.from)?.some((span) => span.to === null || (m.id > span.from && m.id <= span.to));
    const found: ChatMessage[] = [];
    const take = (log: readonly ChatMessage[], lo: number, hi: number, extra: (m: ChatMessage) => boolean) => {
      // Each source is ascending by id; walk (lo, hi] from the wanted end, keeping at most n.
      const first = firstIndex(log, (m) => m.id > lo);
      const last = firstIndex(log, (m) => m.id > hi);
      let kept = 0;
      const step = newest ? -1 : 1;
      for (let i = newest ? last - 1 : first; i >= first && i < last && kept < n; i += step) {
        const m = log[i]!;
        if (keep(m) && extra(m)) {
          found.push(m);
          kept++;
        }
      }
    };
    take(user.inbox, after, upTo, () => true);
    take(this.data.broadcasts, after, upTo, (m) => m.from !== query.username && !inAway(m.id, query.away));
    for (const span of user.spans) {
      const log = this.data.groupLog.get(span.groupId);
      if (log) take(log, Math.max(after, span.from), Math.min(upTo, span.to ?? upTo), (m) => m.from !== query.username);
    }
    found.sort((a, b) => a.id - b.id);
    return newest ? found.slice(Math.max(0, found.length - n)) : found.slice(0, n);
  }

  async head(): Promise<number> {
    this.data.ready();
    return this.data.head;
  }

  async lastAcked(username: string): Promise<number> {
    this.data.ready();
    return this.data.users.get(username)?.acked ?? 0;
  }

  async ack(username: string, position: number): Promise<void> {
    this.data.ready();
    const user = this.data.users.get(username);
    if (user) user.acked = Math.max(user.acked, Math.min(position, this.data.head));
  }

  async signIn(username: string): Promise<SignInPositions> {
    this.data.ready();
    const head = this.data.head;
    const user = this.data.users.get(username);
    if (!user) return { head, acked: 0, away: { from: head, to: head }, previousAway: { from: head, to: head } };
    const away = awayAtSignIn(user, head);
    const previousAway = { ...user.away };
    user.signedIn = head;
    user.away = away;
    return { head, acked: user.acked, away: { ...away }, previousAway };
  }

  async signOut(username: string, acked: number): Promise<void> {
    this.data.ready();
    const user = this.data.users.get(username);
    if (!user) return;
    user.acked = Math.max(user.acked, Math.min(acked, this.data.head));
    user.signedOut = this.data.head;
  }

  async lastAway(username: string): Promise<AwayWindow> {
    this.data.ready();
    const away = this.data.users.get(username)?.away;
    return away ? { ...away } : { from: 0, to: 0 };
  }

  /** True when `viewer` blocks the sender of `m` now, or blocked them when it was sent. */
  private hidden(viewer: string, m: ChatMessage): boolean {
    return (
      this.data.blockSpans
        .get(viewer)
        ?.get(m.from)
        ?.some((span) => span.to === null || (m.id > span.from && m.id <= span.to)) ?? false
    );
  }

  /** The messages of `target` that `user` can see, newest first (lazily: callers stop early). */
  private *visible(user: string, target: ResolvedTarget): Generator<ChatMessage> {
    let log: readonly ChatMessage[] | undefined;
    let inSpan = (_m: ChatMessage) => true;
    if ('peer' in target) log = this.privateLog.get(user, target.peer);
    else if ('everyone' in target) log = this.data.broadcasts;
    else {
      log = this.data.groupLog.get(target.groupId);
      const spans = (this.data.users.get(user)?.spans ?? []).filter((sp) => sp.groupId === target.groupId);
      inSpan = (m) => spans.some((sp) => m.id > sp.from && (sp.to === null || m.id <= sp.to));
    }
    for (let i = (log?.length ?? 0) - 1; i >= 0; i--) {
      const m = log![i]!;
      if (inSpan(m) && !this.hidden(user, m)) yield m;
    }
  }

  private readonly reads: ConversationReads = {
    directPeers: async (user) => [...(this.data.directPeers.get(user) ?? [])].map(([peer, lastId]) => ({ peer, lastId })),
    everBlocked: async (user) => new Set(this.data.blockSpans.get(user)?.keys() ?? []),
    lastVisible: async (user, target) => {
      for (const m of this.visible(user, target)) return m.id;
      return 0;
    },
    groupsOf: async (user) => [...this.data.groups.values()].filter((g) => g.memberSet.has(user)).map((g) => ({ id: g.id, name: g.name })),
    messagesById: async (ids) => ids.flatMap((id) => (id >= 1 && this.data.stream[id - 1] ? [this.view(this.data.stream[id - 1]!)] : [])),
    readsOf: async (user) => new Map(this.data.reads.get(user) ?? []),
    readsOn: async (key) => {
      const out = new Map<string, number>();
      for (const [user, reads] of this.data.reads) {
        const pos = reads.get(key);
        if (pos !== undefined) out.set(user, pos);
      }
      return out;
    },
    unread: async (user, target, after) => {
      let n = 0;
      for (const m of this.visible(user, target)) {
        if (m.id <= after) break;
        if (m.from !== user) n++;
      }
      return n;
    },
  };

  async conversations(query: ConversationQuery): Promise<ConversationRecord[]> {
    this.data.ready();
    if (!this.data.users.has(query.username)) return [];
    return listConversations(this.reads, query);
  }

  async markRead(username: string, target: ConversationTarget, position: number): Promise<{ read: number; unread: number }> {
    this.data.ready();
    const resolved = await resolveTarget(target, async (name) => this.data.groups.get(name)?.id ?? null);
    if (!resolved) throw new Error(`markRead: no group "${'group' in target ? target.group : ''}"`);
    const reads = mapIn(this.data.reads, username);
    const key = keyOf(resolved);
    reads.set(key, Math.max(reads.get(key) ?? 0, Math.min(position, this.data.head)));
    const read = effectiveRead(reads, key);
    return { read, unread: await this.reads.unread(username, resolved, read) };
  }

  async setReadReceipts(username: string, on: boolean): Promise<void> {
    this.data.ready();
    if (on) this.data.receiptsOff.delete(username);
    else if (this.data.users.has(username)) this.data.receiptsOff.add(username);
  }

  async readReceiptsOff(usernames: readonly string[]): Promise<string[]> {
    this.data.ready();
    return usernames.filter((u) => this.data.receiptsOff.has(u));
  }

  /**
   * Rewrites every message naming `from` as sender or recipient, in the stream
   * and in each index into it (the user record itself is moved by the caller).
   */
  renameUser(from: string, to: string): void {
    const renamed = new Map<ChatMessage, ChatMessage>();
    const rename = (m: ChatMessage): ChatMessage => {
      if (m.from !== from && m.to !== from) return m;
      let out = renamed.get(m);
      if (!out) {
        out = Object.freeze({ ...m, ...(m.from === from ? { from: to } : {}), ...(m.to === from ? { to } : {}) });
        renamed.set(m, out);
      }
      return out;
    };
    const { data } = this;
    data.stream.splice(0, data.stream.length, ...data.stream.map(rename));
    data.broadcasts.splice(0, data.broadcasts.length, ...data.broadcasts.map(rename));
    for (const [id, log] of data.groupLog) data.groupLog.set(id, log.map(rename));
    for (const user of data.users.values()) user.inbox = user.inbox.map(rename);
    const privateLog = new PairLogs<ChatMessage>();
    for (const log of this.privateLog.values()) {
      const next = log.map(rename);
      const first = next[0];
      if (first?.to !== undefined) privateLog.set(first.from, first.to, next);
    }
    this.privateLog = privateLog;
    // Direct pairs and read positions name users: as owners, and inside keys (d:<peer>).
    const moveKey = <V>(map: Map<string, V>, a: string, b: string) => {
      const value = map.get(a);
      if (value === undefined) return;
      map.delete(a);
      map.set(b, value);
    };
    moveKey(data.directPeers, from, to);
    for (const peers of data.directPeers.values()) moveKey(peers, from, to);
    moveKey(data.reads, from, to);
    for (const reads of data.reads.values()) moveKey(reads, directKey(from), directKey(to));
    if (data.receiptsOff.delete(from)) data.receiptsOff.add(to);
    // The keys go with the messages (any a deleted former holder of `to` left are gone already).
    moveKey(data.clientKeys, from, to);
    for (const changes of data.changes.values()) changes.reactions = changes.reactions.map(([e, u]) => [e, u === from ? to : u]);
  }

  /** Forgets a deleted user's conversations: their pairs, read positions and setting (others keep their rows naming them). */
  deleteUser(username: string): void {
    this.data.directPeers.delete(username);
    for (const peers of this.data.directPeers.values()) peers.delete(username);
    this.data.reads.delete(username);
    this.data.receiptsOff.delete(username);
    // A later account of that name starts with no keys (its messages stay, without theirs).
    this.data.clientKeys.delete(username);
  }

  async directPeers(username: string): Promise<string[]> {
    this.data.ready();
    return [...(this.data.directPeers.get(username)?.keys() ?? [])].filter((peer) => peer !== username).sort();
  }

  async history(query: HistoryQuery): Promise<ChatMessage[]> {
    this.data.ready();
    const target = historyTarget(query);
    let log: ChatMessage[] | undefined;
    if ('everyone' in target) {
      const n = pageSize(query.limit);
      const out: ChatMessage[] = [];
      const { broadcasts } = this.data;
      const end = query.before === undefined ? broadcasts.length : firstIndex(broadcasts, (m) => m.id >= query.before!);
      for (let i = end - 1; i >= 0 && out.length < n; i--) if (!this.hidden(query.viewer, broadcasts[i]!)) out.push(this.view(broadcasts[i]!));
      return out;
    }
    const n = pageSize(query.limit);
    if ('group' in target) {
      const group = this.data.groups.get(target.group);
      log = group ? this.data.groupLog.get(group.id) : undefined;
    } else {
      log = this.privateLog.get(query.viewer, target.peer);
    }
    if (!log || n === 0) return [];
    // Senders go by the viewer's block spans, as in the mailbox and Everyone's history; the viewer's own messages always stay.
    const out: ChatMessage[] = [];
    const end = query.before === undefined ? log.length : firstIndex(log, (m) => m.id >= query.before!);
    for (let i = end - 1; i >= 0 && out.length < n; i--) {
      const m = log[i]!;
      if (m.from === query.viewer || !this.hidden(query.viewer, m)) out.push(this.view(m));
    }
    return out;
  }

  /** A scan of the stream from the newest message down; the text is matched as stored now. */
  async search(query: SearchQuery): Promise<ChatMessage[]> {
    this.data.ready();
    const n = pageSize(query.limit);
    const user = this.data.users.get(query.viewer);
    if (n === 0 || query.terms.length === 0) return [];
    const spans = user?.spans ?? [];
    const blockSpans = this.data.blockSpans.get(query.viewer);
    const blocked = (m: ChatMessage) => blockSpans?.get(m.from)?.some((span) => span.to === null || (m.id > span.from && m.id <= span.to)) ?? false;
    const visible = (m: ChatMessage): boolean => {
      if (m.kind === 'broadcast') return query.peer === undefined && query.group === undefined;
      if (m.kind === 'private') {
        if (m.from !== query.viewer && m.to !== query.viewer) return false;
        if (query.group !== undefined) return false;
        return query.peer === undefined || (m.from === query.viewer ? m.to === query.peer : m.from === query.peer);
      }
      if (query.peer !== undefined || (query.group !== undefined && m.group !== query.group)) return false;
      return spans.some((s) => this.inGroupLog(s.groupId, m) && m.id > s.from && (s.to === null || m.id <= s.to));
    };
    const found: ChatMessage[] = [];
    const top = Math.min(this.data.stream.length, (query.beforeId ?? Number.MAX_SAFE_INTEGER) - 1);
    for (let i = top - 1; i >= 0 && found.length < n; i--) {
      const m = this.data.stream[i]!;
      if (query.beforeTs !== undefined && m.ts >= query.beforeTs) continue;
      if (query.afterTs !== undefined && m.ts <= query.afterTs) continue;
      if (visible(m) && !blocked(m) && matchesTerms(m.text, query.terms)) found.push(m);
    }
    return found;
  }

  /** True when group message `m` was sent to the group with surrogate id `groupId`. */
  private inGroupLog(groupId: number, m: ChatMessage): boolean {
    const log = this.data.groupLog.get(groupId);
    if (!log) return false;
    const i = firstIndex(log, (x) => x.id >= m.id);
    return log[i]?.id === m.id;
  }
}

class MemoryAdmin implements AdminStore {
  private readonly audit: AuditEntry[] = [];
  private nextAuditId = 1;
  private readonly sessions = new Map<string, LiveSession[]>();
  private signals: AdminSignal[] = [];
  private nextSignalId = 1;

  constructor(
    private readonly data: MemoryData,
    private readonly accounts: MemoryAccounts,
    private readonly blocks: MemoryBlocks,
    private readonly groups: MemoryGroups,
    private readonly messages: MemoryMessages,
  ) {}

  async appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<void> {
    this.data.ready();
    this.audit.push(Object.freeze({ id: this.nextAuditId++, ...entry }));
  }

  async readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    this.data.ready();
    const out: AuditEntry[] = [];
    const key = query.username === undefined ? undefined : canonicalName(query.username);
    for (let i = this.audit.length - 1; i >= 0 && out.length < query.limit; i--) {
      const e = this.audit[i]!;
      if (key !== undefined && (e.username === null || canonicalName(e.username) !== key)) continue;
      if (query.action !== undefined && e.action !== query.action) continue;
      if (query.before !== undefined && e.id >= query.before) continue;
      if (query.since !== undefined && e.at < query.since) continue;
      out.push({ ...e });
    }
    return out;
  }

  async pruneAudit(before: number): Promise<number> {
    this.data.ready();
    const keep = this.audit.filter((e) => e.at >= before);
    const gone = this.audit.length - keep.length;
    this.audit.splice(0, this.audit.length, ...keep);
    return gone;
  }

  async listUsers(): Promise<UserSummary[]> {
    this.data.ready();
    return [...this.data.users.values()]
      .map(({ record }) => ({
        username: record.username,
        createdAt: record.createdAt,
        lastLoginAt: record.lastLoginAt,
        lockedUntil: this.accounts.locks.get(canonicalName(record.username))?.lockedUntil ?? null,
      }))
      .sort((a, b) => byCodeUnit(a.username, b.username));
  }

  async setLock(username: string, until: number): Promise<boolean> {
    this.data.ready();
    if (!this.data.users.has(username)) return false;
    // The lockout keys its state by the canonical name.
    const key = canonicalName(username);
    this.accounts.locks.set(key, { ...(this.accounts.locks.get(key) ?? FRESH_GUARD), failures: 0, lockedUntil: until });
    return true;
  }

  async deleteUser(username: string): Promise<boolean> {
    this.data.ready();
    if (!this.data.users.has(username)) return false;
    for (const name of [...(this.groups.groupsByMember.get(username) ?? [])]) await this.groups.removeGroupMembers(name, [username]);
    this.groups.groupsByMember.delete(username);
    await this.accounts.revokeTokensOf(username);
    this.accounts.locks.delete(canonicalName(username));
    this.data.userKeys.delete(canonicalName(username));
    const { blocking, blockSpans } = this.data;
    for (const blocked of blocking.get(username) ?? []) this.blocks.blockedByIndex.get(blocked)?.delete(username);
    for (const blocker of this.blocks.blockedByIndex.get(username) ?? []) {
      blocking.get(blocker)?.delete(username);
      // Their block ends now; what was sent while it lasted stays hidden from the blocker.
      const open = blockSpans
        .get(blocker)
        ?.get(username)
        ?.find((span) => span.to === null);
      if (open) open.to = this.data.head;
    }
    blocking.delete(username);
    blockSpans.delete(username);
    this.blocks.blockedByIndex.delete(username);
    this.messages.deleteUser(username);
    this.data.users.delete(username);
    return true;
  }

  async renameUser(from: string, to: string): Promise<'ok' | 'unknown' | 'taken'> {
    this.data.ready();
    const user = this.data.users.get(from);
    if (!user) return 'unknown';
    // Another spelling of a user's name (the renamed user's own included) counts as taken too.
    if (this.data.userKeys.has(canonicalName(to)) || this.data.groupNameTaken(canonicalName(to))) return 'taken';
    this.messages.renameUser(from, to);
    this.data.userKeys.delete(canonicalName(from));
    this.data.userKeys.set(canonicalName(to), to);
    this.data.users.delete(from);
    user.record = { ...user.record, username: to };
    this.data.users.set(to, user);
    const { accounts, blocks, groups } = this;
    const moveKey = <V>(map: Map<string, V>) => {
      const value = map.get(from);
      map.delete(to);
      if (value === undefined) return;
      map.delete(from);
      map.set(to, value);
    };
    accounts.locks.delete(canonicalName(to));
    const lock = accounts.locks.get(canonicalName(from));
    accounts.locks.delete(canonicalName(from));
    if (lock) accounts.locks.set(canonicalName(to), lock);
    moveKey(accounts.tokensByUser);
    for (const hash of accounts.tokensByUser.get(to) ?? []) {
      const token = accounts.tokens.get(hash);
      if (token) token.username = to;
    }
    for (const index of [this.data.blocking, blocks.blockedByIndex]) {
      moveKey(index);
      for (const set of index.values()) if (set.delete(from)) set.add(to);
    }
    // Block spans (blocker -> blocked -> spans) are keyed by name on both levels.
    moveKey(this.data.blockSpans);
    for (const spans of this.data.blockSpans.values()) moveKey(spans);
    moveKey(groups.groupsByMember);
    for (const group of this.data.groups.values()) {
      if (group.owner === from) group.owner = to;
      if (group.memberSet.delete(from)) {
        group.memberSet.add(to);
        group.members = group.members.map((m) => (m === from ? to : m));
      }
    }
    return 'ok';
  }

  async listGroups(): Promise<GroupRecord[]> {
    this.data.ready();
    return [...this.data.groups.values()].map(groupRecord).sort((a, b) => byCodeUnit(a.name, b.name));
  }

  async deleteGroup(name: string): Promise<GroupRecord | null> {
    this.data.ready();
    const group = this.data.groups.get(name);
    if (!group) return null;
    const record = groupRecord(group);
    await this.groups.removeGroupMembers(name, group.members);
    this.data.groups.delete(name);
    return record;
  }

  async putNodeSessions(node: string, sessions: readonly Omit<LiveSession, 'node' | 'seenAt'>[], now: number): Promise<void> {
    this.data.ready();
    this.sessions.set(
      node,
      sessions.map((s) => ({ ...s, node, seenAt: now })),
    );
  }

  async liveSessions(since: number): Promise<LiveSession[]> {
    this.data.ready();
    return [...this.sessions.values()]
      .flat()
      .filter((s) => s.seenAt >= since)
      .map((s) => ({ ...s }))
      .sort((a, b) => byCodeUnit(a.username, b.username) || byCodeUnit(a.node, b.node));
  }

  async postSignal(kind: AdminSignal['kind'], subject: string, detail: string, now: number): Promise<number> {
    this.data.ready();
    const id = this.nextSignalId++;
    this.signals.push({ id, kind, subject, detail, at: now });
    return id;
  }

  async signalsAfter(afterId: number): Promise<AdminSignal[]> {
    this.data.ready();
    return this.signals.filter((s) => s.id > afterId).map((s) => ({ ...s }));
  }

  async lastSignalId(): Promise<number> {
    this.data.ready();
    return this.nextSignalId - 1;
  }

  async pruneSignals(before: number): Promise<void> {
    this.data.ready();
    this.signals = this.signals.filter((s) => s.at >= before);
  }
}

export class MemoryStore implements Store {
  /** Opens an empty store: the memory backend's counterpart of the durable backends' open functions (nothing to migrate). */
  static async open(): Promise<MemoryStore> {
    return new MemoryStore();
  }

  private readonly data = new MemoryData();
  private readonly fileRole = new MemoryFiles(
    () => this.data.ready(),
    (messageId, user) => {
      const m = this.data.stream[messageId - 1];
      if (!m) return false;
      if (m.kind === 'broadcast' || m.from === user || m.to === user) return true;
      const groupId = this.data.groupOf.get(messageId);
      return [...this.data.groups.values()].some((g) => g.id === groupId && g.memberSet.has(user));
    },
    (id) => [...this.data.users.values()].some((u) => u.avatar === id),
  );
  private readonly roles = {
    accounts: new MemoryAccounts(this.data),
    blocks: new MemoryBlocks(this.data),
    groups: new MemoryGroups(this.data),
    messages: new MemoryMessages(this.data, this.fileRole),
  };
  readonly accounts: AccountStore = this.roles.accounts;
  readonly blocks: BlockStore = this.roles.blocks;
  readonly groups: GroupStore = this.roles.groups;
  readonly messages: MessageStore = this.roles.messages;
  readonly admin: AdminStore = new MemoryAdmin(this.data, this.roles.accounts, this.roles.blocks, this.roles.groups, this.roles.messages);
  readonly files: FileStore = this.fileRole;

  constructor() {
    this.data.fileExists = (id) => this.fileRole.has(id);
  }
  readonly blobs: BlobStore = new MemoryBlobStore();

  async ping(): Promise<void> {
    this.data.ready();
  }

  async close(): Promise<void> {
    this.data.closed = true;
  }
}

// ---------------------------------------------------------------- helpers

function profileOf(user: UserState): ProfileRecord {
  return { username: user.record.username, displayName: user.displayName, avatar: user.avatar };
}

function groupRecord(group: GroupState): GroupRecord {
  return { id: group.id, name: group.name, owner: group.owner, members: [...group.members], createdAt: group.createdAt };
}

/** Sorted by UTF-16 code unit, the same order as SQL's binary / "C" collation for ASCII names. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of the first element satisfying a predicate that is false, then true, along the array. */
function firstIndex<T>(items: readonly T[], isAtOrAfter: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAtOrAfter(items[mid] as T)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function setIn<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

function mapIn<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map<K2, V>()));
  return inner;
}

function pushIn<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
