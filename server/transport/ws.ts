// HTTP listener: WebSocket at /ws (one JSON request or server frame per text
// frame), /healthz and /readyz for load balancers (and /metrics when asked, see
// probes.ts), file uploads and downloads under /api/files (files-http.ts), and
// the built web client as static files.
//
// Limits:
// - Frames (messages) over MAX_FRAME_BYTES close the connection with 1009
//   (ws's maxPayload: it stops reading them, so no peer can make the server
//   buffer more than the protocol allows).
// - A connection refused by the connection caps is upgraded and closed at once
//   with 1008 and the coded reason, so browsers can show why.
// - UTF-8 is checked here (not by ws) so a bad frame gets an error reply
//   instead of a dropped connection.
// - Frames are handled a few per event-loop turn, and reading pauses while
//   the connection presses too hard (input-pump.ts).
// - A peer that misses a heartbeat pong is terminated; one whose unsent
//   output exceeds maxSendQueueBytes is terminated as a slow consumer.
//
// Output: every data frame (reply, event, delivery) is framed here (no
// extension is ever negotiated, so a frame is a header and the payload) and a
// turn's frames leave in one socket write (writev) when the turn ends, as on
// TCP; a delivery's frame is built once per message and shared by its recipients.
// ws itself only writes control frames (ping, pong, close); close() writes the
// turn's frames first, and control frames may come between whole messages.
import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { CloseReason, SentResult, type Connection, type ConnectionInput, type OutboundMessage, type WrittenAcks } from '../connection';
import {
  ErrorCode,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  RequestError,
  decodeRequest,
  encodeDelivery,
  encodeError,
  encodeEvent,
  encodeMessageBody,
  encodeOk,
  encodeOkWithMessage,
  type CommandType,
  type EventFrame,
  type RequestId,
  type WireError,
} from '../protocol';
import { Backlog, CATCH_UP_HIGH_WATER, overSendLimit } from './backlog';
import { appendChunk, atEndOfTurn, type TurnFlush, type TurnOutput } from './cork';
import { joinShared } from './shared-join';
import { InputPump, type PumpHooks } from './input-pump';
import { onceDrainedOrClosed, outputPauseBytes } from './output';
import { closingByUs, pumpDrained, socketClosed, type PeerCloseState } from './peer-close';
import { nextConnectionId } from './ids';
import type { ListenerOptions } from './listener';
import { createFilesHandler } from './files-http';
import { originAllowed } from './origin';
import { serveProbe } from './probes';
import { createStaticHandler } from './static';
import { TLS_HANDSHAKE_TIMEOUT_MS, secureContextOptions } from './tls';

export interface WsOptions extends ListenerOptions {
  /** Heartbeat interval (ms): a peer that misses a pong is terminated. */
  heartbeatMs: number;
  webRoot: string | null;
  /** Serve the web client's source maps (development only). Default false. */
  serveSourceMaps?: boolean;
  /** Origins allowed besides none and the request's own host (see origin.ts). Default none. */
  allowedOrigins?: readonly string[];
  /** Serve /metrics here (`--metrics on`). Default false. */
  serveMetrics?: boolean;
  /**
   * How long (ms) a new connection may take to send its first request's
   * headers (`--login-timeout-seconds`); it is closed after that. Default 30 000.
   */
  firstRequestMs?: number;
}

/** The first request's deadline of each connection still waiting for it (see watchFirstRequest). */
const FIRST_REQUEST = Symbol('first request deadline');
type WatchedSocket = net.Socket & { [FIRST_REQUEST]?: NodeJS.Timeout };

/**
 * Security: Node's HTTP server times out headers only once a request has
 * started (headersTimeout counts from its first byte), so a connection that
 * sends nothing at all stays open for ever, and one address could hold sockets
 * (file descriptors) without limit: the per-address caps count only chat
 * connections, from the upgrade on. Every connection therefore gets one
 * deadline for its first request's headers, whether it sends nothing or sends
 * them a byte at a time; later requests on a kept-alive connection are Node's
 * (keepAliveTimeout, headersTimeout, requestTimeout).
 */
function watchFirstRequest(socket: WatchedSocket, ms: number): void {
  // `ms` comes from --login-timeout-seconds, which the config bounds to what a timer can wait.
  const timer = setTimeout(() => socket.destroy(), ms);
  timer.unref();
  socket[FIRST_REQUEST] = timer;
  socket.once('close', () => clearTimeout(timer));
}

/** The first request's headers arrived (a request or an upgrade): the deadline is met. */
function firstRequestArrived(socket: WatchedSocket): void {
  const timer = socket[FIRST_REQUEST];
  if (timer === undefined) return;
  clearTimeout(timer);
  delete socket[FIRST_REQUEST];
}

/** One unmasked, final text frame (RFC 6455 5.2: server frames are never masked) carrying `payload`. */
function textFrame(payload: string): Buffer {
  // One allocation: the header and the UTF-8 payload written in place (a 4 KB message
  // would otherwise cost a payload buffer and a frame buffer, both outside the pool).
  const n = Buffer.byteLength(payload, 'utf8');
  const headerBytes = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerBytes + n);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (n < 126) frame[1] = n;
  else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(n, 6);
  }
  frame.write(payload, headerBytes, 'utf8');
  return frame;
}

class WsConnection implements Connection, PumpHooks<{ data: RawData; isBinary: boolean }>, TurnFlush, PeerCloseState {
  readonly id = nextConnectionId();
  readonly kind = 'ws';
  /** WebSocket clients acknowledge with `ack` once they processed a delivery. */
  readonly acknowledgesOnWrite = false;
  readonly address: string;
  /** Kept as a number; remoteAddress is built when asked (logs, session lists), not held as a string per connection. */
  private readonly port: number | undefined;
  private input!: ConnectionInput;
  /** Frames wait here and are handled a few per turn (see input-pump.ts); made on the first frame and dropped once it has nothing left to do, so an idle connection holds none. */
  private pumpInstance: InputPump<{ data: RawData; isBinary: boolean }> | null = null;
  // PeerCloseState (peer-close.ts): how the session ends when the socket closes.
  closedByUs = false;
  endAfterInput = false;
  alive = true;
  /** Catch-up accounting, made by the first catch-up write (most connections never need one). */
  private backlogInstance: Backlog | null = null;
  /** This turn's frames, written as one chunk when the turn ends (null: nothing yet). */
  private out: TurnOutput<Buffer> | null = null;
  private outBytes = 0;
  /** Callbacks of this turn's catch-up writes, run once its chunk was written (or failed). */
  private outDone: (() => void)[] | null = null;
  /** This turn's frames are live deliveries alone (frames shared by every recipient of their messages). */
  private outShared = true;

  constructor(
    private readonly ws: WebSocket,
    /** The upgraded socket under `ws`, corked per turn to batch writes. */
    private readonly socket: Duplex,
    address: string,
    port: number | undefined,
    private readonly options: WsOptions,
    /** The listener's open connections: this one is in it until it closes. */
    private readonly connections: Set<WsConnection>,
  ) {
    this.address = address;
    this.port = port;
  }

  get remoteAddress(): string {
    return `${this.address}:${this.port ?? '?'}`;
  }

  private get backlog(): Backlog {
    return (this.backlogInstance ??= new Backlog(this.socket));
  }

  private get pump(): InputPump<{ data: RawData; isBinary: boolean }> {
    return (this.pumpInstance ??= new InputPump(this, this.input, outputPauseBytes(this.options.maxSendQueueBytes)));
  }

  // PumpHooks: methods on the prototype rather than closures per connection.
  handle(unit: { data: RawData; isBinary: boolean }): void {
    this.onFrame(unit.data, unit.isBinary);
  }
  pauseReading(): void {
    this.ws.pause();
  }
  resumeReading(): void {
    this.ws.resume();
  }
  outputQueued(): number {
    // Once closing, nothing more is written (and 'drain' may never come): input must not wait for output.
    return this.ws.readyState === this.ws.OPEN ? this.ws.bufferedAmount + this.outBytes : 0;
  }
  onceDrained(fn: () => void): void {
    onceDrainedOrClosed(this.socket, fn);
  }
  /**
   * Whether queued input is still handled (PumpHooks). The peer's close frame makes the
   * socket CLOSING at once, even when frames it sent just before arrived in the same read,
   * and the socket may be gone (CLOSED) before the pump got through them: those are still
   * handled (an ack or a message sent right before quitting counts), their replies dropped.
   * A close we started drops them.
   */
  isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN || !this.closedByUs;
  }
  /** A frame never depends on the answer to an earlier one. */
  awaitsAnswers(): boolean {
    return false;
  }
  pumpIdle(): void {
    this.pumpInstance = null;
    pumpDrained(this, this.input);
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  start(): void {
    const { inbound, log } = this.options;
    this.input = inbound.open(this);
    this.ws.on('pong', () => (this.alive = true));
    this.ws.on('message', (data, isBinary) => {
      this.alive = true;
      this.pump.push({ data, isBinary });
    });
    this.ws.on('error', (err) => log.debug({ conn: this.id, err: err.message }, 'websocket error'));
    this.connections.add(this);
    this.ws.on('close', () => {
      this.connections.delete(this);
      // Frames the peer sent before its close frame are handled first (see isOpen); then the session ends.
      socketClosed(this, this.input, this.pumpInstance !== null);
    });
    this.event({
      type: 'event',
      event: 'hello',
      server: this.options.serverName,
      protocol: PROTOCOL_VERSION,
      allowRegister: this.options.allowRegister,
      maxFrameBytes: MAX_FRAME_BYTES,
      hasAccounts: inbound.hasAccounts,
    });
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    this.alive = true;
    const { input } = this;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (isBinary) {
      return input.reject(null, { code: ErrorCode.BAD_REQUEST, message: 'Binary frames are not supported; send JSON text frames.' });
    }
    // One native check instead of a fatal TextDecoder per connection (less memory per idle connection).
    if (!isUtf8(bytes)) {
      return input.reject(null, { code: ErrorCode.INVALID_UTF8, message: 'The frame is not valid UTF-8; it was ignored.' });
    }
    const text = bytes.toString('utf8');
    try {
      const { id, command } = decodeRequest(text);
      void input.submit(id, command);
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      input.reject(err.id, err.error.toWire());
    }
  }

  reply(id: RequestId | null, _type: CommandType, result: unknown): void {
    if (id === null) return this.send(encodeError(null, { code: ErrorCode.INTERNAL, message: 'reply without id' }));
    // A sent message's body was (or will be, for other WebSocket recipients) encoded for its delivery: reuse it.
    if (result instanceof SentResult) return this.send(encodeOkWithMessage(id, result.outbound.encoded('json', encodeMessageBody), result.rest));
    this.send(encodeOk(id, result));
  }

  replyError(id: RequestId | null, error: WireError): void {
    this.send(encodeError(id, error));
  }

  event(event: EventFrame): void {
    this.send(encodeEvent(event));
  }

  deliver(seq: number, offline: boolean, message: OutboundMessage, _acks?: WrittenAcks, catchUp = false): void {
    // The whole frame (header and payload) is the same bytes for every recipient with
    // this seq and variant: framed once per message, then written as it is. A live
    // delivery's seq is the message's id, so its key is a constant (no string per recipient).
    const key = seq === message.message.id ? (offline ? 'ws offline' : 'ws') : offline ? `ws ${seq} offline` : `ws ${seq}`;
    const frame = message.unit(key) ?? message.keep(key, textFrame(encodeDelivery(seq, offline, message.encoded('json', encodeMessageBody))));
    if (!this.enqueue(frame) || !catchUp) return;
    // A catch-up's messages are this session's own objects: its frames are not shared.
    this.outShared = false;
    (this.outDone ??= []).push(this.backlog.catchUpWrite(frame.length));
  }

  drained(): Promise<void> {
    // A catch-up runs within one turn: past the high-water mark its output is written now, so the socket can push back.
    if (this.outBytes >= CATCH_UP_HIGH_WATER) this.flushTurn();
    return this.backlog.drained(() => this.outputQueued());
  }

  close(reason: string): void {
    closingByUs(this, this.input);
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return;
    // What this turn produced (a logout reply, a shutdown event) goes before the close frame.
    this.flushTurn();
    this.ws.close(reason === CloseReason.shutdown ? 1001 : 1000, reason.slice(0, 120));
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 5_000).unref();
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** Heartbeat: a peer that has not answered the previous ping is dead. */
  ping(): void {
    if (!this.alive) {
      this.options.log.info({ conn: this.id }, 'no heartbeat; closing');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** Sends one text frame carrying `payload` (JSON text). */
  private send(payload: string): void {
    if (this.enqueue(textFrame(payload))) this.outShared = false;
  }

  /** Adds a whole frame to this turn's output; false when the connection is not open (nothing queued). */
  private enqueue(frame: Buffer): boolean {
    if (!this.open) return false;
    if (this.out === null) {
      this.out = frame;
      atEndOfTurn(this);
    } else this.out = appendChunk(this.out, frame);
    this.outBytes += frame.length;
    // Checked once per turn (flush), and here only when this turn's output alone is over the limit.
    if (this.outBytes > this.options.maxSendQueueBytes) return this.checkQueue();
    return true;
  }

  /** A peer that does not read its output is disconnected (a slow consumer must not make the server buffer without limit). */
  private checkQueue(turnBytes = this.outBytes): boolean {
    const queued = this.ws.bufferedAmount + turnBytes;
    if (!overSendLimit(this.backlogInstance, queued, this.options.maxSendQueueBytes)) return true;
    this.options.log.warn({ conn: this.id, queued }, 'slow consumer disconnected');
    this.dropTurn();
    this.ws.terminate();
    return false;
  }

  private dropTurn(): void {
    const done = this.outDone;
    this.out = this.out === null ? null : [];
    this.outBytes = 0;
    this.outDone = null;
    if (done) for (const d of done) d();
  }

  /** Writes this turn's frames as one chunk (TurnFlush: called once the turn ends, or before a close). */
  flushTurn(): void {
    const out = this.out;
    if (out === null) return;
    const done = this.outDone;
    const bytes = this.outBytes;
    const shared = this.outShared;
    this.out = null;
    this.outBytes = 0;
    this.outDone = null;
    this.outShared = true;
    if (Array.isArray(out) && out.length === 0) return;
    if (!this.open || !this.checkQueue(bytes)) {
      if (done) for (const d of done) d();
      return;
    }
    const onWritten = done === null ? undefined : () => done.forEach((d) => d());
    if (!Array.isArray(out) || out.length === 1) {
      this.socket.write(Array.isArray(out) ? out[0]! : out, onWritten);
      return;
    }
    // A fan-out's frames, the same for every recipient of this turn: joined once, one plain write each.
    if (shared) {
      this.socket.write(joinShared(out), onWritten);
      return;
    }
    // Several frames: one writev of the shared frames themselves (no copy into a new buffer per connection).
    this.socket.cork();
    const last = out.length - 1;
    for (let i = 0; i < last; i++) this.socket.write(out[i]!);
    this.socket.write(out[last]!, onWritten);
    this.socket.uncork();
  }
}

export interface WsListener {
  /** An http.Server, or an https.Server when TLS is on. */
  server: net.Server;
  close(): Promise<void>;
}

/**
 * Starts a connection whose upgrade succeeded. A function of its own so the
 * closures a connection keeps do not hold the upgrade request (its headers) alive.
 */
function accept(ws: WebSocket, socket: Duplex, address: string, port: number | undefined, options: WsOptions, connections: Set<WsConnection>): void {
  new WsConnection(ws, socket, address, port, options, connections).start();
}

/** Starts the HTTP + WebSocket listener. */
export function listenWs(options: WsOptions): Promise<WsListener> {
  const { inbound, log } = options;
  const connections = new Set<WsConnection>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    skipUTF8Validation: true,
    perMessageDeflate: false,
    clientTracking: false,
  });

  const serveStatic = createStaticHandler({ root: options.webRoot, serveSourceMaps: options.serveSourceMaps ?? false });
  const serveFiles = createFilesHandler(inbound.files, log);
  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    firstRequestArrived(req.socket);
    if (serveFiles(req, res)) return;
    if (serveProbe(req, res, inbound, options.serveMetrics ?? false)) return;
    serveStatic(req, res);
  };
  const server = options.tls
    ? https.createServer({ ...secureContextOptions(options.tls), handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, handleRequest)
    : http.createServer(handleRequest);
  if (options.tls) {
    server.on('tlsClientError', (err: Error, socket: net.Socket) => {
      log.debug({ err: err.message, remote: socket.remoteAddress }, 'tls handshake failed');
    });
  }

  // The TLS socket (what requests arrive on) exists once the handshake is done; the handshake has its own timeout.
  const firstRequestMs = options.firstRequestMs ?? 30_000;
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: net.Socket) => watchFirstRequest(socket, firstRequestMs));

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    firstRequestArrived(req.socket);
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ws' || inbound.shuttingDown) {
      socket.end(`HTTP/1.1 ${inbound.shuttingDown ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\n\r\n`);
      return;
    }
    if (!originAllowed(req.headers.origin, req.headers.host, options.allowedOrigins ?? [])) {
      log.info({ origin: req.headers.origin?.slice(0, 200), remote: req.socket.remoteAddress }, 'websocket upgrade refused: origin not allowed');
      const body = 'Origin not allowed: this server accepts WebSocket connections from its own pages and --allowed-origin entries.\n';
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    const refusal = inbound.admit(req.socket.remoteAddress ?? '?');
    if (refusal) {
      log.debug({ address: req.socket.remoteAddress, code: refusal.code }, 'websocket connection refused');
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        ws.close(1008, `${refusal.code}: ${refusal.message}`.slice(0, 123));
        setTimeout(() => ws.terminate(), 5_000).unref();
      });
      return;
    }
    const address = req.socket.remoteAddress ?? '?';
    const port = req.socket.remotePort;
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, socket, address, port, options, connections));
  });

  const heartbeat = setInterval(() => {
    for (const conn of connections) conn.ping();
  }, options.heartbeatMs);
  heartbeat.unref();

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error({ err }, 'http server error'));
      resolve({
        server,
        async close() {
          clearInterval(heartbeat);
          await new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          for (const c of connections) c.terminate();
        },
      });
    });
  });
}
