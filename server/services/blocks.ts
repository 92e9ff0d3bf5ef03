// Blocks: who refuses messages from whom. Fan-out asks "who blocked the sender?"
// for every message, so that answer is cached per sender and dropped whenever
// a block changes (here, or on another node via the bus).
import { ErrorCode, ProtocolError } from '../protocol';
import type { Bus } from '../bus/bus';
import type { AccountStore, BlockStore } from '../store/store';

export class BlockService {
  private readonly blockersCache = new Map<string, Promise<ReadonlySet<string>>>();
  /** The cached answers that have arrived (a subset of blockersCache), for callers that need not wait a turn. */
  private readonly blockersKnown = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly store: BlockStore,
    private readonly accounts: AccountStore,
    private readonly bus: Bus,
  ) {}

  /** Users who blocked `sender`. */
  blockersOf(sender: string): Promise<ReadonlySet<string>> {
    let cached = this.blockersCache.get(sender);
    if (!cached) {
      const asked = this.store.blockersOf(sender).then((list) => {
        const set: ReadonlySet<string> = new Set(list);
        // Only while still the cached answer: an invalidation meanwhile makes it stale.
        if (this.blockersCache.get(sender) === asked) this.blockersKnown.set(sender, set);
        return set;
      });
      asked.catch(() => {
        if (this.blockersCache.get(sender) === asked) this.blockersCache.delete(sender);
      });
      this.blockersCache.set(sender, (cached = asked));
    }
    return cached;
  }

  /** Users who blocked `sender`, when the cache already holds the answer (undefined: ask blockersOf). */
  knownBlockersOf(sender: string): ReadonlySet<string> | undefined {
    return this.blockersKnown.get(sender);
  }

  /**
   * Whether `blocker` has blocked `blocked`, asked of the store. A cached
   * answer can be stale on a cluster node for as long as another node's
   * "blocks changed" notice takes to arrive: a refusal is confirmed here
   * first, so an unblock that was acknowledged is never answered BLOCKED.
   * (Refusals are rare; the hot path keeps the cache.)
   */
  async confirmBlocked(blocker: string, blocked: string): Promise<boolean> {
    const still = await this.store.isBlocked(blocker, blocked);
    if (!still) this.invalidate(blocked);
    return still;
  }

  /** Drops the cached blockers of `user` (a block involving them as the blocked one changed). */
  invalidate(user: string): void {
    this.blockersCache.delete(user);
    this.blockersKnown.delete(user);
  }

  /** Resolves the target's registered spelling (the name typed may differ in case). */
  async block(blocker: string, typed: string): Promise<string> {
    const target = await this.requireUser(typed);
    if (blocker === target) throw new ProtocolError(ErrorCode.SELF_TARGET, 'You cannot block yourself');
    await this.store.block(blocker, target);
    this.changed(target);
    return target;
  }

  /** Resolves the target's registered spelling. */
  async unblock(blocker: string, typed: string): Promise<string> {
    const target = await this.requireUser(typed);
    if (blocker === target) throw new ProtocolError(ErrorCode.SELF_TARGET, 'You cannot unblock yourself');
    await this.store.unblock(blocker, target);
    this.changed(target);
    return target;
  }

  list(blocker: string): Promise<string[]> {
    return this.store.blockedBy(blocker);
  }

  /** Whether `a` blocked `b` and whether `b` blocked `a`. */
  async between(a: string, b: string): Promise<{ aBlockedB: boolean; bBlockedA: boolean }> {
    const [aBlockedB, bBlockedA] = await Promise.all([this.store.isBlocked(a, b), this.store.isBlocked(b, a)]);
    return { aBlockedB, bBlockedA };
  }

  private changed(target: string): void {
    this.invalidate(target);
    void this.bus.publish({ kind: 'blocks-changed', user: target }).catch(() => {});
  }

  /** The registered spelling of the user `typed` names (matched by canonical form); UNKNOWN_USER when none. */
  private async requireUser(typed: string): Promise<string> {
    const user = await this.accounts.getUser(typed);
    if (!user) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${typed}"`);
    return user.username;
  }
}
