// A Store kept entirely in process memory: same semantics as the durable
// backends, nothing persisted. Benchmarks use it to show what durability costs.
//
// Every method is synchronous inside, so each one is atomic with respect to the
// others and calls made in one tick take effect in call order. Returned objects
// are copies or frozen, so callers cannot change the store's state by mutation.
import type { ChatMessage, Delivery } from '../../protocol';
import { awayAtSignIn, currentLock, historyTarget, inAway, messageRecord, nextLockAfterFailure, pageSize } from '../rules';
import type {
  AccountStore,
  AwayWindow,
  BlockStore,
  GroupRecord,
  GroupStore,
  HistoryQuery,
  LockState,
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

  ready(): void {
    if (this.closed) throw new Error('Memory store is closed');
  }
}

class MemoryAccounts implements AccountStore {
  private readonly locks = new Map<string, LockState>();
  private readonly tokens = new Map<string, { username: string; expiresAt: number }>();
  private readonly tokensByUser = new Map<string, Set<string>>();

  constructor(private readonly data: MemoryData) {}

  async createUser(username: string, passwordHash: string, now: number): Promise<boolean> {
    this.data.ready();
    if (this.data.users.has(username) || this.data.groups.has(username)) return false;
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
    const user = this.data.users.get(username);
    return user ? { ...user.record } : null;
  }

  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    this.data.ready();
    const user = this.data.users.get(username);
    if (!user) return false;
    user.record.passwordHash = passwordHash;
    return true;
  }

  async recordLogin(username: string, now: number): Promise<void> {
    this.data.ready();
    const user = this.data.users.get(username);
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

  async existingUsers(usernames: readonly string[]): Promise<string[]> {
    this.data.ready();
    return usernames.filter((name) => this.data.users.has(name));
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
    const next = nextLockAfterFailure(currentLock(this.locks.get(username), now), now, maxAttempts, lockMs);
    this.locks.set(username, next);
    return { ...next };
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
  private readonly blockedByIndex = new Map<string, Set<string>>();

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
  private readonly groupsByMember = new Map<string, Set<string>>();

  constructor(private readonly data: MemoryData) {}

  async createGroup(name: string, owner: string, members: readonly string[], now: number): Promise<boolean> {
    this.data.ready();
    if (this.data.groups.has(name) || this.data.users.has(name)) return false;
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
  private readonly privateLog = new Map<string, ChatMessage[]>();

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
      pushIn(this.privateLog, pairKey(stored.from, stored.to), stored);
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

export class MemoryStore implements Store {
  /** Opens an empty store: the memory backend's counterpart of the durable backends' open functions (nothing to migrate). */
  static async open(): Promise<MemoryStore> {
    return new MemoryStore();
  }

  private readonly data = new MemoryData();
  readonly accounts: AccountStore = new MemoryAccounts(this.data);
  readonly blocks: BlockStore = new MemoryBlocks(this.data);
  readonly groups: GroupStore = new MemoryGroups(this.data);
  readonly messages: MessageStore = new MemoryMessages(this.data);

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
