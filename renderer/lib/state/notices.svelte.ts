// What the screen-reader live regions say, and short-lived status toasts.
// Polite: incoming messages and confirmations. Assertive: errors.

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

  announce(text: string): void {
    // Clearing first makes repeated identical messages be read again.
    this.polite = '';
    queueMicrotask(() => (this.polite = text));
  }

  info(text: string): void {
    this.announce(text);
    this.#toast(text, 'info');
  }

  error(text: string): void {
    this.assertive = '';
    queueMicrotask(() => (this.assertive = text));
    this.#toast(text, 'error');
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  #toast(text: string, tone: Toast['tone']): void {
    const id = this.#nextId++;
    this.toasts = [...this.toasts.slice(-3), { id, text, tone }];
    setTimeout(() => this.dismiss(id), TOAST_MS);
  }
}

export const notices = new NoticesState();
