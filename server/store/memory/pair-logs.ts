// The memory store's private conversations: for each unordered pair of users,
// their messages in the order stored. Two levels of maps (the lesser name, then
// the greater) rather than one map keyed by the two names joined: saving a
// message then builds and hashes no new key string.

export class PairLogs<T> {
  /** lesser name -> greater name -> the pair's items, ascending by id. */
  private readonly byLesser = new Map<string, Map<string, T[]>>();

  /** The items between `a` and `b` (either order), or undefined when there are none. */
  get(a: string, b: string): T[] | undefined {
    return a < b ? this.byLesser.get(a)?.get(b) : this.byLesser.get(b)?.get(a);
  }

  /** Appends `item` to the log of `a` and `b` (either order). */
  push(a: string, b: string, item: T): void {
    const log = this.get(a, b);
    if (log) log.push(item);
    else this.set(a, b, [item]);
  }

  /** Replaces the log of `a` and `b` (either order). */
  set(a: string, b: string, items: T[]): void {
    const lesser = a < b ? a : b;
    let inner = this.byLesser.get(lesser);
    if (!inner) this.byLesser.set(lesser, (inner = new Map<string, T[]>()));
    inner.set(lesser === a ? b : a, items);
  }

  /** Every pair's log. */
  *values(): Generator<T[]> {
    for (const inner of this.byLesser.values()) yield* inner.values();
  }
}
