// Token bucket per connection: `rate` commands per second on average with
// bursts up to `burst`. The clock is injected so tests need no sleeping.

export type Clock = () => number;

const TOKEN_EPSILON = 1e-9;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: Clock = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token. Returns 0 when allowed, else the milliseconds until one is available. */
  take(): number {
    if (this.rate <= 0) return 0;
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    // Refills add fractions (0.1 + 0.1 + ... falls just short of 1 in floating
    // point), so "a whole token" allows for rounding error; without it the
    // effective rate drops below the configured one.
    if (this.tokens >= 1 - TOKEN_EPSILON) {
      this.tokens = Math.max(0, this.tokens - 1);
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.rate);
  }

  /** Milliseconds until a token is available, without taking one (0 = now). */
  peek(): number {
    if (this.rate <= 0) return 0;
    const tokens = Math.min(this.burst, this.tokens + ((this.now() - this.last) * this.rate) / 1000);
    return tokens >= 1 - TOKEN_EPSILON ? 0 : Math.ceil(((1 - tokens) * 1000) / this.rate);
  }

  /** Gives back a token taken earlier (never beyond the burst). */
  give(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /** True once the bucket has refilled completely: forgetting it changes nothing. */
  full(): boolean {
    return this.rate <= 0 || this.tokens + ((this.now() - this.last) * this.rate) / 1000 >= this.burst - TOKEN_EPSILON;
  }
}
