// One physical WebSocket to a chat server: waits for its `hello`, matches
// replies to requests by id (validating each result with the protocol's
// schema), passes events on, and reports the socket's loss. A session makes a
// new Link for every (re)connect; a one-shot exchange uses one Link and closes it.
import {
  encodeRequest,
  ErrorCode,
  ProtocolError,
  resultSchemas,
  ServerFrame,
  type Command,
  type CommandType,
  type EventFrame,
  type EventOf,
  type ResultOf,
  type WireError,
} from '../protocol';
import { describe } from './listeners';
import { CLOSE_NORMAL, type SessionTimers, type SocketFactory, type SocketHandle } from './socket';

export interface LinkOptions {
  createSocket: SocketFactory;
  timers: SessionTimers;
  /** How long to wait for `hello` and for each reply, in ms. */
  timeoutMs: number;
  /** Every event frame (hello included), in arrival order. */
  onEvent?: (event: EventFrame) => void;
  /** The link was lost: the socket closed on its own, or drop() was called. Not called after close(). */
  onLost?: (reason: string) => void;
}

interface Pending {
  type: CommandType;
  resolve(value: unknown): void;
  reject(err: ProtocolError): void;
  timer: unknown;
}

/**
 * Guarantees:
 * - `hello` settles exactly once: with the server's hello event, or with
 *   UNREACHABLE (cannot open, closed first), TIMEOUT or NOT_CONNECTED (closed by us).
 * - Every request settles exactly once: with its validated result, the server's
 *   error, TIMEOUT, or NOT_CONNECTED when the link goes first.
 * - After close() or a loss, nothing more is sent, emitted or reported.
 */
export class Link {
  readonly url: string;
  /** Resolves with the server's `hello`; rejects when the link fails first. */
  readonly hello: Promise<EventOf<'hello'>>;
  private readonly options: LinkOptions;
  private socket: SocketHandle | null = null;
  private isClosed = false;
  private gotHello = false;
  private settleHello!: { resolve(hello: EventOf<'hello'>): void; reject(err: ProtocolError): void };
  private readonly helloTimer: unknown;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(url: string, options: LinkOptions) {
    this.url = url;
    this.options = options;
    this.hello = new Promise((resolve, reject) => (this.settleHello = { resolve, reject }));
    // A rejection nobody awaits (the link was replaced) must not become "unhandled".
    this.hello.catch(() => undefined);
    try {
      this.socket = options.createSocket(url, {
        message: (text) => this.onMessage(text),
        close: (code, reason, refused) => this.onClose(code, reason, refused),
      });
    } catch (err) {
      this.isClosed = true;
      this.settleHello.reject(new ProtocolError(ErrorCode.UNREACHABLE, `Cannot open ${url}: ${describe(err)}`));
      this.helloTimer = null;
      return;
    }
    this.helloTimer = options.timers.setTimeout(() => {
      if (this.gotHello || this.isClosed) return;
      this.settleHello.reject(new ProtocolError(ErrorCode.TIMEOUT, `No greeting from ${url} within ${options.timeoutMs} ms`));
      this.drop('No greeting from the server');
    }, options.timeoutMs);
  }

  /** True once closed or lost. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Sends a command and resolves with its validated result. Rejects with the
   * server's error, TIMEOUT after the link's timeout, or NOT_CONNECTED.
   */
  request<C extends Command>(command: C): Promise<ResultOf<C['type']>> {
    return new Promise((resolve, reject) => {
      const socket = this.socket;
      if (this.isClosed || !socket?.open) {
        reject(new ProtocolError(ErrorCode.NOT_CONNECTED, 'Not connected to the server'));
        return;
      }
      const id = this.nextId++;
      const timer = this.options.timers.setTimeout(() => {
        if (!this.pending.delete(id)) return;
        reject(new ProtocolError(ErrorCode.TIMEOUT, `No reply to "${command.type}" within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.pending.set(id, { type: command.type, resolve: resolve, reject, timer });
      try {
        socket.send(encodeRequest(id, command));
      } catch (err) {
        this.pending.delete(id);
        this.options.timers.clearTimeout(timer);
        reject(new ProtocolError(ErrorCode.NOT_CONNECTED, `Send failed: ${describe(err)}`));
      }
    });
  }

  /** Closes on our side (not reported as a loss); pending requests fail with NOT_CONNECTED. Idempotent. */
  close(reason = 'Connection closed'): void {
    if (this.isClosed) return;
    this.shut();
    this.settleHello.reject(new ProtocolError(ErrorCode.NOT_CONNECTED, reason));
    this.failPending(reason);
  }

  /** Closes on our side and reports it as a loss (no greeting, the server said it is shutting down). */
  drop(reason: string): void {
    if (this.isClosed) return;
    this.shut();
    this.lost(reason);
  }

  private shut(): void {
    this.isClosed = true;
    this.options.timers.clearTimeout(this.helloTimer);
    try {
      this.socket?.close(CLOSE_NORMAL, 'client closing');
    } catch {
      // Already closed.
    }
  }

  private lost(reason: string): void {
    this.failPending(reason);
    this.options.onLost?.(reason);
  }

  private onClose(code: number, reason: string, refused?: WireError): void {
    this.options.timers.clearTimeout(this.helloTimer);
    if (this.isClosed) return;
    this.isClosed = true;
    const why = refused?.message ?? (reason || `connection closed (code ${code})`);
    if (!this.gotHello) {
      this.settleHello.reject(
        refused ? new ProtocolError(refused.code, refused.message) : new ProtocolError(ErrorCode.UNREACHABLE, `Cannot reach ${this.url}: ${why}`),
      );
    }
    this.lost(why);
  }

  private onMessage(text: string): void {
    if (this.isClosed) return;
    const frame = decodeFrame(text);
    if (!frame) return;
    if (frame.type === 'reply') {
      this.onReply(frame);
      return;
    }
    if (frame.event === 'hello' && !this.gotHello) {
      this.gotHello = true;
      this.options.timers.clearTimeout(this.helloTimer);
      this.settleHello.resolve(frame);
    }
    this.options.onEvent?.(frame);
  }

  private onReply(frame: Extract<ServerFrame, { type: 'reply' }>): void {
    if (frame.id === null || typeof frame.id !== 'number') return; // Not one of ours.
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    this.pending.delete(frame.id);
    this.options.timers.clearTimeout(pending.timer);
    if (!frame.ok) {
      pending.reject(new ProtocolError(frame.error.code, frame.error.message, frame.error.retryAfter));
      return;
    }
    const parsed = resultSchemas[pending.type].safeParse(frame.result);
    if (parsed.success) pending.resolve(parsed.data);
    else pending.reject(new ProtocolError(ErrorCode.INTERNAL, `Malformed "${pending.type}" reply from the server`));
  }

  private failPending(reason: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      this.options.timers.clearTimeout(p.timer);
      p.reject(new ProtocolError(ErrorCode.NOT_CONNECTED, `Connection lost before the reply: ${reason}`));
    }
  }
}

/** A server frame validated with the protocol's schema, or null for anything else. */
function decodeFrame(text: string): ServerFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = ServerFrame.safeParse(value);
  return parsed.success ? parsed.data : null;
}
