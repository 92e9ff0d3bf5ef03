// The bottom layer of the server: what a client connection is to the core, in
// both directions. Transports implement Connection (outbound: replies, events,
// deliveries) and call the core only through Inbound; commands and services see
// the per-connection Client and the handler context. Imports only the protocol.
import type { Readable } from 'node:stream';
import type { Attachment, ChatMessage, Command, CommandType, EventFrame, RequestId, WireError } from './protocol';

/**
 * A message prepared for fan-out: each wire format encodes its body at most once,
 * however many recipients it goes to (Ergo's message cache idea). The key names
 * the encoding (a transport may keep several, e.g. online and offline lines).
 */
export class OutboundMessage {
  // The first body and the first unit sit in fields: a private message has one
  // recipient and needs one of each, so only fan-outs allocate the maps.
  private bodyKey: string | null = null;
  private body = '';
  private bodies: Map<string, string> | null = null;
  private unitKey: string | null = null;
  private firstUnit: Buffer | null = null;
  private units: Map<string, Buffer> | null = null;

  constructor(readonly message: ChatMessage) {}

  /** The body encoded by `encode`, computed on first use per key. */
  encoded(key: string, encode: (message: ChatMessage) => string): string {
    if (key === this.bodyKey) return this.body;
    const known = this.bodies?.get(key);
    if (known !== undefined) return known;
    const body = encode(this.message);
    if (this.bodyKey === null) {
      this.bodyKey = key;
      this.body = body;
    } else (this.bodies ??= new Map()).set(key, body);
    return body;
  }

  /**
   * The whole wire unit (a line, a frame) kept under `key`, or undefined: the
   * caller then builds it and hands it to keep(). Units are shared by every
   * recipient, so the key must name everything a unit depends on (seq, offline,
   * format), and the bytes are never modified once kept. (A lookup and a keep
   * rather than a build callback: no closure per delivery.)
   */
  unit(key: string): Buffer | undefined {
    return key === this.unitKey ? (this.firstUnit as Buffer) : this.units?.get(key);
  }

  /** Keeps `unit` under `key` for the next recipients; returns it. */
  keep(key: string, unit: Buffer): Buffer {
    if (this.unitKey === null) {
      this.unitKey = key;
      this.firstUnit = unit;
    } else (this.units ??= new Map()).set(key, unit);
    return unit;
  }
}

/**
 * The result of a command that delivered a message (message, broadcast, message
 * group, reply): `message` first, then the command's own fields, as the plain
 * object would be, and also the OutboundMessage its recipients were handed, so a
 * transport replies with the body it already encoded for them instead of
 * encoding the message a second time. That reference is a private field: JSON,
 * equality and the text codec see only `message` and the rest.
 */
export class SentResult {
  readonly #outbound: OutboundMessage;
  readonly #rest: object;
  readonly message: ChatMessage;

  private constructor(outbound: OutboundMessage, rest: object) {
    this.#outbound = outbound;
    this.#rest = rest;
    this.message = outbound.message;
    Object.assign(this, rest);
  }

  /** `{ message: outbound.message, ...rest }`, holding `outbound`. */
  static of<R extends object>(outbound: OutboundMessage, rest: R): SentResult & R {
    return new SentResult(outbound, rest) as SentResult & R;
  }

  /** The message as delivered (its encoded bodies are shared). */
  get outbound(): OutboundMessage {
    return this.#outbound;
  }

  /** The fields after `message`. */
  get rest(): object {
    return this.#rest;
  }
}

/**
 * Close reasons the transports recognise: they already told the client why
 * (a logout reply, a shutdown event) or it asked to end (its end of input), so
 * no "Disconnected" line is added, and
 * WebSocket uses 1001 (going away) for a shutdown.
 */
export const CloseReason = {
  logout: 'logout',
  shutdown: 'server shutting down',
  passwordChanged: 'password changed: sign in again',
  /** TCP: the client ended its input (half-close) and everything it sent was answered. */
  inputEnded: 'end of input',
} as const;

/**
 * A client connection as the core sees it: whole messages out, whatever the
 * framing. Each transport renders replies and events in its own wire format.
 */
export interface Connection {
  /** Process-unique id, for logs. */
  readonly id: number;
  /** Transport name for logs ('tcp', 'ws'); the core never branches on it. */
  readonly kind: string;
  readonly remoteAddress: string;
  /** The peer's IP address alone: the key of the per-address limits. */
  readonly address: string;
  /** False once closed; sends after that are dropped. */
  readonly open: boolean;
  /**
   * True when the client cannot acknowledge deliveries itself (a line-protocol
   * client just reads): a delivery then counts as acknowledged once its bytes
   * were handed to the kernel, reported through deliver()'s `acks`.
   */
  readonly acknowledgesOnWrite: boolean;

  /** Answers a request. `id` is null for TCP (replies follow commands in order) and for frames without a usable id. */
  reply(id: RequestId | null, type: CommandType, result: unknown): void;
  replyError(id: RequestId | null, error: WireError): void;
  /** Pushes an event (not `message`: deliveries go through deliver()). */
  event(event: EventFrame): void;
  /**
   * Delivers a chat message. `acks.writtenUpTo(seq)` runs once the bytes were
   * handed to the kernel; `acks` is passed only to connections that acknowledge
   * on write, and may be told once for several deliveries written together (the
   * highest seq among them: acknowledgements are cumulative).
   * `catchUp`: part of a catch-up the server streams with drained(); such
   * writes never count against the slow-consumer limit.
   */
  deliver(seq: number, offline: boolean, message: OutboundMessage, acks?: WrittenAcks, catchUp?: boolean): void;
  /** Resolves once little output is queued (at once when so), or the connection is gone: a catch-up waits on it between messages. */
  drained(): Promise<void>;
  /** Closes after flushing what is queued. */
  close(reason: string): void;
}

/**
 * Told which deliveries were written, for connections that acknowledge on
 * write (the session itself: an object with a method rather than a closure per
 * session, which every idle signed-in connection would hold).
 */
export interface WrittenAcks {
  /** Deliveries up to `seq` were handed to the kernel. */
  writtenUpTo(seq: number): void;
}

/** How a submitted command ended; its reply has been written by then. */
export type Outcome = { ok: true; type: CommandType; result: unknown } | { ok: false; error: WireError };

/** What a transport calls for one of its connections, from open to close. */
export interface ConnectionInput {
  /** Runs a decoded command; resolves after its reply was written. Commands of a connection run one at a time, in order. */
  submit(id: RequestId | null, command: Command): Promise<Outcome>;
  /** Input that could not be decoded: answered with `error`, in order with earlier replies; counts against the rate limit. */
  reject(id: RequestId | null, error: WireError): void;
  /**
   * Counts input the transport answers itself (the TCP sign-in prompts) against
   * the rate limit, like a command. When refused, `answer` says whether to write
   * the error (refusals in a row beyond a bound are dropped silently, and a
   * flood of them closes the connection).
   */
  charge(): { refused: false } | { refused: true; error: WireError; answer: boolean };
  /** Milliseconds until the rate limit lets input through (0 = now), and commands queued or running. */
  pressure(): { backoffMs: number; inFlight: number };
  /** Resolves once every command submitted so far has finished. */
  drained(): Promise<void>;
  /** The connection is gone: ends its session at once. Idempotent. */
  closed(why: string): Promise<void>;
}

/** The core as transports see it: the narrow inbound interface. */
export interface Inbound {
  /**
   * Asks whether a new connection from `address` (an IP) may open, before the
   * transport spends anything on it: null, or the TOO_MANY_CONNECTIONS error to
   * refuse it with. The answer holds until open() within the same turn.
   */
  admit(address: string): WireError | null;
  /** Registers a new connection; the core closes it if nobody signs in on it in time. */
  open(connection: Connection): ConnectionInput;
  /** True once the node is stopping (health checks answer 503, new connections are refused). */
  readonly shuttingDown: boolean;
  /** False while the store has no accounts (announced in `hello`; re-checked about every second). */
  readonly hasAccounts: boolean;
  /** Counts for `/healthz`. */
  health(): { connections: number; sessions: number };
  /** For `/readyz`: whether the store (and the bus) answer right now, with each check's result ('ok' or why not). */
  readiness(): Promise<Readiness>;
  /** The Prometheus exposition (`/metrics`). */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** What the HTTP listener serves under /api/files. */
  readonly files: FileEndpoints;
}

export interface Readiness {
  ready: boolean;
  /** 'ok', or the reason the check failed; keyed by what was checked ('store', 'bus'). */
  checks: Record<string, string>;
}

/** A file's bytes and headers, once a download's credentials were checked. */
export interface DownloadableFile {
  name: string;
  /** Media type sniffed at upload. */
  type: string;
  size: number;
  /** Shown in the browser (raster images); anything else is sent as an attachment. */
  inline: boolean;
  /** Strong ETag (quoted content hash). */
  etag: string;
  /** Bytes start..end, inclusive. */
  read(start: number, end: number): Readable;
}

/**
 * The core's side of /api/files (services/files.ts holds the rules). Expected
 * failures are ProtocolErrors: BAD_REQUEST, FILE_TOO_LARGE, QUOTA_EXCEEDED.
 */
export interface FileEndpoints {
  /** Largest upload in bytes. */
  readonly maxUploadBytes: number;
  /** The user of a sign-in token, or null when it is unknown, expired or revoked. */
  userForToken(token: string): Promise<string | null>;
  /** Bytes `user` may still upload under their quota, or null without a quota. */
  quotaLeft(user: string): Promise<number | null>;
  /** Stores an upload streamed from `body`; never buffers it whole. */
  upload(user: string, name: string, body: AsyncIterable<Uint8Array>): Promise<Attachment>;
  /** The file (or its thumbnail, or its avatar picture) if the credentials reach it, else null (answered 404). */
  open(
    id: string,
    variant: 'file' | 'thumbnail' | 'avatar',
    access: { user: string } | { expires: number; signature: string },
  ): Promise<DownloadableFile | null>;
}

/** The signed-in session of a client, as commands see it (services/session.ts implements it). */
export interface SessionHandle {
  readonly username: string;
  /** Records that deliveries up to `seq` were processed; resolves, once that is durable, with the highest acknowledged seq (never beyond what was sent). */
  acknowledge(seq: number): Promise<number>;
  /** Stops deliveries and stores the last acknowledgement. Idempotent. */
  end(): Promise<void>;
}

/** Per-connection state, owned by the core. */
export interface Client {
  readonly connection: Connection;
  session: SessionHandle | null;
  /** A sign-in is in progress (a second one is refused until it ends). */
  signingIn: boolean;
  /** Set once the connection closed; a sign-in finishing after that is undone. */
  closed: boolean;
  /** The sign-in token this session used or was issued; revoked on logout. */
  token: string | null;
}

/**
 * The order in which a connection's pipelined commands (consecutive sends) reach
 * the store: each waits for the one before it to have issued its write, so the
 * writes keep command order although the commands run concurrently.
 */
export interface StoreTurn {
  /** Resolves once the previous pipelined command of this connection has issued its write (or given up). */
  wait(): Promise<void>;
  /** This command has issued its write, or will issue none: the next may go. Idempotent. */
  done(): void;
}

/** What a command handler sees, besides the services (`S`) it may use. */
export interface HandlerContext<S> {
  services: S;
  client: Client;
  /** The signed-in user (handlers with needsAuth only). */
  user: string;
  /** Runs after the reply is written (e.g. replaying the mailbox after a sign-in reply). */
  afterReply(fn: () => void): void;
  /** Keeps this command's store write in command order with the connection's other pipelined commands. */
  turn: StoreTurn;
}
