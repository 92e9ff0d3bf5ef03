// Delivery bookkeeping of a session: which sequence number was processed last
// (so replays are dropped), and debounced acknowledgements of it.
import type { SessionTimers } from './socket';

/**
 * MUST: accept() admits each seq at most once, in increasing order.
 * MUST: an ack is sent only for a seq whose delivery was processed (listeners ran).
 * SHOULD: acks coalesce: one per `delayMs`, naming the highest processed seq.
 */
export class AckTracker {
  private last = 0;
  private acked = 0;
  private timer: unknown = null;

  /**
   * @param send sends `ack seq`; returns false when there is no connection to send it on
   *   (the seq then stays unacknowledged). A lost ack is harmless: clients resume from
   *   their own lastSeq, not the server's.
   */
  constructor(
    private readonly timers: SessionTimers,
    private readonly delayMs: number,
    private readonly send: (seq: number) => boolean,
  ) {}

  /** Highest delivery seq processed; 0 before any. */
  get lastSeq(): number {
    return this.last;
  }

  /** A delivery arrived. False when it is a replay of one already processed (drop it). */
  accept(seq: number): boolean {
    if (seq <= this.last) return false;
    this.last = seq;
    return true;
  }

  /** The accepted delivery was processed: acknowledge it soon. */
  processed(): void {
    if (this.timer !== null) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.delayMs);
  }

  /** Signed in again: the server resumes after `resumeFrom`, so everything up to it counts as processed. */
  resumedAt(resumeFrom: number): void {
    this.last = Math.max(this.last, resumeFrom);
    this.acked = Math.max(this.acked, Math.min(resumeFrom, this.last));
    if (this.last > this.acked) this.processed();
  }

  /** Sends the pending acknowledgement now, if any. */
  flush(): void {
    this.cancel();
    if (this.last <= this.acked || !this.send(this.last)) return;
    this.acked = this.last;
  }

  /** Stops the pending timer (the acknowledgement stays due). */
  cancel(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Another account or server: start from zero. */
  reset(): void {
    this.cancel();
    this.last = 0;
    this.acked = 0;
  }
}
