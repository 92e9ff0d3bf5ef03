// Presence: who is online (on any node), who was on in the last hour, and the
// online/offline events other users see.
import type { Bus } from '../bus/bus';
import type { PresenceInfo } from '../protocol';
import type { Store } from '../store/store';
import type { SessionRegistry } from './registry';

const HOUR_MS = 60 * 60 * 1000;

export class PresenceService {
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  async othersOnline(me: string): Promise<string[]> {
    return (await this.bus.onlineUsers()).filter((u) => u !== me);
  }

  /** Users online now or signed in within the last hour, except `me`, sorted by name. */
  async lastHour(me: string): Promise<PresenceInfo[]> {
    const [online, recent] = await Promise.all([this.bus.onlineUsers(), this.store.usersLoggedInSince(this.now() - HOUR_MS)]);
    const byName = new Map<string, PresenceInfo>();
    for (const r of recent) byName.set(r.username, { username: r.username, online: false, lastLoginAt: r.lastLoginAt });
    for (const u of online) {
      const known = byName.get(u);
      byName.set(u, { username: u, online: true, lastLoginAt: known?.lastLoginAt ?? null });
    }
    byName.delete(me);
    return [...byName.values()].sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  isOnline(user: string): Promise<boolean> {
    return this.registry.get(user) ? Promise.resolve(true) : this.bus.isOnline(user);
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
