// The writer's memory of which private pairs already have their rows: both
// direct_peers rows and the recipient's private_senders row. A private message
// of a known pair writes nothing but itself; each of those rows cost an index
// probe per message (~1.5 µs of the writer's CPU in tests/bench/sqlite-writes.ts).

/** Distinct pairs remembered at most; past that the memory starts again (it only saves probes). */
const MAX_PAIRS = 100_000;

/**
 * MUST: a pair is remembered only once the transaction that wrote (or found) its
 *       rows has committed, and only from a batch that ran without a rerun (where
 *       a job's savepoint may have been rolled back alone).
 * MUST: forget() drops everything, pending included: whoever may delete or move
 *       those rows calls it (a rename or deletion of an account, another connection's commit).
 */
export class KnownPairs {
  /** Known recipients by sender: two lookups of the names as they came, no key string made per message. */
  private committed = new Map<string, Set<string>>();
  /** Pairs in `committed`. */
  private size = 0;
  /** This batch's pairs, flat: [from, to, from, to, …]. */
  private pending: string[] = [];

  /** True when the rows of `from` → `to` are known to exist. */
  has(from: string, to: string): boolean {
    return this.committed.get(from)?.has(to) === true;
  }

  /** The rows of `from` → `to` were written (or found) by the current batch. */
  wrote(from: string, to: string): void {
    this.pending.push(from, to);
  }

  /** A run of a batch starts: what an earlier, rolled-back run wrote does not count. */
  begin(): void {
    this.pending = [];
  }

  /** The batch committed; `rerun`: it ran again with savepoints, so its pending pairs are not trusted. */
  committedBatch(rerun: boolean): void {
    const { pending } = this;
    this.pending = [];
    if (rerun) return;
    if (this.size + pending.length / 2 > MAX_PAIRS) this.clear();
    for (let i = 0; i < pending.length; i += 2) {
      const from = pending[i]!;
      let to = this.committed.get(from);
      if (to === undefined) this.committed.set(from, (to = new Set()));
      if (!to.has(pending[i + 1]!)) {
        to.add(pending[i + 1]!);
        this.size++;
      }
    }
  }

  forget(): void {
    this.clear();
    this.pending = [];
  }

  private clear(): void {
    this.committed.clear();
    this.size = 0;
  }
}
