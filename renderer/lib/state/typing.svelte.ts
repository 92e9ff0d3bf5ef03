// Who is typing where: "bob is typing…" under a conversation. Each notice shows
// for TYPING_SHOWN_MS unless renewed, and goes at once when bob's message arrives.
import { TYPING_SHOWN_MS } from '../../../server/protocol';

class TypingState {
  /** Conversation key → the users typing there, in the order they started. */
  byKey = $state<Record<string, string[]>>({});
  /** `${key}\n${user}` → the timer that ends the notice; not reactive, only bookkeeping. */
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  /** `user` is typing in `key`: shown (again) for `ms`. */
  show(key: string, user: string, ms = TYPING_SHOWN_MS): void {
    const id = `${key}\n${user}`;
    clearTimeout(this.#timers.get(id));
    this.#timers.set(
      id,
      setTimeout(() => this.stop(key, user), ms),
    );
    const now = this.byKey[key] ?? [];
    if (!now.includes(user)) this.byKey[key] = [...now, user];
  }

  /** `user` stopped (their message arrived, or the notice expired). */
  stop(key: string, user: string): void {
    const id = `${key}\n${user}`;
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    const now = this.byKey[key];
    if (!now?.includes(user)) return;
    const left = now.filter((u) => u !== user);
    if (left.length > 0) this.byKey[key] = left;
    else delete this.byKey[key];
  }

  of(key: string): string[] {
    return this.byKey[key] ?? [];
  }

  reset(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.byKey = {};
  }
}

export const typing = new TypingState();

/** "bob is typing…", "bob and carol are typing…", "3 people are typing…". */
export function typingText(users: readonly string[]): string {
  if (users.length === 0) return '';
  if (users.length === 1) return `${users[0]} is typing…`;
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`;
  return `${users.length} people are typing…`;
}
