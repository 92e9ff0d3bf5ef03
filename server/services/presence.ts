// Presence: who is online (on any node), who was on in the last hour, the
// `ping` answer, and the online/offline events other users see. The one place
// that decides whether a user is online, and who is told when that changes.
//
// A presence change of U reaches only the users related to U: those who share
// a group with U, those with a direct conversation with U (a private message
// either way), and those who watch U (`watch`). It never goes to everyone: a
// sign-in costs the same however many are online.
// MUST: the changes of one user reach each recipient in the order they happened
// (changes are handled one batch at a time, in order).
import type { Bus } from '../bus/bus';
import { ErrorCode, MAX_DIRECTORY_SIZE, ProtocolError, type EventFrame, type PresenceInfo, type ResultOf } from '../protocol';
import type { AccountStore, GroupStore, MessageStore } from '../store/store';
import type { BlockService } from './blocks';
import type { ProfileService } from './profiles';
import type { SessionRegistry } from './registry';

/** A presence change waiting for the end of the turn. */
interface Change {
  online: boolean;
  at: number;
}

const HOUR_MS = 60 * 60 * 1000;

export class PresenceService {
  /** Watch lists of the users signed in here: watcher → watched, and watched → watchers. */
  private readonly watching = new Map<string, Set<string>>();
  private readonly watchers = new Map<string, Set<string>>();
  /** Changes announced during this turn, by user (the last one wins). */
  private pending = new Map<string, Change>();
  /** The batch being handled: the next waits for it, so a user's changes stay in order. */
  private handling: Promise<void> = Promise.resolve();

  constructor(
    private readonly accounts: AccountStore,
    private readonly groups: Pick<GroupStore, 'groupsOf'>,
    private readonly messages: Pick<MessageStore, 'directPeers'>,
    private readonly blocks: BlockService,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly profiles: ProfileService,
    private readonly now: () => number = Date.now,
  ) {}

  /** Users with a session on any node, sorted by name. */
  online(): Promise<string[]> {
    return this.bus.onlineUsers();
  }

  /** Whether `user` has a session: here (no round trip) or on another node. */
  isOnline(user: string): Promise<boolean> {
    return this.registry.get(user) ? Promise.resolve(true) : this.bus.isOnline(user);
  }

  async othersOnline(me: string): Promise<string[]> {
    return (await this.online()).filter((u) => u !== me);
  }

  /** Users online now or signed in within the last hour, except `me`, sorted by name. */
  async lastHour(me: string): Promise<PresenceInfo[]> {
    const [online, recent] = await Promise.all([this.online(), this.accounts.usersLoggedInSince(this.now() - HOUR_MS)]);
    const byName = new Map<string, PresenceInfo>();
    for (const r of recent) byName.set(r.username, { username: r.username, online: false, lastLoginAt: r.lastLoginAt });
    for (const u of online) {
      const known = byName.get(u);
      byName.set(u, { username: u, online: true, lastLoginAt: known?.lastLoginAt ?? null });
    }
    byName.delete(me);
    const profiles = await this.profiles.byName([...byName.keys()]);
    return [...byName.values()]
      .map((u) => ({ ...u, displayName: profiles.get(u.username)?.displayName ?? null, avatarUrl: profiles.get(u.username)?.avatarUrl ?? null }))
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  /**
   * The people directory: accounts whose name contains `query` (any case), at
   * most MAX_DIRECTORY_SIZE, sorted by name, each with whether they are online now.
   */
  async directory(query: string): Promise<{ users: PresenceInfo[]; more: boolean }> {
    const [found, online] = await Promise.all([this.accounts.listUsers(query, MAX_DIRECTORY_SIZE + 1), this.online()]);
    const onlineSet = new Set(online);
    const listed = found.slice(0, MAX_DIRECTORY_SIZE);
    const profiles = await this.profiles.describe(listed);
    const users = listed.map((u, i) => ({
      username: u.username,
      online: onlineSet.has(u.username),
      lastLoginAt: u.lastLoginAt,
      displayName: u.displayName,
      avatarUrl: profiles[i]!.avatarUrl,
    }));
    return { users, more: found.length > MAX_DIRECTORY_SIZE };
  }

  /** `user` as `me` sees them: online or not, last sign-in, and blocks either way. Throws UNKNOWN_USER. */
  async ping(me: string, typed: string): Promise<ResultOf<'ping'>> {
    const record = await this.accounts.getUser(typed);
    if (!record) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${typed}"`);
    const user = record.username;
    const [online, blocks] = await Promise.all([this.isOnline(user), this.blocks.between(me, user)]);
    return { user, online, lastLoginAt: record.lastLoginAt, blockedByMe: blocks.aBlockedB, blockedMe: blocks.bBlockedA };
  }

  /**
   * Replaces `me`'s watch list with the existing users among `users` (typed
   * names, matched by canonical form): their presence changes reach `me` too.
   * Resolves with their registered spellings, in the order given, without duplicates or `me`.
   */
  async watch(me: string, users: readonly string[]): Promise<string[]> {
    const found = users.length === 0 ? [] : await this.accounts.existingUsers(users);
    const names = [...new Set(found)].filter((u) => u !== me);
    this.unwatchAll(me);
    if (names.length > 0) {
      this.watching.set(me, new Set(names));
      for (const name of names) {
        let set = this.watchers.get(name);
        if (!set) this.watchers.set(name, (set = new Set()));
        set.add(me);
      }
    }
    return names;
  }

  /** `me`'s session ended here: drops their watch list. */
  unwatchAll(me: string): void {
    const list = this.watching.get(me);
    if (!list) return;
    this.watching.delete(me);
    for (const name of list) {
      const set = this.watchers.get(name);
      set?.delete(me);
      if (set?.size === 0) this.watchers.delete(name);
    }
  }

  /**
   * Tells the users related to `user`, here and on other nodes, that `user`
   * came online or went offline. Coalesced per event-loop turn: the relations
   * of every user announced in a turn are looked up together once it ends.
   */
  announce(user: string, online: boolean): void {
    if (this.pending.size === 0) setImmediate(() => this.flush());
    this.pending.set(user, { online, at: this.now() });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = new Map();
    this.handling = this.handling
      .then(async () => {
        const related = await Promise.all([...batch.keys()].map((user) => this.relatedTo(user).catch(() => [] as string[])));
        let i = 0;
        for (const [user, change] of batch) {
          const to = related[i++]!;
          this.showLocally(user, change.online, change.at, to);
          void this.bus.publish({ kind: 'presence', user, online: change.online, at: change.at, to }).catch(() => {});
        }
      })
      .catch(() => {});
  }

  /** Users who share a group with `user` or have a direct conversation with them, sorted, without `user`. */
  async relatedTo(user: string): Promise<string[]> {
    const [groups, peers] = await Promise.all([this.groups.groupsOf(user), this.messages.directPeers(user)]);
    const related = new Set(peers);
    for (const g of groups) for (const m of g.members) related.add(m);
    related.delete(user);
    return [...related].sort();
  }

  /**
   * A presence change from another node: shown to the related users signed in
   * here and to the local watchers of `user`. `to` is the related users the
   * announcing node found; when missing (a node that died), they are looked up here.
   */
  async fromBus(user: string, online: boolean, at: number, to: readonly string[] | undefined): Promise<void> {
    const related = to ?? (await this.relatedTo(user).catch(() => [] as string[]));
    this.showLocally(user, online, at, related);
  }

  /** Sends the change to the local sessions among `related` and the local watchers of `user` (each once). */
  private showLocally(user: string, online: boolean, at: number, related: readonly string[]): void {
    const event: EventFrame = { type: 'event', event: 'presence', user, online, at };
    const watchers = this.watchers.get(user);
    for (const name of related) {
      if (watchers?.has(name)) continue;
      this.registry.presenceTo(name, event, user);
    }
    if (watchers) for (const name of watchers) this.registry.presenceTo(name, event, user);
  }
}
