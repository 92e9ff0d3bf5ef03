// What the screen-reader live regions say, and short-lived status toasts.
// Polite: incoming messages and confirmations. Assertive: errors. An error
// is shown in one place only: where the UI already shows it inline (a form,
// a message's delivery state), callers use alert() instead of error().

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

/** How long a toast stays up, in ms. */
export const TOAST_MS = 6000;

class NoticesState {
  polite = $state('');
  assertive = $state('');
  toasts = $state<Toast[]>([]);
  #nextId = 1;
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();

  announce(text: string): void {
    // Clearing first makes repeated identical messages be read again.
    this.polite = '';
    queueMicrotask(() => (this.polite = text));
  }

  info(text: string): void {
    this.announce(text);
    this.#toast(text, 'info');
  }

  /** An error shown as a toast and read out at once. */
  error(text: string): void {
    this.alert(text);
    this.#toast(text, 'error');
  }

  /** Reads an error out at once without a toast (for errors already shown inline). */
  alert(text: string): void {
    this.assertive = '';
    queueMicrotask(() => (this.assertive = text));
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /** The same text already on screen is not stacked again: its toast just stays up longer. */
  #toast(text: string, tone: Toast['tone']): void {
    const shown = this.toasts.find((t) => t.text === text && t.tone === tone);
    const id = shown?.id ?? this.#nextId++;
    if (!shown) this.toasts = [...this.toasts.slice(-3), { id, text, tone }];
    clearTimeout(this.#timers.get(id));
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), TOAST_MS),
    );
  }
}

export const notices = new NoticesState();
