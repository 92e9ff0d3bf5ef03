// The one WebSocket chat client, shared by Electron main and the browser web client.
// Owns sign-in, id-matched requests, silent reconnect with resume-from-seq, duplicate
// suppression, debounced acks and the offline outbox. Pure TS: the socket is injected.
import {
  encodeRequest,
  ErrorCode,
  ProtocolError,
  resultSchemas,
  ServerFrame,
  type Command,
  type CommandOf,
  type CommandType,
  type EventFrame,
  type ResultOf,
  type WireError,
} from './index';

/**
 * The part of the WebSocket API the session uses. `ws`'s WebSocket fits as it is;
 * the DOM WebSocket's handler types declare event arguments this interface does
 * not, so the browser client wraps it (renderer/lib/client/browser.ts).
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Node: `(u) => new WebSocket(u)` from 'ws'; browser: an adapter around the DOM WebSocket. */
export type SocketFactory = (url: string) => SocketLike;

/** Timer functions, injectable so tests can drive time by hand. */
export interface SessionTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BackoffOptions {
  /** First retry delay, in ms. Default 500. */
  initialMs?: number;
  /** Largest retry delay, in ms. Default 30000. */
  maxMs?: number;
  /** Random spread as a fraction of the delay (0 = none, 0.2 = ±20 %). Default 0.2. */
  jitter?: number;
}

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

export type ChatSendResult =
  { sent: true; result: ResultOf<'message'> | ResultOf<'broadcast'> | ResultOf<'message-group'> } | { sent: false; queued: OutboxItem };

/** The chat messages that may wait in the outbox: private, broadcast and group messages. */
export type ChatCommand = Extract<Command, { type: 'message' | 'broadcast' | 'message-group' }>;

/** Connection state as main (or the browser client) sees it. */
export type ConnectionState =
  | { state: 'signed-out' }
  | { state: 'connecting'; server: string }
  | { state: 'online'; server: string; username: string }
  /** Lost the connection; retrying in `retryInMs` (attempt counts from 1). */
  | { state: 'reconnecting'; server: string; username: string; attempt: number; retryInMs: number; lastError: string }
  /** Gave up or the network is down; `retry()` tries again at once. */
  | { state: 'offline'; server: string; username: string; lastError: string };

/** A chat message typed while offline, waiting to go out on reconnect. */
export interface OutboxItem {
  /** Client-side id (unique per app run). */
  localId: string;
  command: ChatCommand;
  createdAt: number;
}

/** WebSocket.OPEN in both the browser and `ws`. */
const OPEN = 1;
/** Normal closure; the server treats it as a deliberate goodbye. */
const CLOSE_NORMAL = 1000;

let localIdCounter = 0;

/**
 * Turns what a person types (`host:port`, `host`, or a ws(s):// / http(s):// URL) into
 * the WebSocket endpoint URL `ws://host:port/ws`. A bare host gets port 4001 (the
 * server's default HTTP port). Throws ProtocolError BAD_REQUEST on garbage.
 */
export function toWebSocketUrl(server: string): string {
  const input = server.trim();
  if (input.length === 0) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'server: is required');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `ws://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `server: "${input.slice(0, 80)}" is not a host:port or URL`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `server: unsupported scheme ${url.protocol}`);
  }
  if (url.port === '' && !/^[a-z]+:\/\//i.test(input)) url.port = '4001';
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  return url.toString();
}

interface Pending {
  type: CommandType;
  resolve(value: unknown): void;
  reject(err: ProtocolError): void;
  timer: unknown;
}

/** One physical socket; replaced on every reconnect so stale callbacks are ignored. */
interface Link {
  socket: SocketLike;
  url: string;
  /** Resolves on the `hello` event; rejects when the socket closes first or times out. */
  hello: Promise<void>;
  closed: boolean;
}

type Listener<T> = (value: T) => void;

/**
 * A signed-in chat session over one WebSocket at a time.
 *
 * Guarantees:
 * - Server events reach `onEvent` listeners in arrival order; a `message` event whose
 *   seq is <= `lastSeq` (a replay already seen) is dropped, never delivered twice.
 * - `ack` is sent (debounced by ackDelayMs) only after every listener ran for the event.
 * - After an unexpected drop the session reconnects forever (exponential backoff with
 *   jitter) with the in-memory token and `resumeFrom: lastSeq`, until signOut()/close().
 * - Outbox items are sent in the order they were queued, before any later send().
 */
export class ChatSession {
  private readonly createSocket: SocketFactory;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly requestTimeoutMs: number;
  private readonly ackDelayMs: number;
  private readonly timers: SessionTimers;
  private readonly now: () => number;
  private readonly random: () => number;

  private link: Link | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stateValue: ConnectionState = { state: 'signed-out' };
  private url: string | null = null;
  private username: string | null = null;
  private tokenValue: string | null = null;
  private tokenExpiresAtValue: number | null = null;
  private lastSeqValue = 0;
  private lastAcked = 0;
  private ackTimer: unknown = null;
  private reconnectTimer: unknown = null;
  private attempt = 0;
  /** Bumped by signIn/signOut/close so an in-flight reconnect knows it is obsolete. */
  private generation = 0;
  private outbox: OutboxItem[] = [];
  private flushing = false;
  /** True while a reconnect attempt is opening a socket or waiting for the login reply. */
  private attemptInFlight = false;

  private readonly eventListeners = new Set<Listener<EventFrame>>();
  private readonly stateListeners = new Set<Listener<ConnectionState>>();
  private readonly outboxListeners = new Set<Listener<OutboxItem[]>>();
  private readonly outboxFailureListeners = new Set<(item: OutboxItem, error: WireError) => void>();

  constructor(options: ChatSessionOptions) {
    this.createSocket = options.createSocket;
    this.initialMs = options.backoff?.initialMs ?? 500;
    this.maxMs = options.backoff?.maxMs ?? 30_000;
    this.jitter = Math.min(1, Math.max(0, options.backoff?.jitter ?? 0.2));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.ackDelayMs = options.ackDelayMs ?? 100;
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as Parameters<typeof clearTimeout>[0]),
    };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  // ------------------------------------------------------------ observable state

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The server-issued sign-in token held in memory, or null. Persisting it is the caller's job. */
  get token(): string | null {
    return this.tokenValue;
  }

  /** Expiry of `token` in ms since the epoch, or null when unknown. */
  get tokenExpiresAt(): number | null {
    return this.tokenExpiresAtValue;
  }

  /** Highest delivery seq processed (listeners ran); 0 before any. */
  get lastSeq(): number {
    return this.lastSeqValue;
  }

  /** A copy of the queued messages, oldest first. */
  get pendingOutbox(): OutboxItem[] {
    return [...this.outbox];
  }

  /** Every server event except duplicate deliveries, in arrival order. Returns unsubscribe. */
  onEvent(cb: Listener<EventFrame>): () => void {
    return subscribe(this.eventListeners, cb);
  }

  /** Each connection state change. Returns unsubscribe. */
  onState(cb: Listener<ConnectionState>): () => void {
    return subscribe(this.stateListeners, cb);
  }

  /** The whole outbox (oldest first) after each change. Returns unsubscribe. */
  onOutbox(cb: Listener<OutboxItem[]>): () => void {
    return subscribe(this.outboxListeners, cb);
  }

  /** A queued item the server refused when flushed (e.g. BLOCKED); it is dropped from the outbox. */
  onOutboxFailure(cb: (item: OutboxItem, error: WireError) => void): () => void {
    return subscribe(this.outboxFailureListeners, cb);
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
      this.lastSeqValue = 0;
      this.lastAcked = 0;
      this.setOutbox([]);
    }
    this.url = options.url;
    this.username = options.username;
    this.tokenValue = null;
    this.tokenExpiresAtValue = null;
    this.setState({ state: 'connecting', server: options.url });
    try {
      const login: CommandOf<'login'> = { type: 'login', username: options.username, remember: true };
      if (options.password !== undefined) login.password = options.password;
      if (options.token !== undefined) login.token = options.token;
      if (this.lastSeqValue > 0) login.resumeFrom = this.lastSeqValue;
      const result = await this.connectAndLogin(options.url, login);
      if (generation !== this.generation) throw new ProtocolError(ErrorCode.NOT_CONNECTED, 'Sign-in was cancelled');
      this.goOnline(result);
      return result;
    } catch (err) {
      if (generation === this.generation) {
        this.teardown();
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
    this.clearReconnect();
    if (this.stateValue.state === 'online' && this.link) {
      this.flushAck();
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
    this.lastSeqValue = 0;
    this.lastAcked = 0;
    this.setOutbox([]);
    this.setState({ state: 'signed-out' });
  }

  /** Closes the socket and stops reconnecting, without logging out; the token is kept. */
  close(): void {
    this.generation++;
    this.flushAck();
    this.teardown();
    if (this.stateValue.state !== 'signed-out') this.setState({ state: 'signed-out' });
  }

  /** From reconnecting or offline: try to reconnect now instead of waiting. No-op otherwise. */
  retry(): void {
    const s = this.stateValue.state;
    if ((s !== 'reconnecting' && s !== 'offline') || this.attemptInFlight) return;
    this.clearReconnect();
    if (s === 'offline') this.attempt = 0;
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
    return this.rawRequest(this.link, command) as Promise<ResultOf<C['type']>>;
  }

  /**
   * Sends a chat message now when online and nothing is waiting in the outbox, else
   * queues it (flushed in order after the next successful resume). Rejects only when
   * the server refuses a message sent now, or when signed out.
   */
  async send(command: ChatCommand): Promise<ChatSendResult> {
    const s = this.stateValue.state;
    if (s === 'signed-out' || s === 'connecting') {
      throw new ProtocolError(ErrorCode.NOT_CONNECTED, 'Sign in before sending messages');
    }
    if (s === 'online' && this.outbox.length === 0 && !this.flushing) {
      const result = (await this.request(command)) as ResultOf<'message'> | ResultOf<'broadcast'> | ResultOf<'message-group'>;
      return { sent: true, result };
    }
    const item: OutboxItem = { localId: `local-${++localIdCounter}`, command, createdAt: this.now() };
    this.setOutbox([...this.outbox, item]);
    if (s === 'online') void this.flushOutbox(this.generation);
    return { sent: false, queued: item };
  }

  // ------------------------------------------------------------ connection internals

  private async connectAndLogin(url: string, login: CommandOf<'login'>): Promise<ResultOf<'login'>> {
    const link = this.open(url);
    await link.hello;
    return (await this.rawRequest(link, login)) as ResultOf<'login'>;
  }

  private open(url: string): Link {
    let socket: SocketLike;
    let helloResolve!: () => void;
    let helloReject!: (err: ProtocolError) => void;
    const hello = new Promise<void>((resolve, reject) => {
      helloResolve = resolve;
      helloReject = reject;
    });
    // A rejection nobody awaits (the link was replaced) must not become "unhandled".
    hello.catch(() => undefined);
    try {
      socket = this.createSocket(url);
    } catch (err) {
      const error = new ProtocolError(ErrorCode.UNREACHABLE, `Cannot open ${url}: ${describe(err)}`);
      helloReject(error);
      return { socket: deadSocket(), url, hello, closed: true };
    }
    const link: Link = { socket, url, hello, closed: false };
    let gotHello = false;
    const helloTimer = this.timers.setTimeout(() => {
      if (gotHello || link.closed) return;
      helloReject(new ProtocolError(ErrorCode.TIMEOUT, `No greeting from ${url} within ${this.requestTimeoutMs} ms`));
      this.dropLink(link, 'No greeting from the server');
    }, this.requestTimeoutMs);
    socket.onmessage = (ev) => {
      if (this.link !== link) return;
      const frame = decodeFrame(ev.data);
      if (!frame) return;
      if (frame.type === 'event' && frame.event === 'hello' && !gotHello) {
        gotHello = true;
        this.timers.clearTimeout(helloTimer);
        helloResolve();
      }
      this.handleFrame(link, frame);
    };
    socket.onclose = (ev) => {
      this.timers.clearTimeout(helloTimer);
      if (link.closed) return;
      link.closed = true;
      const reason = ev.reason || `connection closed (code ${ev.code})`;
      if (!gotHello) helloReject(new ProtocolError(ErrorCode.UNREACHABLE, `Cannot reach ${url}: ${reason}`));
      if (this.link === link) this.onLinkLost(reason);
    };
    socket.onerror = () => {
      // Both browser WebSocket and `ws` follow an error with a close event; handled there.
    };
    this.link = link;
    return link;
  }

  private rawRequest(link: Link, command: Command): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (link.closed || link.socket.readyState !== OPEN) {
        reject(new ProtocolError(ErrorCode.NOT_CONNECTED, 'Not connected to the server'));
        return;
      }
      const id = this.nextId++;
      const timer = this.timers.setTimeout(() => {
        if (!this.pending.delete(id)) return;
        reject(new ProtocolError(ErrorCode.TIMEOUT, `No reply to "${command.type}" within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(id, { type: command.type, resolve, reject, timer });
      try {
        link.socket.send(encodeRequest(id, command));
      } catch (err) {
        this.pending.delete(id);
        this.timers.clearTimeout(timer);
        reject(new ProtocolError(ErrorCode.NOT_CONNECTED, `Send failed: ${describe(err)}`));
      }
    });
  }

  private handleFrame(link: Link, frame: ServerFrame): void {
    if (frame.type === 'reply') {
      if (frame.id === null || typeof frame.id !== 'number') return; // Not one of ours.
      const pending = this.pending.get(frame.id);
      if (!pending) return;
      this.pending.delete(frame.id);
      this.timers.clearTimeout(pending.timer);
      if (!frame.ok) {
        pending.reject(new ProtocolError(frame.error.code, frame.error.message, frame.error.retryAfter));
        return;
      }
      const parsed = resultSchemas[pending.type].safeParse(frame.result);
      if (parsed.success) pending.resolve(parsed.data);
      else pending.reject(new ProtocolError(ErrorCode.INTERNAL, `Malformed "${pending.type}" reply from the server`));
      return;
    }
    if (frame.event === 'message') {
      if (frame.seq <= this.lastSeqValue) return; // A replay of something already processed.
      this.lastSeqValue = frame.seq;
      this.emitEvent(frame);
      this.scheduleAck();
      return;
    }
    this.emitEvent(frame);
    if (frame.event === 'shutdown') {
      // The server is going away: reconnect (with backoff) rather than wait for the close.
      this.dropLink(link, `Server is shutting down: ${frame.reason}`);
    }
  }

  /** Closes a link on our side and treats it as lost. */
  private dropLink(link: Link, reason: string): void {
    if (link.closed) return;
    link.closed = true;
    try {
      link.socket.close(CLOSE_NORMAL, 'client closing');
    } catch {
      // Already closed.
    }
    if (this.link === link) this.onLinkLost(reason);
  }

  /** The current link is gone. Fails in-flight requests; starts reconnecting when we were online. */
  private onLinkLost(reason: string): void {
    this.link = null;
    this.failPending(reason);
    this.clearAckTimer();
    // Only a drop while online starts reconnecting; a failed attempt is rescheduled by
    // reconnect() itself and a failed signIn() rejects to its caller.
    if (this.stateValue.state === 'online') this.scheduleReconnect(reason);
  }

  private scheduleReconnect(lastError: string): void {
    if (!this.url || !this.username) return;
    this.attempt += 1;
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt - 1, 30));
    const spread = base * this.jitter * (2 * this.random() - 1);
    const retryInMs = Math.max(0, Math.min(this.maxMs, Math.round(base + spread)));
    this.setState({
      state: 'reconnecting',
      server: this.url,
      username: this.username,
      attempt: this.attempt,
      retryInMs,
      lastError,
    });
    const generation = this.generation;
    this.clearReconnect();
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = null;
      void this.reconnect(generation);
    }, retryInMs);
  }

  private async reconnect(generation: number): Promise<void> {
    if (generation !== this.generation || !this.url || !this.username) return;
    const url = this.url;
    const username = this.username;
    if (!this.tokenValue) {
      this.setState({ state: 'offline', server: url, username, lastError: 'Signed out by the server: sign in again' });
      return;
    }
    const login: CommandOf<'login'> = {
      type: 'login',
      username,
      token: this.tokenValue,
      remember: true,
      resumeFrom: this.lastSeqValue,
    };
    // Keep showing "reconnecting" while the attempt runs; the timer is null so a drop reschedules.
    if (this.stateValue.state === 'offline') {
      this.setState({ state: 'reconnecting', server: url, username, attempt: this.attempt + 1, retryInMs: 0, lastError: this.stateValue.lastError });
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
    this.attempt = 0;
    if (result.token) {
      this.tokenValue = result.token;
      this.tokenExpiresAtValue = result.tokenExpiresAt ?? null;
    }
    // Deliveries after result.resumeFrom follow; anything at or below it is already handled.
    this.lastSeqValue = Math.max(this.lastSeqValue, result.resumeFrom);
    this.lastAcked = Math.max(this.lastAcked, Math.min(result.resumeFrom, this.lastSeqValue));
    this.setState({ state: 'online', server: this.url ?? '', username: result.username });
    if (this.lastSeqValue > this.lastAcked) this.scheduleAck();
    if (this.outbox.length > 0) void this.flushOutbox(this.generation);
  }

  /** Sends queued items one at a time, oldest first; stops (keeping the rest) if the link drops. */
  private async flushOutbox(generation: number): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (generation === this.generation && this.stateValue.state === 'online') {
        const item = this.outbox[0];
        if (!item) break;
        try {
          await this.request(item.command);
        } catch (err) {
          const error = toProtocolError(err);
          if (error.code === ErrorCode.NOT_CONNECTED || error.code === ErrorCode.TIMEOUT) break;
          // The server refused it (e.g. BLOCKED, UNKNOWN_USER): retrying will not help.
          this.setOutbox(this.outbox.filter((i) => i !== item));
          for (const cb of [...this.outboxFailureListeners]) safeCall(() => cb(item, error.toWire()));
          continue;
        }
        if (generation !== this.generation) break;
        this.setOutbox(this.outbox.filter((i) => i !== item));
      }
    } finally {
      this.flushing = false;
    }
  }

  // ------------------------------------------------------------ acks

  private scheduleAck(): void {
    if (this.ackTimer !== null) return;
    this.ackTimer = this.timers.setTimeout(() => {
      this.ackTimer = null;
      this.flushAck();
    }, this.ackDelayMs);
  }

  private flushAck(): void {
    this.clearAckTimer();
    if (this.lastSeqValue <= this.lastAcked || this.stateValue.state !== 'online' || !this.link) return;
    const seq = this.lastSeqValue;
    this.lastAcked = seq;
    this.rawRequest(this.link, { type: 'ack', seq }).catch(() => {
      // Lost acks are harmless: the resume point is the client's lastSeq, not the server's ack.
    });
  }

  private clearAckTimer(): void {
    if (this.ackTimer !== null) this.timers.clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  // ------------------------------------------------------------ housekeeping

  private teardown(): void {
    this.clearReconnect();
    this.clearAckTimer();
    this.teardownLink();
    this.attempt = 0;
  }

  private teardownLink(): void {
    const link = this.link;
    this.link = null;
    if (link && !link.closed) {
      link.closed = true;
      try {
        link.socket.close(CLOSE_NORMAL, 'client closing');
      } catch {
        // Already closed.
      }
    }
    this.failPending('Connection closed');
  }

  private failPending(reason: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      this.timers.clearTimeout(p.timer);
      p.reject(new ProtocolError(ErrorCode.NOT_CONNECTED, `Connection lost before the reply: ${reason}`));
    }
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private setState(state: ConnectionState): void {
    this.stateValue = state;
    for (const cb of [...this.stateListeners]) safeCall(() => cb(state));
  }

  private setOutbox(items: OutboxItem[]): void {
    const changed = items.length !== this.outbox.length || items.some((item, i) => item !== this.outbox[i]);
    this.outbox = items;
    if (!changed) return;
    const copy = [...items];
    for (const cb of [...this.outboxListeners]) safeCall(() => cb(copy));
  }

  private emitEvent(event: EventFrame): void {
    for (const cb of [...this.eventListeners]) safeCall(() => cb(event));
  }
}

function decodeFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null; // The server only sends text frames.
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = ServerFrame.safeParse(value);
  return parsed.success ? parsed.data : null;
}

function subscribe<T>(set: Set<T>, cb: T): () => void {
  set.add(cb);
  return () => {
    set.delete(cb);
  };
}

/** A listener's exception must not break delivery to the others or the session itself. */
function safeCall(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    console.error('chat session listener failed:', err);
  }
}

function toProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  return new ProtocolError(ErrorCode.INTERNAL, describe(err));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function deadSocket(): SocketLike {
  return {
    readyState: 3,
    send() {},
    close() {},
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
}
