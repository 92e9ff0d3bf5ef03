// Fan-out: works out who receives a message (blocks, membership, who is online),
// stores the message with one delivery per recipient, then hands each delivery
// to the local session or, for users signed in on another node, to the bus.
// Nothing is sent to anyone before the store has committed.
import type { Bus } from '../bus/bus';
import type { Metrics } from '../metrics';
import { OutboundMessage } from '../connection';
import { ErrorCode, ProtocolError, type ChatMessage } from '../protocol';
import type { AccountStore, MessageStore, NewMessage, Recipient, StoredDelivery } from '../store/store';
import type { BlockService } from './blocks';
import type { FileService } from './files';
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
    private readonly metrics: Metrics,
    private readonly files: FileService,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `typed` is matched by canonical form; the message names the recipient's registered spelling.
   * `attachments`: ids of files `from` uploaded or can read (UNKNOWN_FILE otherwise).
   */
  async sendPrivate(from: string, typed: string, text: string, attachments?: readonly string[]): Promise<SendOutcome> {
    const user = await this.accounts.getUser(typed);
    if (user?.username === from) throw new ProtocolError(ErrorCode.SELF_TARGET, 'You cannot message yourself');
    if (!user) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${typed}"`);
    const to = user.username;
    if ((await this.blocks.blockersOf(from)).has(to)) {
      throw new ProtocolError(ErrorCode.BLOCKED, 'Your message could not be delivered as the recipient has blocked you');
    }
    const online = await this.presence.isOnline(to);
    return this.send({ kind: 'private', from, to, text, ts: this.now() }, [{ username: to, offline: !online }], 0, attachments);
  }

  /** To everyone online except the sender and those who blocked the sender (as in the seed: not queued). */
  async sendBroadcast(from: string, text: string, attachments?: readonly string[]): Promise<SendOutcome> {
    const [online, blockers] = await Promise.all([this.presence.online(), this.blocks.blockersOf(from)]);
    const recipients: Recipient[] = [];
    let blockedBy = 0;
    for (const user of online) {
      if (user === from) continue;
      if (blockers.has(user)) blockedBy++;
      else recipients.push({ username: user, offline: false });
    }
    return this.send({ kind: 'broadcast', from, text, ts: this.now() }, recipients, blockedBy, attachments);
  }

  /** To every member but the sender; offline members get it in their mailbox. */
  async sendGroup(from: string, group: string, members: readonly string[], text: string, attachments?: readonly string[]): Promise<SendOutcome> {
    const [online, blockers] = await Promise.all([this.presence.online(), this.blocks.blockersOf(from)]);
    const onlineSet = new Set(online);
    const recipients: Recipient[] = [];
    let blockedBy = 0;
    for (const user of members) {
      if (user === from) continue;
      if (blockers.has(user)) blockedBy++;
      else recipients.push({ username: user, offline: !onlineSet.has(user) });
    }
    return this.send({ kind: 'group', from, group, text, ts: this.now() }, recipients, blockedBy, attachments);
  }

  /**
   * Stores the message, then (when it carries files) which files it carries and
   * who may read them, and only then hands it to anyone. Group files are granted
   * to the group (its members now and later), not to 1000 names one by one.
   */
  private async send(message: NewMessage, recipients: Recipient[], blockedBy: number, attachmentIds?: readonly string[]): Promise<SendOutcome> {
    const files = attachmentIds?.length ? await this.files.checkAttachable(message.from, attachmentIds) : [];
    let saved = await this.messages.saveMessage(message, recipients);
    if (files.length > 0) {
      const users = message.kind === 'group' ? [message.from] : [message.from, ...recipients.map((r) => r.username)];
      await this.files.attach(saved.message.id, attachmentIds!, { users, group: message.group ?? null });
      const withFiles: ChatMessage = { ...saved.message, attachments: await this.files.describe(files) };
      saved = { message: withFiles, deliveries: saved.deliveries.map((d) => ({ ...d, message: withFiles })) };
    }
    this.metrics.messages.inc({ kind: message.kind });
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
      if (session) {
        session.deliver(d.seq, d.offline, outbound);
        if (!d.offline) this.observeLatency(d.message.ts);
      } else if (!d.offline) (remote ??= []).push(d);
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
      if (!d.offline) this.observeLatency(d.message.ts);
    }
  }

  /** Message timestamp to hand-off (live deliveries; queued ones wait for their user by design). */
  private observeLatency(sentAt: number): void {
    this.metrics.deliveryLatency.observe(Math.max(0, this.now() - sentAt) / 1000);
  }
}
