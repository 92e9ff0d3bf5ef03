// A Store kept entirely in process memory: same semantics as the durable
// backends, nothing persisted. Benchmarks use it to show what durability costs.
//
// Every method is synchronous inside, so each one is atomic with respect to the
// others and calls made in one tick take effect in call order. Returned objects
// are copies or frozen, so callers cannot change the store's state by mutation.
import { canonicalName } from '../../protocol/canonical-name';
import type { ChatMessage } from '../../protocol';
import {
  assertDistinctRecipients,
  beginAttempt,
  currentLock,
  finishAttempt,
  FRESH_GUARD,
  historyTarget,
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
  LiveSession,
  UserSummary,
  BlockStore,
  GroupRecord,
  GroupStore,
  HistoryQuery,
  LockState,
  LockoutPolicy,
  LoginGuard,
  MessageStore,
  NewMessage,
  Recipient,
  Store,
  StoredDelivery,
  UserRecord,
} from '../store';

interface UserState {
  record: UserRecord;
  lastSeq: number;
  ackedSeq: number;
  /** Every delivery, indexed by seq - 1 (seqs are gap-free, so the index is the seq). */
  deliveries: StoredDelivery[];
  /** The offline subset of `deliveries`, ascending by seq. */
  offline: StoredDelivery[];
}

interface GroupState {
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
  closed = false;

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
      lastSeq: 0,
      ackedSeq: 0,
      deliveries: [],
      offline: [],
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
  // Not private: MemoryAdmin deletes and renames across them.
  readonly blocking = new Map<string, Set<string>>();
  readonly blockedByIndex = new Map<string, Set<string>>();

  constructor(private readonly data: MemoryData) {}

  async block(blocker: string, blocked: string): Promise<boolean> {
    this.data.ready();
    const set = setIn(this.blocking, blocker);
    if (set.has(blocked)) return false;
    set.add(blocked);
    setIn(this.blockedByIndex, blocked).add(blocker);
    return true;
  }

  async unblock(blocker: string, blocked: string): Promise<boolean> {
    this.data.ready();
    if (!this.blocking.get(blocker)?.delete(blocked)) return false;
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
    const group: GroupState = { name, owner, createdAt: now, members: [], memberSet: new Set() };
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
    }
  }
}

class MemoryMessages implements MessageStore {
  /** Private conversations by pairKey, and group conversations by name; ascending by id. */
  private privateLog = new Map<string, ChatMessage[]>();
  private readonly groupLog = new Map<string, ChatMessage[]>();
  private nextMessageId = 1;

  constructor(private readonly data: MemoryData) {}

  async saveMessage(message: NewMessage, recipients: readonly Recipient[]): Promise<{ message: ChatMessage; deliveries: StoredDelivery[] }> {
    this.data.ready();
    // Check everything before changing anything: that is what makes this atomic.
    assertDistinctRecipients(recipients);
    const targets = recipients.map((r) => {
      const user = this.data.users.get(r.username);
      if (!user) throw new Error(`saveMessage: recipient "${r.username}" is not a user`);
      return user;
    });

    const stored = Object.freeze(messageRecord(this.nextMessageId++, message));
    if (stored.kind === 'private' && stored.to !== undefined) pushIn(this.privateLog, pairKey(stored.from, stored.to), stored);
    if (stored.kind === 'group' && stored.group !== undefined) pushIn(this.groupLog, stored.group, stored);
    const deliveries = targets.map((user, i) => {
      const offline = recipients[i]!.offline;
      const delivery: StoredDelivery = Object.freeze({ username: user.record.username, seq: ++user.lastSeq, offline, message: stored });
      user.deliveries.push(delivery);
      if (offline) user.offline.push(delivery);
      return delivery;
    });
    return { message: stored, deliveries };
  }

  async deliveriesAfter(username: string, afterSeq: number, limit: number): Promise<StoredDelivery[]> {
    this.data.ready();
    const user = this.data.users.get(username);
    const n = pageSize(limit);
    if (!user || n === 0) return [];
    // deliveries[i].seq === i + 1, so seq > afterSeq starts at index floor(afterSeq).
    const start = Math.max(0, Math.floor(afterSeq));
    return user.deliveries.slice(start, start + n);
  }

  async lastSeq(username: string): Promise<number> {
    this.data.ready();
    return this.data.users.get(username)?.lastSeq ?? 0;
  }

  async lastAcked(username: string): Promise<number> {
    this.data.ready();
    return this.data.users.get(username)?.ackedSeq ?? 0;
  }

  async ack(username: string, seq: number): Promise<void> {
    this.data.ready();
    const user = this.data.users.get(username);
    if (user) user.ackedSeq = Math.max(user.ackedSeq, Math.min(seq, user.lastSeq));
  }

  async offlineDeliveries(username: string, limit: number): Promise<StoredDelivery[]> {
    this.data.ready();
    const offline = this.data.users.get(username)?.offline ?? [];
    const n = pageSize(limit);
    return n === 0 ? [] : offline.slice(Math.max(0, offline.length - n));
  }

  async countOfflineAfter(username: string, afterSeq: number): Promise<number> {
    this.data.ready();
    const offline = this.data.users.get(username)?.offline ?? [];
    return offline.length - firstIndex(offline, (d) => d.seq > afterSeq);
  }

  /** Rewrites every message and delivery naming `from` (the user record itself is moved by the caller). */
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
    const privateLog = new Map<string, ChatMessage[]>();
    for (const log of this.privateLog.values()) {
      const next = log.map(rename);
      const first = next[0];
      if (first?.to !== undefined) privateLog.set(pairKey(first.from, first.to), next);
    }
    this.privateLog = privateLog;
    for (const [name, log] of this.groupLog) this.groupLog.set(name, log.map(rename));
    for (const user of this.data.users.values()) {
      const redo = (d: StoredDelivery): StoredDelivery => {
        const message = rename(d.message);
        return message === d.message && d.username !== from ? d : Object.freeze({ ...d, username: d.username === from ? to : d.username, message });
      };
      user.deliveries = user.deliveries.map(redo);
      user.offline = user.offline.map(redo);
    }
  }

  async history(query: HistoryQuery): Promise<ChatMessage[]> {
    this.data.ready();
    const target = historyTarget(query);
    const log = 'group' in target ? this.groupLog.get(target.group) : this.privateLog.get(pairKey(query.viewer, target.peer));
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
    for (const blocked of this.blocks.blocking.get(username) ?? []) this.blocks.blockedByIndex.get(blocked)?.delete(username);
    for (const blocker of this.blocks.blockedByIndex.get(username) ?? []) this.blocks.blocking.get(blocker)?.delete(username);
    this.blocks.blocking.delete(username);
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
    for (const index of [blocks.blocking, blocks.blockedByIndex]) {
      moveKey(index);
      for (const set of index.values()) if (set.delete(from)) set.add(to);
    }
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
    (group, user) => this.data.groups.get(group)?.memberSet.has(user) ?? false,
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
  return { name: group.name, owner: group.owner, members: [...group.members], createdAt: group.createdAt };
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
