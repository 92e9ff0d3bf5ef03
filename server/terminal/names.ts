// The user and group names the terminal client has seen (replies to whoelse,
// wholasthr, ping, blocklist, grouplist, history, ...; messages, presence and
// group events), for tab completion. Users and groups share one namespace on
// the server, so a name is kept as a user or a group by where it appeared.
import { NAME_PATTERN, type CommandType, type EventFrame } from '../protocol';

const USER_KEYS = new Set(['users', 'user', 'username', 'from', 'to', 'owner', 'actor', 'members']);

/**
 * MUST: only names that match the server's name pattern are kept.
 * SHOULD: a group I left (or that was deleted) stops being offered.
 */
export class KnownNames {
  private readonly userSet = new Set<string>();
  private readonly groupSet = new Set<string>();

  /** @param self my own username: never offered as a user (nobody messages themself). */
  constructor(private self: string | null = null) {}

  setSelf(username: string): void {
    this.self = username;
    this.userSet.delete(username);
  }

  /** Known users, sorted. */
  get users(): string[] {
    return [...this.userSet].sort();
  }

  /** Known groups, sorted. */
  get groups(): string[] {
    return [...this.groupSet].sort();
  }

  /** Learns the names in a command's result. */
  learnResult(type: CommandType, result: unknown): void {
    if (type === 'group-leave' && isRecord(result) && typeof result.group === 'string') {
      this.groupSet.delete(result.group);
      return;
    }
    this.walk(result, null);
  }

  /** Learns the names in a server event. */
  learnEvent(event: EventFrame): void {
    switch (event.event) {
      case 'message':
        this.walk(event.message, null);
        return;
      case 'presence':
        this.addUser(event.user);
        return;
      case 'group':
        for (const member of event.members) this.addUser(member);
        this.addUser(event.actor);
        if (event.group === null) this.groupSet.delete(event.name);
        else this.walk(event.group, 'group');
        return;
      default:
        return;
    }
  }

  private addUser(name: unknown): void {
    if (typeof name === 'string' && NAME_PATTERN.test(name) && name !== this.self) this.userSet.add(name);
  }

  private addGroup(name: unknown): void {
    if (typeof name === 'string' && NAME_PATTERN.test(name)) this.groupSet.add(name);
  }

  /** Walks a result: `kind` says what the value under the current key names. */
  private walk(value: unknown, kind: 'user' | 'group' | null): void {
    if (typeof value === 'string') {
      if (kind === 'user') this.addUser(value);
      else if (kind === 'group') this.addGroup(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item, kind);
      return;
    }
    if (!isRecord(value)) return;
    // A group object (GroupInfo): its name is a group, its members and owner users.
    if (kind === 'group' && typeof value.name === 'string') this.addGroup(value.name);
    for (const [key, inner] of Object.entries(value)) {
      if (USER_KEYS.has(key)) this.walk(inner, 'user');
      else if (key === 'group' || key === 'groups') this.walk(inner, 'group');
      else if (typeof inner === 'object') this.walk(inner, null);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
