// The conversation list, read positions and read receipts. Read positions are
// durable per user and conversation (the store); a read tells the other side
// (the peer of a direct chat, the members of a group) through a `read` event,
// on this node or over the bus.
//
// Receipt rules (like Signal and WhatsApp):
// - A user with read receipts off tells nobody what they read, and is shown
//   nobody else's reads (conversations carry no peerRead/reads for them, and
//   no `read` event reaches them). Their own unread counts still move.
// - Nothing passes between two users when either blocks the other.
// - Reading Everyone tells nobody. Only members may read-mark a group, and only
//   its current members hear of it.
import type { Bus } from '../bus/bus';
import { DEFAULT_PAGE_SIZE, ErrorCode, ProtocolError, type EventFrame, type ResultOf } from '../protocol';
import type { AccountStore, ConversationRecord, ConversationTarget, MessageStore } from '../store/store';
import type { BlockService } from './blocks';
import type { GroupService } from './groups';
import type { SessionRegistry } from './registry';

/** One conversation as the wire carries it. */
type Conversation = ResultOf<'conversations'>['conversations'][number];

export interface ReadRequest {
  with?: string | undefined;
  group?: boolean | undefined;
  everyone?: boolean | undefined;
  messageId: number;
}

export class ConversationService {
  constructor(
    private readonly messages: MessageStore,
    private readonly accounts: AccountStore,
    private readonly groups: GroupService,
    private readonly blocks: BlockService,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
  ) {}

  /** A page of `user`'s conversations, newest first (see the `conversations` command). */
  async list(user: string, page: { before?: number | undefined; limit?: number | undefined }): Promise<ResultOf<'conversations'>> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const found = await this.messages.conversations({ username: user, limit: limit + 1, ...(page.before !== undefined ? { before: page.before } : {}) });
    // A page is never split inside the conversations without messages (they share position 0).
    const cut = found.length > limit && (found[limit - 1]?.lastMessage ?? null) !== null;
    const shown = cut ? found.slice(0, limit) : found;
    const receipts = await this.receiptPeers(user, shown);
    // "Seen by" counts current members only (a former member's position stays in the store).
    const members = shown.some((c) => c.kind === 'group')
      ? new Map((await this.groups.list(user)).map((g) => [g.name, new Set(g.members)]))
      : new Map<string, Set<string>>();
    return { conversations: shown.map((c) => this.toWire(c, receipts, members.get(c.name))), hasMore: cut };
  }

  /** Who may exchange receipts with `user` among the people these conversations name; null when `user` has them off. */
  private async receiptPeers(user: string, list: readonly ConversationRecord[]): Promise<ReadonlySet<string> | null> {
    if ((await this.messages.readReceiptsOff([user])).length > 0) return null;
    const named = new Set<string>();
    for (const c of list) {
      if (c.kind === 'direct') named.add(c.name);
      for (const member of Object.keys(c.memberReads ?? {})) named.add(member);
    }
    named.delete(user);
    return this.allowed(user, [...named]);
  }

  /** Those of `others` with whom `user` exchanges receipts: receipts on, and no block either way. */
  private async allowed(user: string, others: readonly string[]): Promise<Set<string>> {
    if (others.length === 0) return new Set();
    const [off, mine, blockers] = await Promise.all([this.messages.readReceiptsOff(others), this.blocks.list(user), this.blocks.blockersOf(user)]);
    const refused = new Set([...off, ...mine, ...blockers]);
    return new Set(others.filter((o) => !refused.has(o)));
  }

  private toWire(c: ConversationRecord, receipts: ReadonlySet<string> | null, members: ReadonlySet<string> | undefined): Conversation {
    const out: Conversation = {
      kind: c.kind,
      lastMessage: c.lastMessage,
      at: c.lastMessage?.ts ?? null,
      read: c.read,
      unread: c.unread,
    };
    if (c.kind !== 'everyone') out.with = c.name;
    if (receipts && c.kind === 'direct' && receipts.has(c.name)) out.peerRead = c.peerRead ?? 0;
    if (receipts && c.kind === 'group') {
      out.reads = Object.fromEntries(
        Object.entries(c.memberReads ?? {}).filter(([member, pos]) => receipts.has(member) && members?.has(member) === true && pos > 0),
      );
    }
    return out;
  }

  /**
   * `user` read a conversation up to `messageId`. Throws UNKNOWN_USER,
   * SELF_TARGET, UNKNOWN_GROUP or NOT_GROUP_MEMBER. Tells the other side when
   * the receipt rules allow.
   */
  async read(user: string, request: ReadRequest): Promise<ResultOf<'read'>> {
    let target: ConversationTarget;
    let name: string | undefined;
    let audience: string[] = [];
    if (request.everyone === true) {
      target = { everyone: true };
    } else if (request.group === true) {
      const group = await this.groups.requireGroup(request.with ?? '', user);
      name = group.name;
      target = { group: group.name };
      audience = group.members.filter((m) => m !== user);
    } else {
      const peer = await this.accounts.getUser(request.with ?? '');
      if (!peer) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${request.with ?? ''}"`);
      if (peer.username === user) throw new ProtocolError(ErrorCode.SELF_TARGET, 'You cannot read a conversation with yourself');
      name = peer.username;
      target = { peer: peer.username };
      audience = [peer.username];
    }
    const { read, unread } = await this.messages.markRead(user, target, request.messageId);
    if (name !== undefined && audience.length > 0 && (await this.messages.readReceiptsOff([user])).length === 0) {
      const to = [...(await this.allowed(user, audience))];
      // In a direct chat the conversation, from the peer's side, is the reader.
      if (to.length > 0) this.send({ by: user, with: request.group === true ? name : user, group: request.group === true, messageId: read, to });
    }
    return { ...(name !== undefined ? { with: name } : {}), group: request.group === true, everyone: request.everyone === true, messageId: read, unread };
  }

  /** Reads (and, when given, changes) `user`'s settings. */
  async settings(user: string, change: { readReceipts?: boolean | undefined }): Promise<ResultOf<'settings'>> {
    if (change.readReceipts !== undefined) await this.messages.setReadReceipts(user, change.readReceipts);
    return { readReceipts: (await this.messages.readReceiptsOff([user])).length === 0 };
  }

  /** Shows a receipt to those of `to` signed in here (also for receipts from other nodes); returns the rest. */
  showLocally(receipt: { by: string; with: string; group: boolean; messageId: number; to: readonly string[] }): string[] {
    const event: EventFrame = receipt.group
      ? { type: 'event', event: 'read', by: receipt.by, with: receipt.with, group: true, messageId: receipt.messageId }
      : { type: 'event', event: 'read', by: receipt.by, with: receipt.with, messageId: receipt.messageId };
    const elsewhere: string[] = [];
    for (const user of receipt.to) {
      const session = this.registry.get(user);
      if (session) session.connection.event(event);
      else elsewhere.push(user);
    }
    return elsewhere;
  }

  private send(receipt: { by: string; with: string; group: boolean; messageId: number; to: string[] }): void {
    const elsewhere = this.showLocally(receipt);
    if (elsewhere.length === 0 || this.bus.singleNode) return;
    void this.bus.publish({ kind: 'read', ...receipt, to: elsewhere }).catch(() => {});
  }
}
