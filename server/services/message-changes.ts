// Changes to stored messages: edits, deletions and reactions. Each is checked
// against who may see the message now, written to the store (one UPDATE of the
// message row, or a reaction row), and then told to those who can see the
// message and are signed in, on this node or, over the bus, on others.
// Offline users read the final state from the stream (mailbox, history).
//
// Who can see a message (and so react to it, or be told of its changes):
// - private: its two parties;
// - group: the current members of the very group it was sent to (a later
//   group with the same name does not count);
// - broadcast: every user.
// Users who block the message's author are not told of its changes (the
// message is not theirs to read), and users who block a reactor are not told
// of that reactor's reactions (the message's reactions list still counts
// them, as the history does). Reacting to a message whose author blocks you
// is refused with BLOCKED.
import type { Bus } from '../bus/bus';
import { ErrorCode, ProtocolError, type ChatMessage, type MessageChangeEvent } from '../protocol';
import type { GroupStore, MessageStore, ReactionToggle, StoredMessage } from '../store/store';
import type { BlockService } from './blocks';
import type { SessionRegistry } from './registry';

export interface MessageChangeOptions {
  /** How long after sending the author may edit, in ms; 0 = no limit. */
  editWindowMs: number;
}

/** The fields of an event that name the message and its conversation. */
function refOf(m: ChatMessage): Pick<ChatMessage, 'id' | 'kind' | 'from' | 'to' | 'group'> {
  return { id: m.id, kind: m.kind, from: m.from, ...(m.to !== undefined ? { to: m.to } : {}), ...(m.group !== undefined ? { group: m.group } : {}) };
}

export class MessageChangeService {
  constructor(
    private readonly messages: MessageStore,
    private readonly groups: GroupStore,
    private readonly blocks: BlockService,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly options: MessageChangeOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** The message, if `user` can see it now (see the module comment); UNKNOWN_MESSAGE otherwise, so nothing leaks. */
  async visible(user: string, id: number): Promise<StoredMessage & { members: readonly string[] | null }> {
    const found = await this.messages.getMessage(id);
    const unknown = () => new ProtocolError(ErrorCode.UNKNOWN_MESSAGE, `No message #${id} that you can see`);
    if (!found) throw unknown();
    const m = found.message;
    if (m.kind === 'private') {
      if (m.from !== user && m.to !== user) throw unknown();
      return { ...found, members: null };
    }
    if (m.kind === 'group') {
      const group = m.group === undefined ? null : await this.groups.getGroup(m.group);
      if (!group || group.id !== found.groupId || !group.members.includes(user)) throw unknown();
      return { ...found, members: group.members };
    }
    return { ...found, members: null };
  }

  /** edit <id> <text>: the author, within the edit window, of a message not deleted. */
  async edit(user: string, id: number, text: string): Promise<ChatMessage> {
    const found = await this.visible(user, id);
    const m = found.message;
    if (m.from !== user) throw new ProtocolError(ErrorCode.NOT_MESSAGE_AUTHOR, `Only ${m.from}, who sent #${id}, can edit it`);
    if (m.deleted) throw new ProtocolError(ErrorCode.MESSAGE_DELETED, `Message #${id} was deleted`);
    const now = this.now();
    const windowMs = this.options.editWindowMs;
    if (windowMs > 0 && now - m.ts > windowMs) {
      throw new ProtocolError(ErrorCode.EDIT_WINDOW_PASSED, `Messages can be edited for ${formatMinutes(windowMs)} after sending; #${id} is older`);
    }
    const edited = await this.messages.editMessage(id, text, now);
    if (!edited) throw new ProtocolError(ErrorCode.MESSAGE_DELETED, `Message #${id} was deleted`);
    void this.tell(found, user, { type: 'event', event: 'edited', ...refOf(edited), text: edited.text, editedAt: edited.editedAt ?? now });
    return edited;
  }

  /** delete <id>: the author, or the owner of the group the message was sent to. */
  async remove(user: string, id: number): Promise<void> {
    const found = await this.visible(user, id);
    const m = found.message;
    if (m.deleted) throw new ProtocolError(ErrorCode.MESSAGE_DELETED, `Message #${id} was deleted already`);
    if (m.from !== user) {
      const owner = m.kind === 'group' ? (await this.groups.getGroup(m.group ?? ''))?.owner : undefined;
      if (owner !== user) {
        throw new ProtocolError(
          ErrorCode.NOT_MESSAGE_AUTHOR,
          `Only ${m.from}, who sent #${id}${m.kind === 'group' ? ", or the group's owner" : ''}, can delete it`,
        );
      }
    }
    const at = this.now();
    const tombstone = await this.messages.deleteMessage(id, at);
    if (!tombstone) throw new ProtocolError(ErrorCode.MESSAGE_DELETED, `Message #${id} was deleted already`);
    void this.tell(found, user, { type: 'event', event: 'deleted', ...refOf(tombstone), by: user, at });
  }

  /** react <id> <emoji>: toggles `user`'s reaction on a message they can see. */
  async react(user: string, id: number, emoji: string): Promise<ReactionToggle> {
    const found = await this.visible(user, id);
    const m = found.message;
    if (m.deleted) throw new ProtocolError(ErrorCode.MESSAGE_DELETED, `Message #${id} was deleted`);
    if (m.from !== user && (await this.blocks.hasBlocked(m.from, user))) {
      throw new ProtocolError(ErrorCode.BLOCKED, `You cannot react to #${id}: ${m.from} has blocked you`);
    }
    const toggled = await this.messages.toggleReaction(id, user, emoji, this.now());
    if (!toggled) throw new ProtocolError(ErrorCode.MESSAGE_DELETED, `Message #${id} was deleted`);
    const reactorBlockers = user === m.from ? new Set<string>() : await this.blocks.blockersOf(user).catch(() => new Set<string>());
    void this.tell(
      found,
      user,
      { type: 'event', event: 'reaction', ...refOf(m), user, emoji, added: toggled.added, reactions: toggled.reactions },
      reactorBlockers,
    );
    return toggled;
  }

  /**
   * Tells those who can see the message (but `actor`, who has the reply, and
   * those who block its author, and `alsoSkip`): local sessions at once, the rest over the bus.
   */
  private async tell(
    found: StoredMessage & { members: readonly string[] | null },
    actor: string,
    event: MessageChangeEvent,
    alsoSkip: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    const m = found.message;
    const blockers = new Set([...(await this.blocks.blockersOf(m.from).catch(() => new Set<string>())), ...alsoSkip]);
    if (m.kind === 'broadcast') {
      const skip = new Set([actor, ...blockers]);
      this.showLocally(event, null, [...skip]);
      if (!this.bus.singleNode) void this.bus.publish({ kind: 'message-change', event, users: null, skip: [...skip] }).catch(() => {});
      return;
    }
    const audience = m.kind === 'private' ? [m.from, m.to ?? ''] : [...(found.members ?? [])];
    const users = audience.filter((u) => u !== actor && !blockers.has(u));
    const elsewhere = this.showLocally(event, users, []);
    if (elsewhere.length > 0 && !this.bus.singleNode) void this.bus.publish({ kind: 'message-change', event, users: elsewhere, skip: [] }).catch(() => {});
  }

  /**
   * Sends the event to those of `users` (null: everyone) signed in on this node,
   * but those in `skip` (also for events from other nodes); returns the users not signed in here.
   */
  showLocally(event: MessageChangeEvent, users: readonly string[] | null, skip: readonly string[]): string[] {
    const skipped = new Set(skip);
    if (users === null) {
      for (const session of this.registry.all()) if (!skipped.has(session.username)) session.connection.event(event);
      return [];
    }
    const elsewhere: string[] = [];
    for (const user of users) {
      if (skipped.has(user)) continue;
      const session = this.registry.get(user);
      if (session) session.connection.event(event);
      else elsewhere.push(user);
    }
    return elsewhere;
  }
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return minutes >= 60 && minutes % 60 === 0 ? `${minutes / 60} hour(s)` : `${Number(minutes.toFixed(2))} minute(s)`;
}
