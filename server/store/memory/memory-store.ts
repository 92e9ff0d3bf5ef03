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
  inAway,
  messageRecord,
  nextLockAfterFailure,
  pageSize,
} from '../rules';
import { MemoryBlobStore } from '../blobs/memory';
import { MemoryFiles } from './memory-files';
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
  GroupRecord,
  GroupStore,
  HistoryQuery,
  LockState,
  LockoutPolicy,
  LoginGuard,
  MailboxQuery,
  MessageStore,
  NewMessage,
  SignInPositions,
  Store,
  UserRecord,
} from '../store';

interface UserState {
  record: UserRecord;
  acked: number;
  signedIn: number;
  signedOut: number;
  away: AwayWindow;
  /** Private messages to this user, ascending by id. */
  inbox: ChatMessage[];
  /** Group memberships over time: positions (from, to], `to` null while still a member. */
  spans: { groupId: number; from: number; to: number | null }[];
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
  nextGroupId = 1;
  closed = false;

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
  readonly tokens = new Map<string, { username: string; expiresAt: number }>();
  readonly tokensByUser = new Map<string, Set<string>>();

  constructor(private readonly data: MemoryData) {}

  async createUser(username: string, passwordHash: string, now: number): Promise<boolean> {
    this.data.ready();
    const key = canonicalName(username);
    if (this.data.userKeys.has(key) || this.data.groups.has(username)) return false;
    this.data.userKeys.set(key, username);
    this.data.users.set(username, {
      record: { username, passwordHash, createdAt: now, lastLoginAt: null },
      acked: 0,
      signedIn: 0,
      signedOut: 0,
      away: { from: 0, to: 0 },
      inbox: [],
      spans: [],
    });
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

  async listUsers(query: string, limit: number): Promise<{ username: string; lastLoginAt: number | null }[]> {
    this.data.ready();
    const needle = query.toLowerCase();
    const out: { username: string; lastLoginAt: number | null }[] = [];
    for (const { record } of this.data.users.values()) {
      if (record.username.toLowerCase().includes(needle)) out.push({ username: record.username, lastLoginAt: record.lastLoginAt });
    }
    return out.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0)).slice(0, limit);
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

  async recordFailedLogin(username: string, now: number, maxAttempts: number, lockMs: number): Promise<LockState> {
    this.data.ready();
    const row = this.locks.get(username);
    const next = nextLockAfterFailure(currentLock(row, now), now, maxAttempts, lockMs);
    this.locks.set(username, { hourStart: null, hourFailures: 0, leaseUntil: null, ...row, ...next });
    return { ...next };
  }

  async beginLoginAttempt(username: string, now: number, leaseMs: number): Promise<AttemptReservation> {
    this.data.ready();
    const { next, outcome } = beginAttempt(this.locks.get(username), now, leaseMs);
    this.locks.set(username, next);
    return outcome;
  }

  async finishLoginAttempt(username: string, now: number, ok: boolean, policy: LockoutPolicy): Promise<LockState> {
    this.data.ready();
    const { next, lock } = finishAttempt(this.locks.get(username), now, ok, policy);
    this.locks.set(username, next);
    return lock;
  }

  async clearFailedLogins(username: string): Promise<void> {
    this.data.ready();
    this.locks.delete(username);
  }

  async createToken(username: string, tokenHash: string, expiresAt: number, now: number): Promise<void> {
    this.data.ready();
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
    this.tokens.set(tokenHash, { username, expiresAt });
    own.add(tokenHash);
  }

  async findToken(tokenHash: string, now: number): Promise<string | null> {
    this.data.ready();
    const token = this.tokens.get(tokenHash);
    return token && token.expiresAt > now ? token.username : null;
  }

  async revokeToken(tokenHash: string): Promise<void> {
    this.data.ready();
    const token = this.tokens.get(tokenHash);
    if (!token) return;
    this.tokens.delete(tokenHash);
    this.tokensByUser.get(token.username)?.delete(tokenHash);
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
    if (this.data.groups.has(name) || this.data.userKeys.has(canonicalName(name))) return false;
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
  /** Private conversations by pairKey; ascending by id. */
  private privateLog = new Map<string, ChatMessage[]>();
  /** Who has a private conversation with whom (both ways), kept with privateLog. */
  private readonly peers = new Map<string, Set<string>>();

  private addPeers(a: string, b: string): void {
    if (a === b) return;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      let set = this.peers.get(x);
      if (!set) this.peers.set(x, (set = new Set()));
      set.add(y);
    }
  }

  constructor(private readonly data: MemoryData) {}

  async saveMessage(message: NewMessage): Promise<ChatMessage> {
    this.data.ready();
    // Check before changing anything: that is what makes this atomic.
    let groupId: number | undefined;
    if (message.kind === 'group') {
      groupId = this.data.groups.get(message.group ?? '')?.id;
      if (groupId === undefined) throw new Error(`saveMessage: no group "${String(message.group)}"`);
    }
    const recipient = message.kind === 'private' ? this.data.users.get(message.to ?? '') : undefined;
    if (message.kind === 'private' && !recipient) throw new Error(`saveMessage: recipient "${String(message.to)}" is not a user`);

    const stored = Object.freeze(messageRecord(this.data.head + 1, message));
    this.data.stream.push(stored);
    if (recipient && stored.to !== undefined) {
      recipient.inbox.push(stored);
      const key = pairKey(stored.from, stored.to);
      if (!this.privateLog.has(key)) this.addPeers(stored.from, stored.to);
      pushIn(this.privateLog, key, stored);
    }
    if (stored.kind === 'broadcast') this.data.broadcasts.push(stored);
    if (groupId !== undefined) pushIn(this.data.groupLog, groupId, stored);
    return stored;
  }

  async mailbox(query: MailboxQuery): Promise<Delivery[]> {
    this.data.ready();
    const n = pageSize(query.limit);
    if (n === 0) return [];
    const found = this.collect(query, n, query.newest === true);
    return found.map((m) => ({ seq: m.id, offline: inAway(m.id, query.away), message: m }));
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
    if (!user) return { head, acked: 0, away: { from: head, to: head } };
    const away = awayAtSignIn(user, head);
    user.signedIn = head;
    user.away = away;
    return { head, acked: user.acked, away: { ...away } };
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
    const privateLog = new Map<string, ChatMessage[]>();
    for (const log of this.privateLog.values()) {
      const next = log.map(rename);
      const first = next[0];
      if (first?.to !== undefined) privateLog.set(pairKey(first.from, first.to), next);
    }
    this.privateLog = privateLog;
    this.peers.clear();
    for (const log of privateLog.values()) if (log[0]?.to !== undefined) this.addPeers(log[0].from, log[0].to);
  }

  async directPeers(username: string): Promise<string[]> {
    this.data.ready();
    return [...(this.peers.get(username) ?? [])].sort();
  }

  async history(query: HistoryQuery): Promise<ChatMessage[]> {
    this.data.ready();
    const target = historyTarget(query);
    let log: ChatMessage[] | undefined;
    if ('group' in target) {
      const group = this.data.groups.get(target.group);
      log = group ? this.data.groupLog.get(group.id) : undefined;
    } else {
      log = this.privateLog.get(pairKey(query.viewer, target.peer));
    }
    const n = pageSize(query.limit);
    if (!log || n === 0) return [];
    const before = query.before;
    const end = before === undefined ? log.length : firstIndex(log, (m) => m.id >= before);
    return log.slice(Math.max(0, end - n), end).reverse();
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
    for (let i = this.audit.length - 1; i >= 0 && out.length < query.limit; i--) {
      const e = this.audit[i]!;
      if (query.username !== undefined && e.username !== query.username) continue;
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
    this.data.users.delete(username);
    return true;
  }

  async renameUser(from: string, to: string): Promise<'ok' | 'unknown' | 'taken'> {
    this.data.ready();
    const user = this.data.users.get(from);
    if (!user) return 'unknown';
    // Another spelling of a user's name (the renamed user's own included) counts as taken too.
    if (this.data.userKeys.has(canonicalName(to)) || this.data.groups.has(to)) return 'taken';
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
  private readonly roles = {
    accounts: new MemoryAccounts(this.data),
    blocks: new MemoryBlocks(this.data),
    groups: new MemoryGroups(this.data),
    messages: new MemoryMessages(this.data),
  };
  readonly accounts: AccountStore = this.roles.accounts;
  readonly blocks: BlockStore = this.roles.blocks;
  readonly groups: GroupStore = this.roles.groups;
  readonly messages: MessageStore = this.roles.messages;
  readonly admin: AdminStore = new MemoryAdmin(this.data, this.roles.accounts, this.roles.blocks, this.roles.groups, this.roles.messages);
  readonly files: FileStore = new MemoryFiles(
    () => this.data.ready(),
    (groupId, user) => [...this.data.groups.values()].some((g) => g.id === groupId && g.memberSet.has(user)),
  );
  readonly blobs: BlobStore = new MemoryBlobStore();

  async ping(): Promise<void> {
    this.data.ready();
  }

  async close(): Promise<void> {
    this.data.closed = true;
  }
}

// ---------------------------------------------------------------- helpers

function groupRecord(group: GroupState): GroupRecord {
  return { id: group.id, name: group.name, owner: group.owner, members: [...group.members], createdAt: group.createdAt };
}

/** One key per unordered pair; NUL cannot occur in a name. */
function pairKey(a: string, b: string): string {
  return a < b ? `${a}\0${b}` : `${b}\0${a}`;
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

function pushIn<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
