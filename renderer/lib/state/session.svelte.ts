// Who is signed in, to which server, and which view is on screen.
// Reset on sign-out; the rest of the state modules hang off `username`.

export type ViewName = 'chat' | 'people' | 'groups' | 'blocked' | 'settings';

class SessionState {
  /** Signed-in user, or null on the sign-in screen. */
  username = $state<string | null>(null);
  /** Server address as typed (host:port or URL). */
  server = $state('');
  /** From the server's hello; false until one arrives. */
  allowRegister = $state(false);
  serverName = $state<string | null>(null);
  /** Queued messages the server reported at sign-in (login result `offlineCount`). */
  offlineCount = $state(0);
  view = $state<ViewName>('chat');
  /** True while a remembered session is being restored at startup. */
  restoring = $state(true);

  reset(): void {
    this.username = null;
    this.offlineCount = 0;
    this.view = 'chat';
  }
}

export const session = new SessionState();
