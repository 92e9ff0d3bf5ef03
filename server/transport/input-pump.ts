// Inbound flow control shared by both transports: framed input (lines, frames)
// waits here and is handled a few units per event-loop turn, so one connection
// pipelining thousands of commands cannot hold the loop while others wait.
// Reading from the socket stops while this connection presses too hard:
// - its queue here is long (MAX_QUEUED_UNITS),
// - its output not yet taken by the peer is over outputPauseBytes (a client
//   that sends without reading the answers),
// - its rate limit is spent (until the limit lets input through again),
// - it has MAX_IN_FLIGHT commands queued or running in the dispatcher, or the
//   connection needs the answers to earlier ones first (a TCP sign-in).
// Reading resumes once none holds. Input already read is still handled in
// order; the dispatcher refuses what is over the rate limit (answering only a
// bounded number of refusals and closing a connection that keeps flooding).
import type { ConnectionInput } from '../connection';

/** Units handled per connection per event-loop turn. */
export const UNITS_PER_TURN = 16;
/** Units waiting here before the socket stops being read. */
const MAX_QUEUED_UNITS = 64;
/** Commands queued or running in the dispatcher before units wait here. */
const MAX_IN_FLIGHT = 32;

export interface PumpHooks<U> {
  /** Handles one unit (decode, answer or submit). */
  handle(unit: U): void;
  /** Stops / restarts reading from the socket. */
  pauseReading(): void;
  resumeReading(): void;
  /** Bytes of output not yet taken by the peer. */
  outputQueued(): number;
  /** Calls `fn` once the output queue has drained (the socket's 'drain'). */
  onceDrained(fn: () => void): void;
  /** False once the connection closed: queued input is dropped. */
  isOpen(): boolean;
  /**
   * True while the next unit must wait until the commands submitted so far are
   * answered (TCP: while a sign-in is checked, its outcome decides whether the
   * next line is a password, a username or a command).
   */
  awaitsAnswers(): boolean;
  /**
   * The pump holds nothing (no input, no pause, no timer or listener pending):
   * the owner may drop it and make a new one for the next input, so an idle
   * connection keeps no pump.
   */
  pumpIdle(): void;
}

/**
 * Pumps with a run scheduled, run in scheduling order by one setImmediate: no
 * Immediate and no closure per pump (a pump is made per burst of input, so on a
 * chatty connection per message). Pumps scheduled while these run go in the next batch.
 */
let due: InputPump<unknown>[] = [];

function runDue(): void {
  const run = due;
  due = [];
  for (let i = 0; i < run.length; i++) {
    try {
      run[i]!.runScheduled();
    } catch (error) {
      // One connection's failure must not strand the others: their runs go to the next batch.
      if (due.length === 0 && i + 1 < run.length) setImmediate(runDue);
      due.unshift(...run.slice(i + 1));
      throw error;
    }
  }
}

export class InputPump<U> {
  private queue: U[] = [];
  private head = 0;
  private scheduled = false;
  private readingPaused = false;
  private waitingForDrain = false;
  private waitingForCommands = false;
  private throttleTimer: NodeJS.Timeout | null = null;

  constructor(
    /** Usually the connection itself (shared methods, no closures per connection). */
    private readonly hooks: PumpHooks<U>,
    private readonly input: ConnectionInput,
    /** Output bytes above which input waits. */
    private readonly outputPauseBytes: number,
  ) {}

  /** Queues a framed unit; it is handled in order, possibly in a later turn. */
  push(unit: U): void {
    this.queue.push(unit);
    if (this.length >= MAX_QUEUED_UNITS && !this.readingPaused) {
      this.readingPaused = true;
      this.hooks.pauseReading();
    }
    this.schedule();
  }

  private get length(): number {
    return this.queue.length - this.head;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (due.length === 0) setImmediate(runDue);
    due.push(this);
  }

  /** The scheduled run (called by runDue only). */
  runScheduled(): void {
    this.scheduled = false;
    this.run();
  }

  private run(): void {
    if (!this.hooks.isOpen()) {
      this.queue = [];
      this.head = 0;
      return;
    }
    for (let handled = 0; this.length > 0; handled++) {
      if (handled === UNITS_PER_TURN) {
        this.schedule();
        break;
      }
      if (this.mustWait()) break;
      const unit = this.queue[this.head]!;
      this.head++;
      this.hooks.handle(unit);
      if (!this.hooks.isOpen()) return;
    }
    if (this.length === 0) {
      // Emptied: the same array is reused (no new one per run).
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.updateReading();
    this.reportIfIdle();
  }

  private reportIfIdle(): void {
    if (this.length > 0 || this.scheduled || this.readingPaused || this.waitingForDrain || this.waitingForCommands || this.throttleTimer) return;
    this.hooks.pumpIdle();
  }

  /** True when the next unit must wait (output backed up, or too many commands in flight); arranges to run again. */
  private mustWait(): boolean {
    if (this.hooks.outputQueued() > this.outputPauseBytes) {
      if (!this.waitingForDrain) {
        this.waitingForDrain = true;
        this.hooks.onceDrained(() => {
          this.waitingForDrain = false;
          this.schedule();
        });
      }
      return true;
    }
    if (this.input.pressure().inFlight >= MAX_IN_FLIGHT || this.hooks.awaitsAnswers()) {
      if (!this.waitingForCommands) {
        this.waitingForCommands = true;
        void this.input.drained().finally(() => {
          this.waitingForCommands = false;
          this.schedule();
        });
      }
      return true;
    }
    return false;
  }

  private updateReading(): void {
    const { backoffMs } = this.input.pressure();
    if (backoffMs > 0 && !this.throttleTimer) {
      this.throttleTimer = setTimeout(() => {
        this.throttleTimer = null;
        this.updateReading();
        this.reportIfIdle();
      }, backoffMs);
      this.throttleTimer.unref();
    }
    const hold = this.length >= MAX_QUEUED_UNITS || this.waitingForDrain || this.waitingForCommands || backoffMs > 0;
    if (hold && !this.readingPaused) {
      this.readingPaused = true;
      this.hooks.pauseReading();
    } else if (!hold && this.readingPaused && this.hooks.isOpen()) {
      this.readingPaused = false;
      this.hooks.resumeReading();
    }
  }
}
