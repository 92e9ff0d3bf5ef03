// Presence of other users: who is online now (`whoelse` + presence events), who
// was seen within the hour (`wholasthr`), and the last `ping` answer per user.
import type { PresenceInfo, ResultOf } from '../../../server/protocol';

export type Presence = 'online' | 'recent' | 'unknown';

const HOUR_MS = 60 * 60 * 1000;

class PeopleState {
  /** Online now, excluding me, sorted by name. */
  online = $state<string[]>([]);
  /** Last time each user was seen (sign-in or going offline), ms since epoch; null = never. */
  lastSeen = $state<Record<string, number | null>>({});
  pings = $state<Record<string, ResultOf<'ping'> & { at: number }>>({});
  /** The people directory's last answer (`users`): accounts matching `directoryQuery`, sorted by name. */
  directory = $state.raw<PresenceInfo[]>([]);
  directoryQuery = $state('');
  /** More accounts match than the server listed. */
  directoryMore = $state(false);
  /** Seen within the hour but not online now, most recent first. */
  recent = $derived(
    Object.entries(this.lastSeen)
      .filter(([name, at]) => at !== null && Date.now() - at < HOUR_MS && !this.online.includes(name))
      .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
      .map(([name]) => name),
  );

  presenceOf(name: string): Presence {
    if (this.online.includes(name)) return 'online';
    const at = this.lastSeen[name];
    return at !== undefined && at !== null && Date.now() - at < HOUR_MS ? 'recent' : 'unknown';
  }

  setOnline(users: string[]): void {
    this.online = [...new Set(users)].sort();
  }

  setLastHour(users: PresenceInfo[]): void {
    const next = { ...this.lastSeen };
    for (const u of users) next[u.username] = u.lastLoginAt ?? next[u.username] ?? null;
    this.lastSeen = next;
    const online = users.filter((u) => u.online).map((u) => u.username);
    this.setOnline([...this.online.filter((n) => !users.some((u) => u.username === n)), ...online]);
  }

  /** Applies a `users` answer; it also says who of them is online now. */
  setDirectory(query: string, result: ResultOf<'users'>, me: string | null): void {
    this.directory = result.users;
    this.directoryQuery = query;
    this.directoryMore = result.more;
    const listed = new Set(result.users.map((u) => u.username));
    const online = result.users.filter((u) => u.online && u.username !== me).map((u) => u.username);
    this.setOnline([...this.online.filter((n) => !listed.has(n)), ...online]);
    const seen = { ...this.lastSeen };
    for (const u of result.users) if (u.username !== me && seen[u.username] === undefined) seen[u.username] = u.lastLoginAt;
    this.lastSeen = seen;
  }

  /** Applies a presence event; `at` is when it happened (ms). */
  presence(user: string, isOnline: boolean, at: number): void {
    this.setOnline(isOnline ? [...this.online, user] : this.online.filter((n) => n !== user));
    this.lastSeen = { ...this.lastSeen, [user]: at };
  }

  reset(): void {
    this.online = [];
    this.lastSeen = {};
    this.pings = {};
    this.directory = [];
    this.directoryQuery = '';
    this.directoryMore = false;
  }
}

export const people = new PeopleState();
