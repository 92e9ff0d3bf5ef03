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
   * Whether `blocker` has blocked `sender`, before refusing what `sender` does
   * to them. The cache answers a no; a yes is confirmed with the store, since
   * a cached answer can be stale on a cluster node for as long as another
   * node's "blocks changed" notice takes to arrive: an unblock that was
   * acknowledged is never answered BLOCKED. (Refusals are rare.)
   */
  async hasBlocked(blocker: string, sender: string): Promise<boolean> {
    if (!(this.blockersKnown.get(sender) ?? (await this.blockersOf(sender))).has(blocker)) return false;
    const still = await this.store.isBlocked(blocker, sender);
    if (!still) this.invalidate(sender);
    return still;
  }

  /** Drops the cached blockers of `user` (a block involving them as the blocked one changed). */
  invalidate(user: string): void {
    this.blockersCache.delete(user);
    this.blockersKnown.delete(user);
  }

  /** Drops every cached answer: notices may have been lost while the bus was interrupted. */
  invalidateAll(): void {
    this.blockersCache.clear();
    this.blockersKnown.clear();
  }

  /**
   * This node's bus is back after a break. Neither the notices it could not
   * send nor those it could not hear can be told apart now, so every node
   * drops its cached blockers: this one at once, the others when they get the
   * notice. Without it, a block made on either side of the break was not
   * enforced by the other nodes' caches until they restarted.
   */
  async resync(): Promise<void> {
    this.invalidateAll();
    await this.bus.publish({ kind: 'blocks-changed', user: null }).catch(() => {});
  }

  /** Resolves the target's registered spelling (the name typed may differ in case). */
  async block(blocker: string, typed: string): Promise<string> {
    const target = await this.requireUser(typed);
    if (blocker === target) throw new ProtocolError(ErrorCode.SELF_TARGET, 'You cannot block yourself');
    await this.store.block(blocker, target);
    await this.changed(target);
    return target;
  }

  /** Resolves the target's registered spelling. */
  async unblock(blocker: string, typed: string): Promise<string> {
    const target = await this.requireUser(typed);
    if (blocker === target) throw new ProtocolError(ErrorCode.SELF_TARGET, 'You cannot unblock yourself');
    await this.store.unblock(blocker, target);
    await this.changed(target);
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

  /**
   * Drops this node's cached blockers of `target` and tells the other nodes.
   * The command is answered only once the bus took the notice: on Redis the
   * other nodes are sent it before this node hears back, so a message the
   * blocked user sends after the blocker saw the answer finds their cache
   * already dropped. (A lost notice loses nothing but the cache's freshness:
   * a refusal is confirmed with the store, see hasBlocked.)
   */
  private async changed(target: string): Promise<void> {
    this.invalidate(target);
    await this.bus.publish({ kind: 'blocks-changed', user: target }).catch(() => {});
  }

  /** The registered spelling of the user `typed` names (matched by canonical form); UNKNOWN_USER when none. */
  private async requireUser(typed: string): Promise<string> {
    const user = await this.accounts.getUser(typed);
    if (!user) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${typed}"`);
    return user.username;
  }
}
