// Owns the desktop app's ChatSession (over `ws`): signs in / resumes with a remembered
// token, forwards server events, state and outbox to the renderer unchanged, shows
// desktop notifications while the window is in the background and keeps the unread count.
import { ChatSession, gistOf, toWebSocketUrl, type ChatSessionOptions } from '../server/client';
import { wsSocketFactory, type CertificateTrust } from '../server/client/node';
import { alertReason, ErrorCode, ProtocolError, type Command, type CommandType, type EventFrame, type ResultOf } from '../server/protocol';
import type { CredentialStore } from './credentials';
import { DisplayNames } from './display-names';
import type { OutboxItem, Push, PushChannel, SendResult, SignInRequest, SignInResult } from './ipc/contract';
import type { NotificationPort } from './platform/seams';

export { wsSocketFactory } from '../server/client/node';

export interface ConnectionOptions {
  credentials: CredentialStore;
  notifications: NotificationPort;
  /** Sends a push to the renderer (dropped when there is no window). */
  push: <C extends PushChannel>(channel: C, payload: Push[C]) => void;
  /** Whether the main window is visible and focused right now. */
  isWindowFocused: () => boolean;
  /** Muted conversation keys right now (the notification settings); default none. */
  muted?: () => readonly string[];
  /** Brings the window to the front (notification click). */
  revealWindow: () => void;
  /** Called with the new unread count after each change. */
  onUnread?: (count: number) => void;
  /** Logged, never thrown: token persistence problems and refused outbox items. */
  onWarning?: (message: string, err?: unknown) => void;
  /** Decides on wss:// certificates (pins, trust on first use; server-trust.ts). Default: authorities only. */
  trust?: CertificateTrust;
  /** Overrides for the session (tests shorten backoff and timeouts). */
  session?: Partial<ChatSessionOptions>;
}

/** Longest notification body, in characters; the rest is cut with an ellipsis. */
const NOTIFICATION_BODY_MAX = 180;

export class Connection {
  readonly session: ChatSession;
  private readonly options: ConnectionOptions;
  /** The account signed in now: what the person typed as server, and whether to remember. */
  private current: { server: string; username: string; remember: boolean } | null = null;
  private savedToken: string | null = null;
  /** The last token save (never rejects); the next one waits for it. */
  private persisting: Promise<void> = Promise.resolve();
  private unreadCount = 0;
  /** Senders as notifications name them (display names, looked up on this session). */
  private readonly names: DisplayNames;
  /** The last notification shown or being prepared: the next waits for it, so they keep the messages' order. */
  private notifying: Promise<void> = Promise.resolve();

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.session = new ChatSession({
      createSocket: options.session?.createSocket ?? wsSocketFactory(options.session?.requestTimeoutMs, options.trust ?? null),
      ...options.session,
    });
    this.names = new DisplayNames(async (user) => {
      const { users } = await this.session.request({ type: 'profiles', users: [user] });
      return users[0]?.displayName ?? null;
    });
    this.session.onEvent((event) => this.onServerEvent(event));
    this.session.onState((state) => {
      options.push('connection:state', state);
      // Every token sign-in, a silent reconnect included, rotates the token: the one
      // used is refused a minute later, so the stored one must follow.
      if (state.state === 'online') void this.persistToken();
      // A reconnect the server refused (the token expired or was revoked): the stored one is useless.
      const current = this.current;
      if (state.state === 'offline' && this.session.token === null && current?.remember) {
        this.savedToken = null;
        void this.persisting.then(() => this.forgetStored(current.server, current.username));
      }
    });
    this.session.onOutbox((items) => options.push('outbox:changed', items));
    this.session.onOutboxFailure((item, error) => {
      this.warn(`Queued ${item.command.type} ${item.localId} was refused by the server: ${error.code} ${error.message}`);
      options.push('outbox:failed', { item, error });
    });
    this.session.onOutboxSent((item, reply) => options.push('outbox:sent', { item, reply }));
  }

  get unread(): number {
    return this.unreadCount;
  }

  /** Signs in with a password; with `remember` the issued token (never the password) is stored. */
  async signIn(request: SignInRequest): Promise<SignInResult> {
    const url = toWebSocketUrl(request.server);
    const previous = this.current;
    // With nowhere to keep a token (no keychain, no safeStorage) nothing is remembered:
    // no token is asked for, and quitting logs out as for any session not remembered.
    const remember = request.remember && this.options.credentials.backend !== 'none';
    this.current = { server: request.server, username: request.username, remember };
    this.savedToken = null;
    let result: ResultOf<'login'>;
    try {
      result = await this.session.signIn({ url, username: request.username, password: request.password, remember });
    } catch (err) {
      this.current = previous;
      throw err;
    }
    this.afterSignIn(result);
    if (remember) await this.persistToken();
    else await this.forgetStored(request.server, request.username);
    return { ...omitToken(result), server: request.server };
  }

  /** Signs in with the remembered token; null when nothing is stored. INVALID_TOKEN forgets it. */
  async resume(): Promise<SignInResult | null> {
    const stored = await this.options.credentials.load();
    if (!stored) return null;
    this.current = { server: stored.server, username: stored.username, remember: true };
    this.savedToken = stored.token;
    try {
      const result = await this.session.signIn({ url: toWebSocketUrl(stored.server), username: stored.username, token: stored.token, remember: true });
      this.afterSignIn(result);
      await this.persistToken();
      return { ...omitToken(result), server: stored.server };
    } catch (err) {
      this.current = null;
      if (err instanceof ProtocolError && err.code === ErrorCode.INVALID_TOKEN) {
        await this.forgetStored(stored.server, stored.username);
      }
      throw err;
    }
  }

  /**
   * Logs out and closes the socket. The server revokes the session's token on logout, so
   * the stored token is removed whatever `forget` says (a revoked token is useless);
   * `forget` is kept in the contract for a future "keep my username" option.
   */
  async signOut(_forget: boolean): Promise<void> {
    const current = this.current;
    this.current = null;
    this.savedToken = null;
    await this.session.signOut();
    if (current) await this.forgetStored(current.server, current.username);
    this.setUnread(0);
  }

  retry(): void {
    this.session.retry();
  }

  request(command: Command): Promise<ResultOf<CommandType>> {
    return this.session.request(command);
  }

  send(command: OutboxItem['command']): Promise<SendResult> {
    return this.session.send(command);
  }

  /** The renderer's own count (it knows what was read) replaces main's. */
  setUnread(count: number): void {
    if (count === this.unreadCount) return;
    this.unreadCount = count;
    this.options.onUnread?.(count);
  }

  /** The window came to the front: everything has been seen. */
  windowFocused(): void {
    this.setUnread(0);
  }

  /**
   * For quitting. Not remembered: logs out (bounded by the request timeout), which also
   * revokes the token. Remembered: only closes the socket — the server ends the session
   * on disconnect, and a logout would revoke the stored token and break the silent
   * sign-in at the next start.
   */
  async shutdown(): Promise<void> {
    const current = this.current;
    this.current = null;
    if (current?.remember) this.session.close();
    else await this.session.signOut();
  }

  private afterSignIn(result: ResultOf<'login'>): void {
    this.names.clear();
    if (result.offlineCount > 0 && !this.options.isWindowFocused()) {
      this.notify('Chat', `${result.offlineCount} message(s) arrived while you were away`);
    }
  }

  private onServerEvent(event: EventFrame): void {
    this.options.push('server:event', event);
    if (event.event === 'profile') this.names.update(event.username, event.displayName);
    if (event.event !== 'message') return;
    const me = this.current?.username;
    if (event.message.from === me || this.options.isWindowFocused()) return;
    this.setUnread(this.unreadCount + 1);
    // Replays of offline messages are summarised once at sign-in instead of one popup each.
    if (event.offline) return;
    const m = event.message;
    // Muted conversations stay quiet unless the message mentions me (the web client's rule).
    const reason = alertReason(m, me ?? '', this.options.muted?.() ?? []);
    if (reason === null) return;
    // A message with only files says what it carries ("A file"), as the web client does.
    const body = gistOf(m.text, m.attachments?.length ?? 0);
    this.notifying = this.notifying.then(async () => {
      // Named as in the window: by display name when they set one.
      const from = await this.names.nameOf(m.from);
      const title = m.kind === 'group' ? `${from} in ${m.group ?? 'a group'}` : m.kind === 'broadcast' ? `${from} (everyone)` : from;
      this.notify(reason === 'mention' ? `${title} (mentioned you)` : title, body);
    });
  }

  private notify(title: string, body: string): void {
    try {
      if (!this.options.notifications.isSupported()) return;
      const short = body.length > NOTIFICATION_BODY_MAX ? `${body.slice(0, NOTIFICATION_BODY_MAX - 1)}…` : body;
      this.options.notifications.show(title, short, () => this.options.revealWindow());
    } catch (err) {
      this.warn('Showing a notification failed', err);
    }
  }

  /**
   * Saves the session's newest token when remembered. Saves run one after the
   * other, so an older token never lands after a newer one.
   */
  private persistToken(): Promise<void> {
    this.persisting = this.persisting.then(() => this.saveNewestToken());
    return this.persisting;
  }

  private async saveNewestToken(): Promise<void> {
    const current = this.current;
    const token = this.session.token;
    if (!current?.remember || !token || token === this.savedToken) return;
    try {
      await this.options.credentials.save({ server: current.server, username: current.username, token });
      this.savedToken = token;
    } catch (err) {
      this.warn('Could not store the sign-in token', err);
    }
  }

  private async forgetStored(server: string, username: string): Promise<void> {
    try {
      await this.options.credentials.forget(server, username);
    } catch (err) {
      this.warn('Could not remove the stored sign-in token', err);
    }
  }

  private warn(message: string, err?: unknown): void {
    this.options.onWarning?.(message, err);
  }
}

/** The token stays in main: the renderer has no use for it and should never see it. */
function omitToken(result: ResultOf<'login'>): ResultOf<'login'> {
  const { token: _token, ...rest } = result;
  return rest;
}
