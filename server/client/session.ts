// A signed-in chat session over one WebSocket at a time, shared by Electron
// main and the browser web client (and any other client built on this library):
// sign-in, silent reconnect with resume-from-seq, duplicate suppression,
// debounced acks and the offline outbox. The socket and the clock are injected.
import { ErrorCode, ProtocolError, type Command, type CommandOf, type EventFrame, type ResultOf, type WireError } from '../protocol';
import { AckTracker } from './acks';
import { Link } from './link';
import { describe, Listeners } from './listeners';
import { Outbox, withClientKey, type ChatCommand, type ChatReply, type OutboxItem } from './outbox';
import { Reconnect, type BackoffOptions } from './reconnect';
import { realTimers, type SessionTimers, type SocketFactory } from './socket';

export interface ChatSessionOptions {
  createSocket: SocketFactory;
  backoff?: BackoffOptions;
  /** How long to wait for the `hello` event or a reply, in ms. Default 15000. */
  requestTimeoutMs?: number;
  /** Delay between processing a message and acknowledging it, in ms; acks coalesce. Default 100. */
  ackDelayMs?: number;
  /** Default: the global setTimeout / clearTimeout. */
  timers?: SessionTimers;
  /** Milliseconds since the epoch. Default Date.now. */
  now?: () => number;
  /** Uniform [0, 1). Default Math.random. */
  random?: () => number;
}

export interface SignInOptions {
  /** ws:// or wss:// URL of the server's WebSocket endpoint (see toWebSocketUrl). */
  url: string;
  username: string;
  /** Exactly one of password and token is needed. */
  password?: string;
  token?: string;
  /**
   * Informational: the session always asks the server for a token (kept in memory for
   * silent reconnects); whether to persist `session.token` is the caller's decision.
   */
  remember?: boolean;
}

/**
 * Why a message waits in the outbox instead of being answered:
 * - 'offline': not sent yet, the connection is down;
 * - 'behind': not sent yet, earlier messages are still waiting (online);
 * - 'no-reply': sent, no reply within requestTimeoutMs (TIMEOUT): it may be stored;
 * - 'dropped': sent, the connection dropped before the reply: it may be stored.
 * A resend of 'no-reply' and 'dropped' carries the same key: it is stored once.
 */
export type QueuedWhy = 'offline' | 'behind' | 'no-reply' | 'dropped';

/**
 * How long after a reply timed out on a live connection the outbox sends again, in ms.
 * The timeout itself already waited requestTimeoutMs, so this only spaces the tries.
 */
const OUTBOX_RETRY_MS = 1000;

export type ChatSendResult = { sent: true; result: ChatReply } | { sent: false; queued: OutboxItem; why: QueuedWhy };

/** Connection state as main (or the browser client) sees it. */
export type ConnectionState =
  | { state: 'signed-out' }
  | { state: 'connecting'; server: string }
  | { state: 'online'; server: string; username: string }
  /** Lost the connection; retrying in `retryInMs` (attempt counts from 1). */
  | { state: 'reconnecting'; server: string; username: string; attempt: number; retryInMs: number; lastError: string }
  /** Gave up or the network is down; `retry()` tries again at once. */
  | { state: 'offline'; server: string; username: string; lastError: string };

/**
 * Guarantees:
 * - Server events reach `onEvent` listeners in arrival order; a `message` event whose
 *   seq is <= `lastSeq` (a replay already seen) is dropped, never delivered twice.
 * - `ack` is sent (debounced by ackDelayMs) only after every listener ran for the event.
 * - After an unexpected drop the session reconnects forever (exponential backoff with
 *   jitter) with the in-memory token and `resumeFrom: lastSeq`, until signOut()/close().
 * - Outbox items are sent in the order they were queued, before any later send().
 * - Every chat message carries an idempotency key (`clientKey`) from its first sending
 *   on, and keeps it through every resend: the server stores and delivers it once.
 */
export class ChatSession {
  private readonly createSocket: SocketFactory;
  private readonly requestTimeoutMs: number;
  private readonly timers: SessionTimers;
  private readonly now: () => number;
  private readonly acks: AckTracker;
  private readonly outbox = new Outbox();
  private readonly reconnects: Reconnect;

  private link: Link | null = null;
  private stateValue: ConnectionState = { state: 'signed-out' };
  private url: string | null = null;
  private username: string | null = null;
  private tokenValue: string | null = null;
  private tokenExpiresAtValue: number | null = null;
  /** Bumped by signIn/signOut/close so an in-flight reconnect knows it is obsolete. */
  private generation = 0;
  /** True while a reconnect attempt is opening a socket or waiting for the login reply. */
  private attemptInFlight = false;
  /** The timer that flushes the outbox again after a reply timed out on a live connection, or null. */
  private outboxRetry: unknown = null;

  private readonly events = new Listeners<[EventFrame]>();
  private readonly states = new Listeners<[ConnectionState]>();

  constructor(options: ChatSessionOptions) {
    this.createSocket = options.createSocket;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
    this.reconnects = new Reconnect(options.backoff ?? {}, this.timers, options.random ?? Math.random);
    this.acks = new AckTracker(this.timers, options.ackDelayMs ?? 100, (seq) => this.sendAck(seq));
  }

  // ------------------------------------------------------------ observable state

  get state(): ConnectionState {
    return this.stateValue;
  }

  /**
   * The server-issued sign-in token held in memory, or null. The server replaces
   * it at every token sign-in (a silent reconnect included): a caller that
   * persists it must save it again each time the state turns 'online'.
   */
  get token(): string | null {
    return this.tokenValue;
  }

  /** Expiry of `token` in ms since the epoch, or null when unknown. */
  get tokenExpiresAt(): number | null {
    return this.tokenExpiresAtValue;
  }

  /** Highest delivery seq processed (listeners ran); 0 before any. */
  get lastSeq(): number {
    return this.acks.lastSeq;
  }

  /** A copy of the queued messages, oldest first. */
  get pendingOutbox(): OutboxItem[] {
    return this.outbox.items;
  }

  /** Every server event except duplicate deliveries, in arrival order. Returns unsubscribe. */
  onEvent(cb: (event: EventFrame) => void): () => void {
    return this.events.add(cb);
  }

  /** Each connection state change. Returns unsubscribe. */
  onState(cb: (state: ConnectionState) => void): () => void {
    return this.states.add(cb);
  }

  /** The whole outbox (oldest first) after each change. Returns unsubscribe. */
  onOutbox(cb: (items: OutboxItem[]) => void): () => void {
    return this.outbox.onChange(cb);
  }

  /** A queued item the server refused when flushed (e.g. BLOCKED); it is dropped from the outbox. */
  onOutboxFailure(cb: (item: OutboxItem, error: WireError) => void): () => void {
    return this.outbox.onFailure(cb);
  }

  /**
   * A queued item the server accepted when flushed, with its reply (for a repeat
   * of a message whose first reply was lost: the message stored then, same id).
   * It already left the outbox. Returns unsubscribe.
   */
  onOutboxSent(cb: (item: OutboxItem, reply: ChatReply) => void): () => void {
    return this.outbox.onSent(cb);
  }

  // ------------------------------------------------------------ sign in / out

  /**
   * Opens the socket, waits for `hello`, signs in (always asking for a token) and goes
   * online. Rejects with a ProtocolError: the server's code (INVALID_CREDENTIALS,
   * ACCOUNT_LOCKED with retryAfter, ALREADY_SIGNED_IN, ...) or UNREACHABLE / TIMEOUT.
   * Any previous connection of this session is closed first.
   */
  async signIn(options: SignInOptions): Promise<ResultOf<'login'>> {
    this.teardown();
    const generation = ++this.generation;
    if (this.username !== options.username || this.url !== options.url) {
      // A different account or server: its sequence numbers and outbox do not apply.
      this.acks.reset();
      this.outbox.clear();
    }
    this.url = options.url;
    this.username = options.username;
    // A token sign-in answers the token that replaces it (goOnline keeps that one);
    // until then, and with a server that answers none, the token used is the one to keep.
    this.tokenValue = options.token ?? null;
    this.tokenExpiresAtValue = null;
    this.setState({ state: 'connecting', server: options.url });
    try {
      const login: CommandOf<'login'> = { type: 'login', username: options.username, remember: true };
      if (options.password !== undefined) login.password = options.password;
      if (options.token !== undefined) login.token = options.token;
      if (this.acks.lastSeq > 0) login.resumeFrom = this.acks.lastSeq;
      const result = await this.connectAndLogin(options.url, login);
      if (generation !== this.generation) throw new ProtocolError(ErrorCode.NOT_CONNECTED, 'Sign-in was cancelled');
      this.goOnline(result);
      return result;
    } catch (err) {
      if (generation === this.generation) {
        this.teardown();
        this.tokenValue = null;
        this.setState({ state: 'signed-out' });
      }
      throw toProtocolError(err);
    }
  }

  /**
   * Signs out: flushes a pending ack, sends `logout` when online (waits for its reply,
   * bounded by requestTimeoutMs; a failure is ignored), closes the socket, and forgets
   * the token, sequence state and outbox. Never rejects.
   */
  async signOut(): Promise<void> {
    const generation = ++this.generation;
    this.reconnects.cancel();
    if (this.stateValue.state === 'online' && this.link) {
      this.acks.flush();
      try {
        await this.request({ type: 'logout' });
      } catch {
        // Already gone: the server ends the session when the socket closes anyway.
      }
    }
    if (generation !== this.generation) return;
    this.teardown();
    this.tokenValue = null;
    this.tokenExpiresAtValue = null;
    this.username = null;
    this.url = null;
    this.acks.reset();
    this.outbox.clear();
    this.setState({ state: 'signed-out' });
  }

  /** Closes the socket and stops reconnecting, without logging out; the token is kept. */
  close(): void {
    this.generation++;
    this.acks.flush();
    this.teardown();
    if (this.stateValue.state !== 'signed-out') this.setState({ state: 'signed-out' });
  }

  /** From reconnecting or offline: try to reconnect now instead of waiting. No-op otherwise. */
  retry(): void {
    const s = this.stateValue.state;
    if ((s !== 'reconnecting' && s !== 'offline') || this.attemptInFlight) return;
    if (s === 'offline') this.reconnects.reset();
    else this.reconnects.cancel();
    void this.reconnect(this.generation);
  }

  // ------------------------------------------------------------ requests

  /**
   * Sends a command and resolves with its validated result (typed by `command.type`). Rejects with the server's
   * error, TIMEOUT after requestTimeoutMs, or NOT_CONNECTED at once when not online
   * (or when the socket drops before the reply).
   */
  request<C extends Command>(command: C): Promise<ResultOf<C['type']>> {
    if (this.stateValue.state !== 'online' || !this.link) {
      return Promise.reject(new ProtocolError(ErrorCode.NOT_CONNECTED, 'Not connected to the server'));
    }
    return this.link.request(command);
  }

  /**
   * Sends a chat message now when online and nothing is waiting in the outbox, else
   * queues it (flushed in order after the next successful resume). A message sent now
   * whose reply does not come (NOT_CONNECTED: the connection dropped; TIMEOUT) may have
   * been stored: it is queued too, with the key it went out with, so the resend is
   * answered with the stored message instead of storing it twice. Rejects only when
   * the server refuses a message sent now, or when signed out.
   */
  async send(command: ChatCommand): Promise<ChatSendResult> {
    const s = this.stateValue.state;
    if (s === 'signed-out' || s === 'connecting') {
      throw new ProtocolError(ErrorCode.NOT_CONNECTED, 'Sign in before sending messages');
    }
    const keyed = withClientKey(command);
    if (s === 'online' && this.outbox.length === 0 && !this.outbox.busy) {
      const generation = this.generation;
      try {
        return { sent: true, result: await this.request(keyed) };
      } catch (err) {
        const code = err instanceof ProtocolError ? err.code : null;
        const replyLost = code === ErrorCode.NOT_CONNECTED || code === ErrorCode.TIMEOUT;
        // Signed out (or in again) meanwhile: that outbox is not this message's.
        if (!replyLost || generation !== this.generation) throw err;
        return this.queue(keyed, code === ErrorCode.TIMEOUT ? 'no-reply' : 'dropped');
      }
    }
    return this.queue(keyed, s === 'online' ? 'behind' : 'offline');
  }

  /** Puts `command` (already keyed) in the outbox; flushes at once when online. */
  private queue(command: ChatCommand, why: QueuedWhy): ChatSendResult {
    const item = this.outbox.add(command, this.now());
    if (this.stateValue.state === 'online') this.flushOutbox();
    return { sent: false, queued: item, why };
  }

  // ------------------------------------------------------------ connection internals

  private async connectAndLogin(url: string, login: CommandOf<'login'>): Promise<ResultOf<'login'>> {
    const link = new Link(url, {
      createSocket: this.createSocket,
      timers: this.timers,
      timeoutMs: this.requestTimeoutMs,
      onEvent: (event) => this.onServerEvent(link, event),
      onLost: (reason) => this.onLinkLost(link, reason),
    });
    this.link = link;
    await link.hello;
    return link.request(login);
  }

  private onServerEvent(link: Link, event: EventFrame): void {
    if (this.link !== link) return;
    if (event.event === 'message') {
      if (!this.acks.accept(event.seq)) return; // A replay of something already processed.
      this.events.emit(event);
      this.acks.processed();
      return;
    }
    this.events.emit(event);
    // The server is going away: reconnect (with backoff) rather than wait for the close.
    if (event.event === 'shutdown') link.drop(`Server is shutting down: ${event.reason}`);
  }

  /** The link is gone. Starts reconnecting when it was the current one and we were online. */
  private onLinkLost(link: Link, reason: string): void {
    if (this.link !== link) return;
    this.link = null;
    this.acks.cancel();
    // Only a drop while online starts reconnecting; a failed attempt is rescheduled by
    // reconnect() itself and a failed signIn() rejects to its caller.
    if (this.stateValue.state === 'online') this.scheduleReconnect(reason);
  }

  private scheduleReconnect(lastError: string): void {
    if (!this.url || !this.username) return;
    const retryInMs = this.reconnects.nextDelay();
    this.setState({ state: 'reconnecting', server: this.url, username: this.username, attempt: this.reconnects.attempt, retryInMs, lastError });
    const generation = this.generation;
    this.reconnects.schedule(retryInMs, () => void this.reconnect(generation));
  }

  private async reconnect(generation: number): Promise<void> {
    if (generation !== this.generation || !this.url || !this.username) return;
    const url = this.url;
    const username = this.username;
    if (!this.tokenValue) {
      this.setState({ state: 'offline', server: url, username, lastError: 'Signed out by the server: sign in again' });
      return;
    }
    const login: CommandOf<'login'> = { type: 'login', username, token: this.tokenValue, remember: true, resumeFrom: this.acks.lastSeq };
    // Keep showing "reconnecting" while the attempt runs; the timer is null so a drop reschedules.
    if (this.stateValue.state === 'offline') {
      this.setState({
        state: 'reconnecting',
        server: url,
        username,
        attempt: this.reconnects.attempt + 1,
        retryInMs: 0,
        lastError: this.stateValue.lastError,
      });
    }
    this.attemptInFlight = true;
    try {
      const result = await this.connectAndLogin(url, login);
      this.attemptInFlight = false;
      if (generation !== this.generation) return;
      this.goOnline(result);
    } catch (err) {
      this.attemptInFlight = false;
      if (generation !== this.generation) return;
      const error = toProtocolError(err);
      this.teardownLink();
      if (error.code === ErrorCode.CERTIFICATE_CHANGED) {
        // Retrying can't help and must not wear the warning down: the person decides.
        this.setState({ state: 'offline', server: url, username, lastError: error.message });
        return;
      }
      if (error.code === ErrorCode.INVALID_TOKEN) {
        // The token was revoked or expired: only the person can fix this by signing in again.
        this.tokenValue = null;
        this.tokenExpiresAtValue = null;
        this.setState({ state: 'offline', server: url, username, lastError: error.message });
        return;
      }
      // Everything else (unreachable, ALREADY_SIGNED_IN while the server has not yet noticed
      // the old socket died, SHUTTING_DOWN, RATE_LIMITED, ...) is temporary: try again later.
      this.scheduleReconnect(error.message);
    }
  }

  private goOnline(result: ResultOf<'login'>): void {
    this.reconnects.attempt = 0;
    if (result.token) {
      this.tokenValue = result.token;
      this.tokenExpiresAtValue = result.tokenExpiresAt ?? null;
    }
    // Deliveries after result.resumeFrom follow; anything at or below it is already handled.
    this.acks.resumedAt(result.resumeFrom);
    this.setState({ state: 'online', server: this.url ?? '', username: result.username });
    if (this.outbox.length > 0) this.flushOutbox();
  }

  private flushOutbox(): void {
    const generation = this.generation;
    const current = (): boolean => generation === this.generation && this.stateValue.state === 'online';
    void this.outbox
      .flush((command) => this.request(command), current)
      .then((stopped) => {
        // A reply that did not come while the connection stayed up: nothing else (a
        // reconnect, a new send) may happen soon, so the outbox tries again by itself.
        // The item keeps its key, so a server that was only slow stores it once.
        if (stopped !== 'timed-out' || !current() || this.outboxRetry !== null) return;
        this.outboxRetry = this.timers.setTimeout(() => {
          this.outboxRetry = null;
          if (current()) this.flushOutbox();
        }, OUTBOX_RETRY_MS);
      });
  }

  /** Sends `ack seq` on the current link; false when there is none. */
  private sendAck(seq: number): boolean {
    if (this.stateValue.state !== 'online' || !this.link) return false;
    this.link.request({ type: 'ack', seq }).catch(() => {
      // Lost acks are harmless: the resume point is the client's lastSeq, not the server's ack.
    });
    return true;
  }

  // ------------------------------------------------------------ housekeeping

  private teardown(): void {
    this.reconnects.reset();
    this.acks.cancel();
    if (this.outboxRetry !== null) this.timers.clearTimeout(this.outboxRetry);
    this.outboxRetry = null;
    this.teardownLink();
  }

  private teardownLink(): void {
    const link = this.link;
    this.link = null;
    link?.close();
  }

  private setState(state: ConnectionState): void {
    this.stateValue = state;
    this.states.emit(state);
  }
}

function toProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  return new ProtocolError(ErrorCode.INTERNAL, describe(err));
}
