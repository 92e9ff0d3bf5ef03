// One signed-in user on one connection, and the ordering of what it receives.
//
// Guarantees for a session's deliveries:
// - MUST arrive in sequence order with no gaps: a delivery whose predecessor
//   has not been sent yet waits, and a short timer fetches missing ones from
//   the store (deliveries saved on another node, or by concurrent writes).
// - MUST NOT repeat: anything at or below the last sent seq is dropped.
// - Catch-up after sign-in replays from the store, then live deliveries continue.
import { OutboundMessage, type Connection, type SessionHandle } from '../connection';
import type { Logger } from '../log';
import type { MessageStore, StoredDelivery } from '../store/store';

const CATCH_UP_PAGE = 500;
const GAP_WAIT_MS = 150;

export interface SessionOptions {
  username: string;
  connection: Connection;
  store: MessageStore;
  log: Logger;
  /** Deliveries after this seq are sent by catchUp(). */
  resumeFrom: number;
  /** Wants presence events (the default; a client may opt out at sign-in). */
  wantsPresence: boolean;
  /** When the session began (ms): a password changed at or after it ends the session. */
  startedAt: number;
}

export class Session implements SessionHandle {
  readonly username: string;
  readonly connection: Connection;
  readonly wantsPresence: boolean;
  readonly startedAt: number;
  private readonly store: MessageStore;
  private readonly log: Logger;
  /** Highest seq written to the connection. */
  private lastSent: number;
  /** Highest seq acknowledged to the store (a connection that acknowledges on write does so as bytes leave). */
  private ackedSeq: number;
  private ackTimer: NodeJS.Timeout | undefined;
  private catchingUp = false;
  private catchUpAgain = false;
  private gapTimer: NodeJS.Timeout | undefined;
  /** Live deliveries that arrived ahead of their predecessors, by seq. */
  private readonly waiting = new Map<number, { offline: boolean; message: OutboundMessage }>();
  private ended = false;

  constructor(options: SessionOptions) {
    this.username = options.username;
    this.connection = options.connection;
    this.store = options.store;
    this.log = options.log;
    this.lastSent = options.resumeFrom;
    this.ackedSeq = options.resumeFrom;
    this.wantsPresence = options.wantsPresence;
    this.startedAt = options.startedAt;
  }

  /** Replays everything after resumeFrom from the store, then releases waiting live deliveries. */
  catchUp(): void {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return;
    }
    this.catchingUp = true;
    void this.runCatchUp().finally(() => {
      this.catchingUp = false;
      if (this.catchUpAgain && !this.ended) {
        this.catchUpAgain = false;
        this.catchUp();
      }
    });
  }

  private async runCatchUp(): Promise<void> {
    try {
      for (;;) {
        if (this.ended) return;
        const page = await this.store.deliveriesAfter(this.username, this.lastSent, CATCH_UP_PAGE);
        for (const d of page) this.sendStored(d);
        if (page.length < CATCH_UP_PAGE) break;
      }
      this.drainWaiting();
    } catch (err) {
      if (!this.ended) this.log.error({ err, user: this.username }, 'catch-up failed');
    }
  }

  private sendStored(d: StoredDelivery): void {
    if (d.seq <= this.lastSent) return;
    this.waiting.delete(d.seq);
    this.write(d.seq, d.offline, new OutboundMessage(d.message));
  }

  /** A live delivery for this user. Sent now if in order, else held until the gap fills. */
  deliver(seq: number, offline: boolean, message: OutboundMessage): void {
    if (this.ended || seq <= this.lastSent) return;
    if (!this.catchingUp && seq === this.lastSent + 1) {
      this.write(seq, offline, message);
      this.drainWaiting();
      return;
    }
    this.waiting.set(seq, { offline, message });
    if (!this.catchingUp) this.scheduleGapFill();
  }

  private drainWaiting(): void {
    for (;;) {
      const next = this.waiting.get(this.lastSent + 1);
      if (!next) break;
      this.waiting.delete(this.lastSent + 1);
      this.write(this.lastSent + 1, next.offline, next.message);
    }
    // Anything still waiting is behind a gap (or stale): fetch the gap from the store.
    for (const seq of this.waiting.keys()) if (seq <= this.lastSent) this.waiting.delete(seq);
    if (this.waiting.size > 0) this.scheduleGapFill();
  }

  private scheduleGapFill(): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.waiting.size > 0) this.catchUp();
    }, GAP_WAIT_MS);
    this.gapTimer.unref();
  }

  private write(seq: number, offline: boolean, message: OutboundMessage): void {
    this.lastSent = seq;
    if (this.connection.acknowledgesOnWrite) this.connection.deliver(seq, offline, message, () => this.acknowledge(seq));
    else this.connection.deliver(seq, offline, message);
  }

  /** Records an acknowledgement (written to the store at most every 200 ms); returns the highest acknowledged seq. */
  acknowledge(seq: number): number {
    if (seq <= this.ackedSeq) return this.ackedSeq;
    this.ackedSeq = Math.min(seq, this.lastSent);
    if (!this.ackTimer) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = undefined;
        void this.flushAck();
      }, 200);
      this.ackTimer.unref();
    }
    return this.ackedSeq;
  }

  private flushedAck = 0;

  async flushAck(): Promise<void> {
    const seq = this.ackedSeq;
    if (seq <= this.flushedAck) return;
    this.flushedAck = seq;
    try {
      await this.store.ack(this.username, seq);
    } catch (err) {
      this.log.warn({ err, user: this.username }, 'could not store acknowledgement');
    }
  }

  /** Stops deliveries and writes the last acknowledgement. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.gapTimer);
    clearTimeout(this.ackTimer);
    this.waiting.clear();
    await this.flushAck();
  }

  get isEnded(): boolean {
    return this.ended;
  }
}
