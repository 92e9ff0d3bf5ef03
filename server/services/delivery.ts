// Fan-out: works out who receives a message (blocks, membership, who is online),
// stores the message once (its id is its position in the stream), then hands it
// to the recipients' local sessions and, for users signed in on other nodes, to
// the bus. Offline recipients read it from the stream when they sign in.
// Nothing is sent to anyone before the store has committed.
//
// MUST: routing happens after the commit and looks up sessions then, not when
// the recipients were worked out: a recipient who signed in meanwhile (after
// their catch-up read) still gets it live, so no position is skipped.
import type { Bus } from '../bus/bus';
import type { Metrics } from '../metrics';
import { OutboundMessage, type StoreTurn } from '../connection';
import { ErrorCode, ProtocolError, type ChatMessage, type ReplyQuote } from '../protocol';
import { replyQuoteOf } from '../store/rules';
import type { AccountStore, MessageFiles, MessageStore, NewMessage, SavedOnce } from '../store/store';
import type { BlockService } from './blocks';
import type { FileService } from './files';
import type { PresenceService } from './presence';
import type { SessionRegistry } from './registry';

/** Who a message goes to, as worked out before it is stored. */
interface Recipient {
  username: string;
  /** Not signed in anywhere when the message was sent: it waits in the stream for them. */
  offline: boolean;
}

export interface SendOutcome {
  message: ChatMessage;
  /** The message as handed to the recipients (the sender's reply reuses its encodings). */
  outbound: OutboundMessage;
  /** Recipients who were offline (queued in their mailbox). */
  queued: string[];
  /** Recipients who got a delivery (online or queued). */
  delivered: number;
  /** Would-be recipients skipped because they blocked the sender. */
  blockedBy: number;
}

/** What a send carries besides its sender, audience and text (all optional). */
export interface SendOptions {
  /** Ids of files the sender uploaded or can read (UNKNOWN_FILE otherwise). */
  attachments?: readonly string[];
  /** The connection's pipeline turn: its store writes are issued in command order. */
  turn?: StoreTurn;
  /** The id of the message this one answers (quoted in it). */
  replyTo?: number;
  /**
   * The sender's idempotency key (protocol ClientKey): a key they used for a stored
   * message makes this a repeat, answered with that message and not stored or routed
   * again. It is looked up first, so a repeat is answered even when the checks of a
   * new send (blocks, the recipient, the quoted message) would now refuse it.
   */
  clientKey?: string;
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
   * The message `from` stored with idempotency key `clientKey` (as read now, with
   * its attachments), or undefined. A send with such a key is a repeat: it is
   * answered with that message and nothing else happens (see send()).
   */
  async sentBefore(from: string, clientKey: string): Promise<ChatMessage | undefined> {
    return (await this.messages.messageByClientKey(from, clientKey))?.message;
  }

  /**
   * `typed` is matched by canonical form; the message names the recipient's registered spelling.
   */
  async sendPrivate(from: string, typed: string, text: string, { attachments, turn, replyTo, clientKey }: SendOptions = {}): Promise<SendOutcome> {
    if (clientKey !== undefined) {
      const earlier = await this.sentBefore(from, clientKey);
      if (earlier) {
        const peer = earlier.to;
        const offline = peer !== undefined && !(await this.presence.isOnline(peer));
        // It writes nothing: the connection's next pipelined send need not wait for it.
        turn?.done();
        return repeatOutcome(earlier, peer === undefined ? [] : [{ username: peer, offline }], 0);
      }
    }
    // A name typed exactly as a user signed in here spells is that user: no account read per message.
    // (The store still checks that the recipient exists when it saves; see send.)
    const local = typed === from ? undefined : this.registry.get(typed);
    const to = local ? local.username : await this.registeredName(from, typed);
    // The cache's no is taken without a turn's wait (nearly every message); anything else is hasBlocked's to decide.
    const known = this.blocks.knownBlockersOf(from);
    if ((known === undefined || known.has(to)) && (await this.blocks.hasBlocked(to, from))) {
      throw new ProtocolError(ErrorCode.BLOCKED, 'Your message could not be delivered as the recipient has blocked you');
    }
    const quote = replyTo === undefined ? undefined : await this.quote(replyTo, (m) => m.kind === 'private' && pairOf(m) === pairOf({ from, to }));
    const online = local !== undefined || (await this.presence.isOnline(to));
    const message: NewMessage = { kind: 'private', from, to, text, ts: this.now() };
    if (quote) message.replyTo = quote;
    return this.send(message, [{ username: to, offline: !online }], 0, null, turn, attachments, undefined, local !== undefined, clientKey);
  }

  /** The registered spelling of the recipient `typed` names (matched by canonical form): UNKNOWN_USER when none, SELF_TARGET when it is `from`. */
  private async registeredName(from: string, typed: string): Promise<string> {
    const user = await this.accounts.getUser(typed);
    if (user?.username === from) throw new ProtocolError(ErrorCode.SELF_TARGET, 'You cannot message yourself');
    if (!user) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${typed}"`);
    return user.username;
  }

  /**
   * The quote of message `id` for a reply: it must exist, belong to the
   * reply's conversation (`sameConversation`, which the sender is part of, so
   * they can see it) and not be deleted.
   */
  private async quote(id: number, sameConversation: (m: ChatMessage, groupId: number | null) => boolean): Promise<ReplyQuote> {
    const found = await this.messages.getMessage(id);
    if (!found || !sameConversation(found.message, found.groupId)) {
      throw new ProtocolError(ErrorCode.UNKNOWN_MESSAGE, `No message #${id} in this conversation to reply to`);
    }
    if (found.message.deleted) throw new ProtocolError(ErrorCode.MESSAGE_DELETED, `Message #${id} was deleted`);
    return replyQuoteOf(found.message);
  }

  /** To everyone online except the sender and those who blocked the sender (as in the seed: not queued). */
  async sendBroadcast(from: string, text: string, { attachments, turn, replyTo, clientKey }: SendOptions = {}): Promise<SendOutcome> {
    const earlier = clientKey === undefined ? undefined : await this.sentBefore(from, clientKey);
    const quote = earlier || replyTo === undefined ? undefined : await this.quote(replyTo, (m) => m.kind === 'broadcast');
    const [online, blockers] = await Promise.all([this.presence.online(), this.blocks.blockersOf(from)]);
    let delivered = 0;
    let blockedBy = 0;
    for (const user of online) {
      if (user === from) continue;
      if (blockers.has(user)) blockedBy++;
      else delivered++;
    }
    if (earlier) {
      turn?.done();
      return repeatOutcome(earlier, [], blockedBy, delivered);
    }
    // Routed to everyone signed in when it is stored (but the blockers), not only to those online now.
    return this.send(
      { kind: 'broadcast', from, text, ts: this.now(), ...(quote ? { replyTo: quote } : {}) },
      [],
      blockedBy,
      blockers,
      turn,
      attachments,
      delivered,
      false,
      clientKey,
    );
  }

  /** To every member but the sender; offline members get it in their mailbox. */
  async sendGroup(
    from: string,
    group: { id: number; name: string; members: readonly string[] },
    text: string,
    { attachments, turn, replyTo, clientKey }: SendOptions = {},
  ): Promise<SendOutcome> {
    const { id: groupId, name: groupName, members } = group;
    const earlier = clientKey === undefined ? undefined : await this.sentBefore(from, clientKey);
    const quote = earlier || replyTo === undefined ? undefined : await this.quote(replyTo, (m, id) => m.kind === 'group' && id === groupId);
    const [online, blockers] = await Promise.all([this.presence.online(), this.blocks.blockersOf(from)]);
    const onlineSet = new Set(online);
    const recipients: Recipient[] = [];
    let blockedBy = 0;
    for (const user of members) {
      if (user === from) continue;
      if (blockers.has(user)) blockedBy++;
      else recipients.push({ username: user, offline: !onlineSet.has(user) });
    }
    if (earlier) {
      turn?.done();
      return repeatOutcome(earlier, recipients, blockedBy);
    }
    return this.send(
      { kind: 'group', from, group: groupName, text, ts: this.now(), ...(quote ? { replyTo: quote } : {}) },
      recipients,
      blockedBy,
      null,
      turn,
      attachments,
      undefined,
      false,
      clientKey,
    );
  }

  /**
   * Stores the message once, with (when it carries files) which files it
   * carries in the same transaction, and only then routes it. Who may read the
   * files follows from the message (FileStore.canRead), so a file sent to a
   * 1000-member group writes nothing per member.
   * `everyoneBut` set: a broadcast, routed to every session but the sender and those in the set;
   * its `recipients` are not listed, and `delivered` counts them.
   * `clientKey` set: stored only if the sender used the key for no message yet (checked
   * atomically with the insert, MessageStore.saveMessageOnce); else the earlier message is
   * answered and nothing is routed (a resend racing its first copy, which sentBefore missed).
   */
  private async send(
    message: NewMessage,
    recipients: Recipient[],
    blockedBy: number,
    everyoneBut: ReadonlySet<string> | null,
    turn: StoreTurn | undefined,
    attachmentIds?: readonly string[],
    delivered = recipients.length,
    /** The private recipient was taken from the local sessions, unchecked against the accounts. */
    recipientUnchecked = false,
    clientKey?: string,
  ): Promise<SendOutcome> {
    const files = attachmentIds?.length ? await this.files.checkAttachable(message.from, attachmentIds) : [];
    const carried: MessageFiles | undefined = files.length > 0 ? { ids: files.map((f) => f.id) } : undefined;
    // Pipelined sends of one connection issue their writes in command order (they then share a commit).
    await turn?.wait();
    let saving: Promise<ChatMessage | SavedOnce>;
    try {
      // Stamped when its turn comes (the object is this send's own).
      message.ts = this.now();
      saving = clientKey === undefined ? this.messages.saveMessage(message, carried) : this.messages.saveMessageOnce(message, clientKey, carried);
    } finally {
      turn?.done();
    }
    let stored: ChatMessage;
    try {
      const saved = await saving;
      if (clientKey === undefined) stored = saved as ChatMessage;
      else {
        const once = saved as SavedOnce;
        if (once.repeat) return repeatOutcome(once.message, recipients, blockedBy, delivered);
        stored = once.message;
      }
    } catch (err) {
      // A recipient deleted or renamed while still signed in here: UNKNOWN_USER, as a lookup would have said.
      if (recipientUnchecked && message.to !== undefined) {
        // Its name may even belong to someone else by now: still UNKNOWN_USER, never that other user.
        const registered = await this.registeredName(message.from, message.to);
        if (registered !== message.to) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${message.to}"`);
      }
      // An upload deleted since the check above (garbage collection) failed the whole save: say which.
      if (carried) await this.files.checkAttachable(message.from, carried.ids);
      throw err;
    }
    if (files.length > 0) stored = { ...stored, attachments: await this.files.describe(files) };
    this.metrics.messages.count(message.kind);
    const outbound = new OutboundMessage(stored);
    if (everyoneBut) this.routeToAll(outbound, everyoneBut);
    else this.route(outbound, recipients);
    const queued: string[] = [];
    for (const r of recipients) if (r.offline) queued.push(r.username);
    return { message: stored, outbound, queued, delivered, blockedBy };
  }

  /** Hands a stored message to the recipients' local sessions; the rest go over the bus (offline ones too: they may have signed in elsewhere since). */
  private route(outbound: OutboundMessage, recipients: readonly Recipient[]): void {
    let remote: string[] | undefined;
    let live = 0;
    const position = outbound.message.id;
    for (const r of recipients) {
      const session = this.registry.get(r.username);
      if (session) {
        session.deliver(position, outbound);
        if (!r.offline) live++;
      } else (remote ??= []).push(r.username);
    }
    this.observeLatency(outbound.message.ts, live);
    if (remote && !this.bus.singleNode) this.publish(outbound, remote, []);
  }

  private routeToAll(outbound: OutboundMessage, skip: ReadonlySet<string>): void {
    const { from, id } = outbound.message;
    let live = 0;
    for (const session of this.registry.all()) {
      if (session.username !== from && !skip.has(session.username)) {
        session.deliver(id, outbound);
        live++;
      }
    }
    this.observeLatency(outbound.message.ts, live);
    if (!this.bus.singleNode) this.publish(outbound, null, [...skip]);
  }

  private publish(outbound: OutboundMessage, users: string[] | null, skip: string[]): void {
    void this.bus.publish({ kind: 'deliver', message: outbound.message, users, skip }).catch(() => {});
  }

  /** A message stored by another node: hand it to those of its users signed in here. */
  deliverFromBus(event: { message: ChatMessage; users: string[] | null; skip: string[] }): void {
    const outbound = new OutboundMessage(event.message);
    const skip = new Set(event.skip);
    skip.add(event.message.from);
    let live = 0;
    if (event.users === null) {
      for (const session of this.registry.all()) {
        if (skip.has(session.username)) continue;
        session.deliver(event.message.id, outbound);
        live++;
      }
      this.observeLatency(event.message.ts, live);
      return;
    }
    for (const user of event.users) {
      const session = this.registry.get(user);
      if (session && !skip.has(user)) {
        session.deliver(event.message.id, outbound);
        live++;
      }
    }
    this.observeLatency(event.message.ts, live);
  }

  /**
   * Message timestamp to hand-off, once per live delivery (queued ones wait for
   * their user by design). A message's recipients are handed it in one turn, so
   * the clock is read once for all of them.
   */
  private observeLatency(sentAt: number, deliveries: number): void {
    if (deliveries === 0) return;
    const seconds = Math.max(0, this.now() - sentAt) / 1000;
    for (let i = 0; i < deliveries; i++) this.metrics.deliveryLatency.observe(seconds);
  }
}

/**
 * The answer to a repeated send: the earlier message (as read now) and the
 * recipients' counts as they stand now; nothing is stored, routed or counted.
 */
function repeatOutcome(message: ChatMessage, recipients: readonly Recipient[], blockedBy: number, delivered = recipients.length): SendOutcome {
  const queued: string[] = [];
  for (const r of recipients) if (r.offline) queued.push(r.username);
  return { message, outbound: new OutboundMessage(message), queued, delivered, blockedBy };
}

/** The two parties of a private message, in a fixed order (NUL cannot occur in a name). */
function pairOf(m: { from: string; to?: string }): string {
  const to = m.to ?? '';
  return m.from < to ? `${m.from}\0${to}` : `${to}\0${m.from}`;
}
