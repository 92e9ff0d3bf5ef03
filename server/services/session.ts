// One signed-in user on one connection, and the order of what it receives.
//
// Every message has a position in one stream (its id); a delivery's seq is that
// position, and the user's resume point is the last position they acknowledged.
// Guarantees for a session's deliveries:
// - MUST arrive in ascending position order, each at most once: anything at or
//   below the last sent position is dropped.
// - MUST NOT skip a message of the user's conversations: the catch-up reads the
//   stream after the last sent position (the store shows positions in order,
//   without holes). On a single node live deliveries arrive in stream order and
//   are sent at once; in a cluster they may not, so a live delivery only
//   triggers a catch-up read, and the store decides what comes next.
// - Catch-up pages wait for the connection to drain (backpressure) and never
//   count against the slow-consumer limit.
import { OutboundMessage, type Connection, type SessionHandle, type WrittenAcks } from '../connection';
import type { Logger } from '../log';
import type { AwayWindow, MessageStore } from '../store/store';

const CATCH_UP_PAGE = 500;

function ignore(): void {}

export interface SessionOptions {
  username: string;
  connection: Connection;
  store: MessageStore;
  log: Logger;
  /** Deliveries after this position are sent by catchUp(). */
  resumeFrom: number;
  /** The user's acknowledged position when the session started. */
  acked: number;
  /** Away window at sign-in: decides which broadcasts are theirs and which messages are marked offline. */
  away: AwayWindow;
  /** The away window of the previous sign-in: its broadcasts are not theirs either. */
  previousAway: AwayWindow;
  /** Live deliveries arrive in stream order (a single node). */
  liveInOrder: boolean;
  /** Wants presence events (the default; a client may opt out at sign-in). */
  wantsPresence: boolean;
  /** When the session began (ms): a password changed at or after it ends the session. */
  startedAt: number;
}

export class Session implements SessionHandle, WrittenAcks {
  readonly username: string;
  readonly connection: Connection;
  readonly wantsPresence: boolean;
  readonly startedAt: number;
  private readonly store: MessageStore;
  private readonly log: Logger;
  /** The away window at sign-in, as two numbers: an object of its own would stay alive with every idle session. */
  private readonly awayFrom: number;
  private readonly awayTo: number;
  private readonly previousAwayFrom: number;
  private readonly previousAwayTo: number;
  private readonly liveInOrder: boolean;
  /**
   * Highest position the session has sent through: the last delivery written,
   * or, once the sign-in catch-up is done, at least the head at sign-in (every
   * position up to it that is the user's was sent).
   */
  private lastSent: number;
  /** Highest position of a delivery written to the connection (0: none yet). */
  private lastWritten = 0;
  /** Highest position acknowledged (in memory; `stored` is what the store holds). */
  private ackedSeq: number;
  private storedAck: number;
  /** The ack write in flight, if any: at most one at a time, the next one carries the newest position. */
  private ackWrite: Promise<void> | null = null;
  private catchingUp = false;
  private catchUpAgain = false;
  /** The sign-in catch-up has completed. */
  private caughtUp = false;
  /** catchUp() was called: the sign-in reply is out. */
  private started = false;
  /** Live deliveries that arrived during a catch-up, by position (single node only). */
  private waiting: Map<number, OutboundMessage> | null = null;
  private ended = false;

  constructor(options: SessionOptions) {
    this.username = options.username;
    this.connection = options.connection;
    this.store = options.store;
    this.log = options.log;
    this.lastSent = options.resumeFrom;
    this.ackedSeq = Math.max(options.acked, 0);
    this.storedAck = this.ackedSeq;
    this.awayFrom = options.away.from;
    this.awayTo = options.away.to;
    this.previousAwayFrom = options.previousAway.from;
    this.previousAwayTo = options.previousAway.to;
    this.liveInOrder = options.liveInOrder;
    this.wantsPresence = options.wantsPresence;
    this.startedAt = options.startedAt;
  }

  /** Sends everything of the user's conversations after the last sent position, then releases waiting live deliveries. */
  catchUp(): void {
    this.started = true;
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

  /**
   * Live deliveries may have been missed (the bus between nodes was
   * interrupted): reads them from the store. Only once the sign-in reply is
   * out; before that the first catch-up still comes and reads them anyway.
   */
  resync(): void {
    if (this.started && !this.ended) this.catchUp();
  }

  private async runCatchUp(): Promise<void> {
    // The first catch-up (the mailbox after sign-in) is the server's own doing: paced
    // by drain and exempt from the slow-consumer limit. Later ones (gap fills, and
    // every live delivery in a cluster) are ordinary output a client must keep up with.
    const paced = !this.caughtUp;
    try {
      for (;;) {
        if (this.ended) return;
        const page = await this.store.mailbox({
          username: this.username,
          after: this.lastSent,
          limit: CATCH_UP_PAGE,
          away: { from: this.awayFrom, to: this.awayTo },
        });
        for (const d of page) {
          if (this.ended) return;
          if (d.seq <= this.lastSent) continue;
          this.waiting?.delete(d.seq);
          if (d.message.kind === 'broadcast' && d.seq > this.previousAwayFrom && d.seq <= this.previousAwayTo) {
            // Sent while the user had no session, before the last one: the last
            // session did not acknowledge past it, so the store's reading (this
            // absence only) still shows it. Passed over, not sent.
            this.lastSent = d.seq;
            continue;
          }
          this.write(d.seq, d.offline, new OutboundMessage(d.message), paced);
          // Backpressure: no more than the transport's high-water mark is queued at a time.
          if (paced) await this.connection.drained();
        }
        if (page.length < CATCH_UP_PAGE) break;
      }
      // The stream up to the head at sign-in holds nothing more of this user's:
      // broadcasts of the away window are not theirs, and must not come back at
      // the next sign-in once this session's deliveries are acknowledged.
      if (this.awayTo > this.lastSent) this.lastSent = this.awayTo;
      this.caughtUp = true;
      this.drainWaiting();
    } catch (err) {
      if (!this.ended) this.log.error({ err, user: this.username }, 'catch-up failed');
    }
  }

  /** A live delivery of the message at `position`. */
  deliver(position: number, message: OutboundMessage): void {
    if (this.ended || position <= this.lastSent) return;
    if (!this.started) {
      // Before the sign-in reply is out: nothing may precede it, and the first
      // catch-up (which reads the stream after this commit) will send it in order.
      if (this.liveInOrder) (this.waiting ??= new Map()).set(position, message);
      return;
    }
    if (!this.liveInOrder) {
      // Another node may still be publishing a smaller position: let the store say what is next.
      this.catchUp();
      return;
    }
    if (this.catchingUp) {
      (this.waiting ??= new Map()).set(position, message);
      return;
    }
    this.write(position, false, message);
  }

  private drainWaiting(): void {
    const { waiting } = this;
    if (!waiting || waiting.size === 0) return;
    const positions = [...waiting.keys()].sort((a, b) => a - b);
    for (const position of positions) {
      const message = waiting.get(position)!;
      waiting.delete(position);
      if (position > this.lastSent) this.write(position, false, message);
    }
    if (this.waiting === waiting && waiting.size === 0) this.waiting = null;
  }

  private write(seq: number, offline: boolean, message: OutboundMessage, catchUp = false): void {
    this.lastSent = seq;
    this.lastWritten = seq;
    // Connections that acknowledge on write report written positions to the session itself (writtenUpTo).
    this.connection.deliver(seq, offline, message, this.connection.acknowledgesOnWrite ? this : undefined, catchUp);
  }

  /**
   * Records that everything up to `seq` was processed (never beyond what was
   * sent) and writes it to the store; resolves with the acknowledged position
   * once it is durable. Writes are coalesced: one in flight per session, the
   * next carries the newest position (and rides the store's group commit).
   */
  async acknowledge(seq: number): Promise<number> {
    this.raiseAck(seq);
    const target = this.ackedSeq;
    while (this.storedAck < target) {
      await (this.ackWrite ?? this.startAckWrite());
    }
    return this.ackedSeq;
  }

  /**
   * A connection that acknowledges on write reports a written position: the
   * same as acknowledge() without a caller waiting, so no promise per call
   * while a write is in flight (one per connection per turn in a fan-out).
   */
  writtenUpTo(seq: number): void {
    this.raiseAck(seq);
    if (this.ackWrite === null && this.storedAck < this.ackedSeq) void this.startAckWrite();
  }

  private raiseAck(seq: number): void {
    if (seq > this.ackedSeq) this.ackedSeq = Math.min(seq, this.lastSent);
  }

  /**
   * Starts writing the newest acknowledged position (none may be in flight).
   * Once it is stored, a newer position acknowledged meanwhile is written next,
   * so the last one always reaches the store; a failed write is not retried
   * here (the next acknowledgement, or the sign-out, carries the position).
   */
  private startAckWrite(): Promise<void> {
    const position = this.ackedSeq;
    // The store's promise and one then(): no async function of its own per write.
    const write: Promise<void> = this.store.ack(this.username, position).then(
      () => {
        this.storedAck = Math.max(this.storedAck, position);
        if (this.ackWrite === write) this.ackWrite = null;
        if (!this.ended && this.storedAck < this.ackedSeq) void this.startAckWrite();
      },
      (err: unknown) => {
        if (this.ackWrite === write) this.ackWrite = null;
        this.log.warn({ err, user: this.username }, 'could not store acknowledgement');
        throw err;
      },
    );
    // Its failure is logged above and reaches acknowledge()'s callers; written positions have none.
    write.catch(ignore);
    this.ackWrite = write;
    return write;
  }

  /** Stops deliveries and records the sign-out with the last acknowledgement. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.waiting = null;
    await this.ackWrite?.catch(() => {});
    // Every delivery written was acknowledged: so is every position sent through
    // (positions between them, and after the last, are not the user's).
    if (this.ackedSeq >= this.lastWritten && this.lastSent > this.ackedSeq) this.ackedSeq = this.lastSent;
    try {
      await this.store.signOut(this.username, this.ackedSeq);
    } catch (err) {
      this.log.warn({ err, user: this.username }, 'could not record sign-out');
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }
}
