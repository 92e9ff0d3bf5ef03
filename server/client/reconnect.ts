// When to try again after losing the connection: exponential backoff with
// jitter, and the one timer that waits for the next attempt.
import type { SessionTimers } from './socket';

export interface BackoffOptions {
  /** First retry delay, in ms. Default 500. */
  initialMs?: number;
  /** Largest retry delay, in ms. Default 30000. */
  maxMs?: number;
  /** Random spread as a fraction of the delay (0 = none, 0.2 = ±20 %). Default 0.2. */
  jitter?: number;
}

export class Reconnect {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private timer: unknown = null;
  /** Attempts since the last success; the next one is attempt + 1. */
  attempt = 0;

  constructor(
    options: BackoffOptions,
    private readonly timers: SessionTimers,
    private readonly random: () => number,
  ) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  }

  /** Counts an attempt and returns its delay: initialMs * 2^(attempt-1), capped at maxMs, spread by ±jitter. */
  nextDelay(): number {
    this.attempt += 1;
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt - 1, 30));
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.min(this.maxMs, Math.round(base + spread)));
  }

  /** Runs `attempt` after `delayMs`, replacing any attempt already waiting. */
  schedule(delayMs: number, attempt: () => void): void {
    this.cancel();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      attempt();
    }, delayMs);
  }

  cancel(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Connected (or gave up): the next loss starts from the first delay again. */
  reset(): void {
    this.cancel();
    this.attempt = 0;
  }
}
