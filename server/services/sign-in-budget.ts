// Sign-in budgets, checked before any store or hash work for a sign-in or a
// registration: one per client address and one for the whole node. An attempt
// takes a token from both and a successful one gives them back, so the budgets
// count failed attempts (and attempts in flight); a legitimate user who signs
// in often never runs out, a client guessing names does, and then costs only
// this check. The lockout per account (accounts.ts) is a separate, later check.
import { ErrorCode, ProtocolError } from '../protocol';
import { hashQueueBusy, type HashRequester } from './passwords';
import { TokenBucket, type Clock } from './rate-limit';

/** Buckets kept before full ones (which hold no information) are dropped. */
const PRUNE_AT = 10_000;

export interface SignInBudgetLimits {
  /** Attempts per minute (and burst) per address; 0 = no limit. */
  perAddress: number;
  /** Attempts per minute (and burst) for all addresses together; 0 = no limit. */
  total: number;
  /** Hashes that may wait for a slot before a sign-in is refused with SERVER_BUSY; 0 = no bound. */
  maxHashQueue: number;
}

/** What a granted attempt must be settled with: `succeeded()` gives the tokens back. */
export interface SignInTicket {
  succeeded(): void;
}

export class SignInBudget {
  private readonly byAddress = new Map<string, TokenBucket>();
  private readonly total: TokenBucket | null;

  constructor(
    private readonly limits: SignInBudgetLimits,
    private readonly now: Clock = Date.now,
  ) {
    this.total = limits.total > 0 ? new TokenBucket(limits.total / 60, limits.total, now) : null;
  }

  /**
   * Runs one sign-in or registration attempt from `address` (`work` does the
   * store and hash work). Refused before `work` starts when the hash queue is
   * full (SERVER_BUSY) or a budget is spent (see take()); `work` gets the
   * requester to pass to the hashes it causes, so they wait in the queue
   * fairly by address. Success gives the tokens back.
   */
  async attempt<T>(address: string, work: (who: HashRequester) => Promise<T>): Promise<T> {
    const busy = hashQueueBusy(this.limits.maxHashQueue);
    if (busy) throw busy;
    const ticket = this.take(address);
    try {
      const result = await work({ key: address, maxWaiting: this.limits.maxHashQueue });
      ticket.succeeded();
      return result;
    } catch (err) {
      // Refused for the node's sake, not the client's: it costs the client nothing.
      if (err instanceof ProtocolError && err.code === ErrorCode.SERVER_BUSY) ticket.succeeded();
      throw err;
    }
  }

  /**
   * Takes one attempt for `address`. Throws RATE_LIMITED (this address is over
   * its budget) or SERVER_BUSY (the node is), both with retryAfter.
   */
  take(address: string): SignInTicket {
    const own = this.bucketOf(address);
    const ownWait = own?.take() ?? 0;
    if (ownWait > 0) {
      const seconds = Math.max(1, Math.ceil(ownWait / 1000));
      throw new ProtocolError(ErrorCode.RATE_LIMITED, `Too many failed sign-ins from your address. Try again in ${seconds} s.`, seconds);
    }
    const totalWait = this.total?.take() ?? 0;
    if (totalWait > 0) {
      own?.give();
      const seconds = Math.max(1, Math.ceil(totalWait / 1000));
      throw new ProtocolError(ErrorCode.SERVER_BUSY, `Too many failed sign-ins on this server right now. Try again in ${seconds} s.`, seconds);
    }
    let settled = false;
    return {
      succeeded: () => {
        if (settled) return;
        settled = true;
        own?.give();
        this.total?.give();
      },
    };
  }

  private bucketOf(address: string): TokenBucket | null {
    if (this.limits.perAddress <= 0) return null;
    let bucket = this.byAddress.get(address);
    if (!bucket) {
      if (this.byAddress.size >= PRUNE_AT) this.prune();
      this.byAddress.set(address, (bucket = new TokenBucket(this.limits.perAddress / 60, this.limits.perAddress, this.now)));
    }
    return bucket;
  }

  private prune(): void {
    for (const [address, bucket] of this.byAddress) if (bucket.full()) this.byAddress.delete(address);
  }
}
