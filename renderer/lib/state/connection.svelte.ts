// The connection state reported by the ChatClient, plus when it was reported,
// so the banner can count down `retryInMs` from the right moment.
import type { ConnectionState } from '../client/client';

class ConnectionStore {
  current = $state<ConnectionState>({ state: 'signed-out' });
  /** Date.now() when `current` arrived, in ms. */
  since = $state(0);
  /** True once the session has been online, so a later 'connecting' reads as a reconnect. */
  wasOnline = $state(false);
  online = $derived(this.current.state === 'online');

  set(state: ConnectionState): void {
    this.current = state;
    this.since = Date.now();
    if (state.state === 'online') this.wasOnline = true;
    if (state.state === 'signed-out') this.wasOnline = false;
  }
}

export const connection = new ConnectionStore();
