// Listener sets for the library's observable state: subscribe returns the
// unsubscribe function, and one listener's exception never stops the others.

export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();

  /** Adds `listener`; returns its unsubscribe function. */
  add(listener: (...args: A) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  /** Calls every listener (a copy of the set: listeners may unsubscribe while called). */
  emit(...args: A): void {
    for (const listener of [...this.set]) {
      try {
        listener(...args);
      } catch (err) {
        console.error('chat client listener failed:', err);
      }
    }
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
