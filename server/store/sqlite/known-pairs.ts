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
  private committed = new Set<string>();
  private pending: string[] = [];

  /** True when the rows of `from` → `to` are known to exist. */
  has(from: string, to: string): boolean {
    return this.committed.has(key(from, to));
  }

  /** The rows of `from` → `to` were written (or found) by the current batch. */
  wrote(from: string, to: string): void {
    this.pending.push(key(from, to));
  }

  /** A run of a batch starts: what an earlier, rolled-back run wrote does not count. */
  begin(): void {
    this.pending = [];
  }

  /** The batch committed; `rerun`: it ran again with savepoints, so its pending pairs are not trusted. */
  committedBatch(rerun: boolean): void {
    if (!rerun) {
      if (this.committed.size + this.pending.length > MAX_PAIRS) this.committed.clear();
      for (const pair of this.pending) this.committed.add(pair);
    }
    this.pending = [];
  }

  forget(): void {
    this.committed.clear();
    this.pending = [];
  }
}

// Names never hold a NUL.
const key = (from: string, to: string): string => `${from}\u0000${to}`;
