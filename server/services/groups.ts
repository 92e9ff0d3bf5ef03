// Groups: creation, membership and the events members see. The owner adds and
// removes members; any member may leave (ownership then passes on).
import { canonicalName, ErrorCode, ProtocolError, RESERVED_NAMES, type EventFrame, type GroupInfo } from '../protocol';
import type { Bus, BusEvent } from '../bus/bus';
import type { AccountStore, GroupRecord, GroupStore } from '../store/store';
import type { SessionRegistry } from './registry';

type GroupChange = Extract<BusEvent, { kind: 'group' }>;

export function toGroupInfo(g: GroupRecord): GroupInfo {
  return { name: g.name, owner: g.owner, members: [...g.members], createdAt: g.createdAt };
}

export class GroupService {
  constructor(
    private readonly store: GroupStore,
    private readonly accounts: AccountStore,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  async create(owner: string, name: string, members: readonly string[]): Promise<GroupRecord> {
    if (RESERVED_NAMES.has(canonicalName(name))) throw new ProtocolError(ErrorCode.BAD_REQUEST, `"${name}" is reserved`);
    const wanted = [...new Set([owner, ...(await this.requireUsers(members))])];
    if (!(await this.store.createGroup(name, owner, wanted, this.now()))) {
      throw new ProtocolError(ErrorCode.GROUP_EXISTS, `The name "${name}" is already used by a group or a user`);
    }
    const group = await this.requireGroup(name, owner);
    this.announce({ kind: 'group', name, change: 'created', actor: owner, members: group.members, notify: group.members.filter((m) => m !== owner) });
    return group;
  }

  /** The group, if it exists and `viewer` is a member; else UNKNOWN_GROUP / NOT_GROUP_MEMBER. */
  async requireGroup(name: string, viewer: string): Promise<GroupRecord> {
    const group = await this.store.getGroup(name);
    if (!group) throw new ProtocolError(ErrorCode.UNKNOWN_GROUP, `No group "${name}"`);
    if (!group.members.includes(viewer)) throw new ProtocolError(ErrorCode.NOT_GROUP_MEMBER, `You are not a member of group "${name}"`);
    return group;
  }

  async add(actor: string, name: string, members: readonly string[]): Promise<GroupRecord> {
    const group = await this.requireOwner(name, actor);
    const added = [...new Set(await this.requireUsers(members))].filter((m) => !group.members.includes(m));
    const updated = (await this.store.addGroupMembers(name, added)) ?? group;
    if (added.length > 0) {
      this.announce({ kind: 'group', name, change: 'added', actor, members: added, notify: updated.members.filter((m) => m !== actor) });
    }
    return updated;
  }

  async remove(actor: string, name: string, members: readonly string[]): Promise<GroupRecord> {
    const group = await this.requireOwner(name, actor);
    // Members are named in any case: each typed name means the member with its canonical form.
    const memberOf = (typed: string) => group.members.find((m) => canonicalName(m) === canonicalName(typed));
    if (members.some((m) => memberOf(m) === actor)) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'To remove yourself, leave the group');
    const removed = [...new Set(members.flatMap((m) => memberOf(m) ?? []))];
    const missing = members.filter((m) => memberOf(m) === undefined);
    if (missing.length > 0) throw new ProtocolError(ErrorCode.BAD_REQUEST, `Not in group "${name}": ${missing.join(', ')}`);
    const updated = await this.store.removeGroupMembers(name, removed);
    if (!updated) throw new ProtocolError(ErrorCode.UNKNOWN_GROUP, `No group "${name}"`);
    // Removed members are told too, so their clients drop the group.
    this.announce({ kind: 'group', name, change: 'removed', actor, members: removed, notify: [...updated.members.filter((m) => m !== actor), ...removed] });
    return updated;
  }

  async leave(actor: string, name: string): Promise<void> {
    await this.requireGroup(name, actor);
    const updated = await this.store.removeGroupMembers(name, [actor]);
    if (updated) this.announce({ kind: 'group', name, change: 'left', actor, members: [actor], notify: updated.members });
  }

  list(username: string): Promise<GroupRecord[]> {
    return this.store.groupsOf(username);
  }

  /** Whether a group of this name exists (users and groups share one namespace). */
  async exists(name: string): Promise<boolean> {
    return (await this.store.getGroup(name)) !== null;
  }

  private async requireOwner(name: string, actor: string): Promise<GroupRecord> {
    const group = await this.requireGroup(name, actor);
    if (group.owner !== actor) throw new ProtocolError(ErrorCode.NOT_GROUP_OWNER, `Only ${group.owner}, the owner, can change the members of "${name}"`);
    return group;
  }

  /** The registered spelling of each typed name (matched by canonical form), in order; UNKNOWN_USER names the missing. */
  private async requireUsers(names: readonly string[]): Promise<string[]> {
    const registered = await Promise.all(names.map(async (typed) => (await this.accounts.getUser(typed))?.username));
    const missing = names.filter((_, i) => registered[i] === undefined);
    if (missing.length > 0) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No such user(s): ${[...new Set(missing)].join(', ')}`);
    return registered as string[];
  }

  private announce(change: GroupChange): void {
    void this.notifyLocal(change);
    void this.bus.publish(change).catch(() => {});
  }

  /** Tells the local sessions among `change.notify`, with the group as they now see it. */
  async notifyLocal(change: GroupChange): Promise<void> {
    const local = change.notify.map((u) => this.registry.get(u)).filter((s) => s !== undefined);
    if (local.length === 0) return;
    const group = await this.store.getGroup(change.name).catch(() => null);
    for (const session of local) {
      const visible = group && group.members.includes(session.username) ? toGroupInfo(group) : null;
      const event: EventFrame = {
        type: 'event',
        event: 'group',
        name: change.name,
        change: change.change,
        actor: change.actor,
        members: change.members,
        group: visible,
      };
      session.connection.event(event);
    }
  }
}
