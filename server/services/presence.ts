// Presence: who is online (on any node), who was on in the last hour, the
// `ping` answer, and the online/offline events other users see. The one place
// that decides whether a user is online.
import type { Bus } from '../bus/bus';
import { ErrorCode, MAX_DIRECTORY_SIZE, ProtocolError, type PresenceInfo, type ResultOf } from '../protocol';
import type { AccountStore } from '../store/store';
import type { BlockService } from './blocks';
import type { ProfileService } from './profiles';
import type { SessionRegistry } from './registry';

const HOUR_MS = 60 * 60 * 1000;

export class PresenceService {
  constructor(
    private readonly accounts: AccountStore,
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

  /** Tells local sessions and other nodes that `user` came online or went offline. */
  announce(user: string, online: boolean): void {
    const at = this.now();
    this.showLocally(user, online, at);
    void this.bus.publish({ kind: 'presence', user, online, at }).catch(() => {});
  }

  showLocally(user: string, online: boolean, at: number): void {
    this.registry.presenceToAll({ type: 'event', event: 'presence', user, online, at }, user);
  }
}
