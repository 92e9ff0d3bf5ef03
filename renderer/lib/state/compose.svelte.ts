// What the composer of the open conversation is doing besides plain sending:
// answering a message (the reply bar) or editing one of mine in place.
import type { Entry } from './entries';

class ComposeState {
  /** The message being answered, and its conversation; null when not replying. */
  replyTo = $state.raw<{ key: string; entry: Entry } | null>(null);
  /** Server id of my message being edited in place; null when none. */
  editing = $state<number | null>(null);

  reset(): void {
    this.replyTo = null;
    this.editing = null;
  }
}

export const compose = new ComposeState();
