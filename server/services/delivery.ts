// Fan-out: works out who receives a message (blocks, membership, who is online),
// stores the message with one delivery per recipient, then hands each delivery
// to the local session or, for users signed in on another node, to the bus.
// Nothing is sent to anyone before the store has committed.
import type { Bus } from '../bus/bus';
import { OutboundMessage } from '../connection';
import { ErrorCode, ProtocolError, type ChatMessage } from '../protocol';
import type { AccountStore, MessageStore, NewMessage, Recipient, StoredDelivery } from '../store/store';
import type { BlockService } from './blocks';
import type { PresenceService } from './presence';
import type { SessionRegistry } from './registry';

export interface SendOutcome {
  message: ChatMessage;
  /** Recipients who were offline (queued in their mailbox). */
  queued: string[];
  /** Recipients who got a delivery (online or queued). */
  delivered: number;
  /** Would-be recipients skipped because they blocked the sender. */
  blockedBy: number;
}

export class DeliveryService {
  constructor(
    private readonly messages: MessageStore,
    private readonly accounts: AccountStore,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly blocks: BlockService,
    private readonly presence: PresenceService,
    private readonly now: () => number = Date.now,
  ) {}

  /** `typed` is matched by canonical form; the message names the recipient's registered spelling. */
  async sendPrivate(from: string, typed: string, text: string): Promise<SendOutcome> {
    const user = await this.accounts.getUser(typed);
    if (user?.username === from) throw new ProtocolError(ErrorCode.SELF_TARGET, 'You cannot message yourself');
    if (!user) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${typed}"`);
    const to = user.username;
    if ((await this.blocks.blockersOf(from)).has(to)) {
      throw new ProtocolError(ErrorCode.BLOCKED, 'Your message could not be delivered as the recipient has blocked you');
    }
    const online = await this.presence.isOnline(to);
    return this.send({ kind: 'private', from, to, text, ts: this.now() }, [{ username: to, offline: !online }], 0);
  }

  /** To everyone online except the sender and those who blocked the sender (as in the seed: not queued). */
  async sendBroadcast(from: string, text: string): Promise<SendOutcome> {
    const [online, blockers] = await Promise.all([this.presence.online(), this.blocks.blockersOf(from)]);
    const recipients: Recipient[] = [];
    let blockedBy = 0;
    for (const user of online) {
      if (user === from) continue;
      if (blockers.has(user)) blockedBy++;
      else recipients.push({ username: user, offline: false });
    }
    return this.send({ kind: 'broadcast', from, text, ts: this.now() }, recipients, blockedBy);
  }

  /** To every member but the sender; offline members get it in their mailbox. */
  async sendGroup(from: string, group: string, members: readonly string[], text: string): Promise<SendOutcome> {
    const [online, blockers] = await Promise.all([this.presence.online(), this.blocks.blockersOf(from)]);
    const onlineSet = new Set(online);
    const recipients: Recipient[] = [];
    let blockedBy = 0;
    for (const user of members) {
      if (user === from) continue;
      if (blockers.has(user)) blockedBy++;
      else recipients.push({ username: user, offline: !onlineSet.has(user) });
    }
    return this.send({ kind: 'group', from, group, text, ts: this.now() }, recipients, blockedBy);
  }

  private async send(message: NewMessage, recipients: Recipient[], blockedBy: number): Promise<SendOutcome> {
    const saved = await this.messages.saveMessage(message, recipients);
    this.route(saved.deliveries, new OutboundMessage(saved.message));
    return {
      message: saved.message,
      queued: recipients.filter((r) => r.offline).map((r) => r.username),
      delivered: saved.deliveries.length,
      blockedBy,
    };
  }

  /** Hands stored deliveries of one message to local sessions; the rest go over the bus. */
  private route(deliveries: StoredDelivery[], outbound: OutboundMessage): void {
    let remote: StoredDelivery[] | undefined;
    for (const d of deliveries) {
      const session = this.registry.get(d.username);
      if (session) session.deliver(d.seq, d.offline, outbound);
      else if (!d.offline) (remote ??= []).push(d);
    }
    if (remote) void this.bus.publish({ kind: 'deliver', deliveries: remote }).catch(() => {});
  }

  /** Deliveries published by another node: hand over those whose user is signed in here. */
  deliverFromBus(deliveries: StoredDelivery[]): void {
    const outbound = new Map<number, OutboundMessage>();
    for (const d of deliveries) {
      const session = this.registry.get(d.username);
      if (!session) continue;
      let out = outbound.get(d.message.id);
      if (!out) outbound.set(d.message.id, (out = new OutboundMessage(d.message)));
      session.deliver(d.seq, d.offline, out);
    }
  }
}
