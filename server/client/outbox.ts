// Chat messages typed while offline (or whose reply was lost), waiting to go out in
// order on reconnect. Each carries an idempotency key (`clientKey`) that every resend
// repeats, so the server stores and delivers it once however often it goes out.
import { ErrorCode, ProtocolError, type Command, type ResultOf, type WireError } from '../protocol';
import { describe, Listeners } from './listeners';

/** The chat messages that may wait in the outbox: private, broadcast and group messages. */
export type ChatCommand = Extract<Command, { type: 'message' | 'broadcast' | 'message-group' }>;

/** The server's answer to a chat message: the stored message and how far it got. */
export type ChatReply = ResultOf<'message'> | ResultOf<'broadcast'> | ResultOf<'message-group'>;

/** A chat message typed while offline, waiting to go out on reconnect. */
export interface OutboxItem {
  /** Client-side id (unique per app run). */
  localId: string;
  /** The command as it goes out, every time: it always carries its `clientKey`. */
  command: ChatCommand;
  createdAt: number;
}

let localIdCounter = 0;

/** Hex digits of a key's time prefix: milliseconds since the epoch, zero-padded (48 bits: until the year 10889). */
const KEY_TIME_DIGITS = 12;

/**
 * A fresh idempotency key (fits ClientKey): 32 lowercase hex digits, the time
 * `now` in ms (12 digits, zero-padded) then 80 random bits (20 digits).
 * Keys made later sort after earlier ones (byte order and any collation: hex
 * digits only), so they go in at the end of the store's unique index
 * (SQLite: key then sender) instead of at random places; the random part keeps
 * keys of one user's devices apart within the same millisecond.
 * crypto.getRandomValues, unlike randomUUID, also exists on pages served over plain HTTP.
 */
export function newClientKey(now: number = Date.now()): string {
  let key = Math.max(0, Math.floor(now)).toString(16).padStart(KEY_TIME_DIGITS, '0');
  for (const b of crypto.getRandomValues(new Uint8Array(10))) key += b.toString(16).padStart(2, '0');
  return key;
}

/** `command` with an idempotency key: its own when it has one (a resend keeps it), else a new one. */
export function withClientKey(command: ChatCommand): ChatCommand {
  return command.clientKey === undefined ? { ...command, clientKey: newClientKey() } : command;
}

/**
 * MUST: items go out one at a time, oldest first, each only after the one before
 * it was answered.
 * MUST: an item leaves the outbox when the server accepted or refused it; one
 * that failed for lack of a connection stays, in place, for the next flush.
 */
export class Outbox {
  private list: OutboxItem[] = [];
  private flushing = false;
  private readonly changes = new Listeners<[OutboxItem[]]>();
  private readonly failures = new Listeners<[OutboxItem, WireError]>();
  private readonly sent = new Listeners<[OutboxItem, ChatReply]>();

  /** A copy of the queued items, oldest first. */
  get items(): OutboxItem[] {
    return [...this.list];
  }

  get length(): number {
    return this.list.length;
  }

  /** True while flush() is sending. */
  get busy(): boolean {
    return this.flushing;
  }

  /** The whole outbox (oldest first) after each change. Returns unsubscribe. */
  onChange(listener: (items: OutboxItem[]) => void): () => void {
    return this.changes.add(listener);
  }

  /** An item the server refused when flushed (e.g. BLOCKED); it was dropped. Returns unsubscribe. */
  onFailure(listener: (item: OutboxItem, error: WireError) => void): () => void {
    return this.failures.add(listener);
  }

  /**
   * An item the server accepted when flushed, with its reply: the stored message
   * (for a repeat, the one stored the first time, same id). It already left the
   * outbox (onChange fired first). Returns unsubscribe.
   */
  onSent(listener: (item: OutboxItem, reply: ChatReply) => void): () => void {
    return this.sent.add(listener);
  }

  /** Queues `command` (given a clientKey unless it has one) and returns its item. */
  add(command: ChatCommand, now: number): OutboxItem {
    const item: OutboxItem = { localId: `local-${++localIdCounter}`, command: withClientKey(command), createdAt: now };
    this.set([...this.list, item]);
    return item;
  }

  clear(): void {
    this.set([]);
  }

  /**
   * Sends queued items with `send`, oldest first, while `keepGoing()` holds.
   * Stops (keeping the rest) when an item fails with NOT_CONNECTED or TIMEOUT.
   * Resolves 'timed-out' when it stopped on a TIMEOUT (the caller decides when to
   * try again: nothing else will while the connection stays up), else 'stopped'.
   */
  async flush(send: (command: ChatCommand) => Promise<ChatReply>, keepGoing: () => boolean): Promise<'timed-out' | 'stopped'> {
    if (this.flushing) return 'stopped';
    this.flushing = true;
    try {
      while (keepGoing()) {
        const item = this.list[0];
        if (!item) break;
        let reply: ChatReply;
        try {
          reply = await send(item.command);
        } catch (err) {
          const error = err instanceof ProtocolError ? err : new ProtocolError(ErrorCode.INTERNAL, describe(err));
          if (error.code === ErrorCode.TIMEOUT) return 'timed-out';
          if (error.code === ErrorCode.NOT_CONNECTED) break;
          // The server refused it (e.g. BLOCKED, UNKNOWN_USER): retrying will not help.
          this.set(this.list.filter((i) => i !== item));
          this.failures.emit(item, error.toWire());
          continue;
        }
        if (!keepGoing()) break;
        this.set(this.list.filter((i) => i !== item));
        this.sent.emit(item, reply);
      }
      return 'stopped';
    } finally {
      this.flushing = false;
    }
  }

  private set(items: OutboxItem[]): void {
    const changed = items.length !== this.list.length || items.some((item, i) => item !== this.list[i]);
    this.list = items;
    if (changed) this.changes.emit([...items]);
  }
}
