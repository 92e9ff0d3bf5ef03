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
   * again, even when the checks of a new send (blocks, the recipient, the quoted
   * message, the files) would now refuse it (see orRepeat).
   */
  clientKey?: string;
}

/** A keyed send whose key its sender used for a stored message: that message, as read now. */
export class Repeat {
  constructor(readonly earlier: ChatMessage) {}
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
   * Runs a keyed send's `attempt`. Repeats are found without a read of their own
   * on the way of a send that goes through: the writer finds the key atomically
   * with the insert (MessageStore.saveMessageOnce, see send()). Only when a check
   * of a new send refuses it (a ProtocolError: the recipient blocked the sender
   * since, the quoted message or a file was deleted, ...) is the key looked up:
   * if `from` stored a message with it, the send is a repeat of that message
   * (answered with it, as if recognised before the checks), else the refusal
   * stands and the key stays free. Anything but a ProtocolError is thrown as is.
   * Without a key: `attempt`'s outcome, unchanged.
   */
  async orRepeat<T>(from: string, clientKey: string | undefined, attempt: () => Promise<T>): Promise<T | Repeat> {
    if (clientKey === undefined) return attempt();
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // A refused reply reads the key twice (its inner send's fallback, then its own): refusals are rare.
      const earlier = await this.messages.messageByClientKey(from, clientKey);
      if (!earlier) throw err;
      return new Repeat(earlier.message);
    }
  }

  /**
   * One keyed or unkeyed send: `attempt` checks and stores it (send()); a repeat,
   * found by the writer or on a refusal (orRepeat), gets `answer`'s outcome for
   * the earlier message: nothing stored, routed or counted.
   */
  private async once(
    from: string,
    { clientKey, turn }: SendOptions,
    attempt: () => Promise<SendOutcome | Repeat>,
    answer: (earlier: ChatMessage) => Promise<SendOutcome>,
  ): Promise<SendOutcome> {
    const sent = await this.orRepeat(from, clientKey, attempt);
    if (!(sent instanceof Repeat)) return sent;
    // It writes nothing: the connection's next pipelined send need not wait for it.
    turn?.done();
    return answer(sent.earlier);
  }

  /**
   * `typed` is matched by canonical form; the message names the recipient's registered spelling.
   * A repeat's counts are those of the earlier message's recipient (none for a group or broadcast one).
   */
  sendPrivate(from: string, typed: string, text: string, options: SendOptions = {}): Promise<SendOutcome> {
    // Without a key (most sends) nothing can be a repeat: send() returns no Repeat then, and the
    // layers of once() and orRepeat(), with the two closures they take, would only add promises
    // (and a context) to every message in flight.
    if (options.clientKey === undefined) return this.checkPrivate(from, typed, text, options) as Promise<SendOutcome>;
    return this.once(
      from,
      options,
      () => this.checkPrivate(from, typed, text, options),
      async (earlier) => {
        const peer = earlier.to;
        const offline = peer !== undefined && !(await this.presence.isOnline(peer));
        return repeatOutcome(earlier, peer === undefined ? [] : [{ username: peer, offline }], 0);
      },
    );
  }

  private async checkPrivate(from: string, typed: string, text: string, { attachments, turn, replyTo, clientKey }: SendOptions): Promise<SendOutcome | Repeat> {
    // A name typed exactly as a user signed in here spells is that user: no account read per message.
    // (The store still checks that the recipient exists when it saves; see send.)
    const local = typed === from ? undefined : this.registry.get(typed);
    const to = local ? local.username : await this.registeredName(from, typed);
    // The cache's no is taken without a turn's wait (nearly every message); anything else is hasBlocked's to decide.
    const known = this.blocks.knownBlockersOf(from);
    if ((known === undefined || known.has(to)) && (await this.blocks.hasBlocked(to, from))) {
      throw new ProtocolError(ErrorCode.BLOCKED, 'Your message could not be delivered as the recipient has blocked you');
    }
    const quote = replyTo === undefined ? undefined : await this.privateQuote(replyTo, from, to);
    const online = local !== undefined || (await this.presence.isOnline(to));
    const message: NewMessage = { kind: 'private', from, to, text, ts: this.now() };
    if (quote) message.replyTo = quote;
    // Awaited rather than returned: an async function that returns a promise settles through
    // an extra job, a then() and two resolving functions per message (V8); an await takes none of them.
    return await this.send(message, [{ username: to, offline: !online }], 0, null, turn, attachments, undefined, local !== undefined, clientKey);
  }

  /**
   * The quote of message `id` for a private reply of `from` to `to`. A method of its own, so the
   * closure it makes (over `from` and `to`) is made only for replies: in checkPrivate it would
   * give every private message a heap context.
   */
  private privateQuote(id: number, from: string, to: string): Promise<ReplyQuote> {
    return this.quote(id, (m) => m.kind === 'private' && pairOf(m) === pairOf({ from, to }));
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
  sendBroadcast(from: string, text: string, options: SendOptions = {}): Promise<SendOutcome> {
    const { attachments, turn, replyTo, clientKey } = options;
    return this.once(
      from,
      options,
      async () => {
        const quote = replyTo === undefined ? undefined : await this.quote(replyTo, (m) => m.kind === 'broadcast');
        const { blockers, delivered, blockedBy } = await this.broadcastAudience(from);
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
      },
      async (earlier) => {
        const { delivered, blockedBy } = await this.broadcastAudience(from);
        return repeatOutcome(earlier, [], blockedBy, delivered);
      },
    );
  }

  /** Who a broadcast of `from` reaches now: those online but the sender, less those who blocked the sender. */
  private async broadcastAudience(from: string): Promise<{ blockers: ReadonlySet<string>; delivered: number; blockedBy: number }> {
    const [online, blockers] = await Promise.all([this.presence.online(), this.blocks.blockersOf(from)]);
    let delivered = 0;
    let blockedBy = 0;
    for (const user of online) {
      if (user === from) continue;
      if (blockers.has(user)) blockedBy++;
      else delivered++;
    }
    return { blockers, delivered, blockedBy };
  }

  /**
   * To every member but the sender; offline members get it in their mailbox.
   * The caller checked that `from` is a member (a repeat too: commands/messaging.ts).
   */
  sendGroup(from: string, group: { id: number; name: string; members: readonly string[] }, text: string, options: SendOptions = {}): Promise<SendOutcome> {
    const { attachments, turn, replyTo, clientKey } = options;
    const { id: groupId, name: groupName } = group;
    return this.once(
      from,
      options,
      async () => {
        const quote = replyTo === undefined ? undefined : await this.quote(replyTo, (m, id) => m.kind === 'group' && id === groupId);
        const { recipients, blockedBy } = await this.groupAudience(from, group.members);
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
      },
      async (earlier) => {
        const { recipients, blockedBy } = await this.groupAudience(from, group.members);
        return repeatOutcome(earlier, recipients, blockedBy);
      },
    );
  }

  /** Who a group message of `from` goes to now: every member but the sender and those who blocked the sender. */
  private async groupAudience(from: string, members: readonly string[]): Promise<{ recipients: Recipient[]; blockedBy: number }> {
    const [online, blockers] = await Promise.all([this.presence.online(), this.blocks.blockersOf(from)]);
    const onlineSet = new Set(online);
    const recipients: Recipient[] = [];
    let blockedBy = 0;
    for (const user of members) {
      if (user === from) continue;
      if (blockers.has(user)) blockedBy++;
      else recipients.push({ username: user, offline: !onlineSet.has(user) });
    }
    return { recipients, blockedBy };
  }

  /**
   * Stores the message once, with (when it carries files) which files it
   * carries in the same transaction, and only then routes it. Who may read the
   * files follows from the message (FileStore.canRead), so a file sent to a
   * 1000-member group writes nothing per member.
   * `everyoneBut` set: a broadcast, routed to every session but the sender and those in the set;
   * its `recipients` are not listed, and `delivered` counts them.
   * `clientKey` set: stored only if the sender used the key for no message yet (checked
   * atomically with the insert, MessageStore.saveMessageOnce); else nothing is stored or
   * routed and the earlier message comes back as a Repeat (once() answers it).
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
  ): Promise<SendOutcome | Repeat> {
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
        if (once.repeat) return new Repeat(once.message);
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
