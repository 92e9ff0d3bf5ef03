// Plain TCP line protocol, usable with `nc` or telnet: framing (one line per
// message) plus the text wire adapter. The adapter owns the sign-in prompts
// (username, then password), renders replies, events and deliveries as lines,
// and acknowledges deliveries on write: a line client cannot send `ack`.
//
// Framing rules:
// - A line ends with LF (a preceding CR is dropped). Lines longer than
//   MAX_FRAME_BYTES get FRAME_TOO_LARGE and are skipped up to the next LF.
// - Bytes that are not valid UTF-8 get INVALID_UTF8; the session stays usable.
// - Output beyond maxSendQueueBytes not yet taken by the peer disconnects it
//   (a slow consumer must not make the server buffer without limit).
// - Output of one event-loop turn is collected and written once when the turn
//   ends (one write and one write callback per connection per turn, however
//   many lines); delivery lines are shared bytes, built once per message.
// - Lines are handled a few per event-loop turn, and reading pauses while the
//   connection presses too hard (input-pump.ts).
// - A connection with no bytes in or out for idleMs is closed; one sweep per
//   listener checks every connection (no timer per socket).
// - A peer that half-closes (`nc -N`, a script's end of input) still gets its
//   input handled in order and answered; then the server closes its side. A
//   peer that closes altogether still has its input run (replies dropped).
import { isUtf8 } from 'node:buffer';
import net from 'node:net';
import tls from 'node:tls';
import { CloseReason, type Connection, type ConnectionInput, type OutboundMessage, type WrittenAcks } from '../connection';
import {
  ErrorCode,
  MAX_FRAME_BYTES,
  MAX_PASSWORD_LENGTH,
  Password,
  ProtocolError,
  Username,
  formatDeliveryBody,
  formatError,
  formatEvent,
  formatResult,
  parseTextCommand,
  type Command,
  type CommandType,
  type EventFrame,
  type RequestId,
  type ResultOf,
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
import { TLS_HANDSHAKE_TIMEOUT_MS, secureContextOptions } from './tls';

const LF = 0x0a;

type PromptState =
  | { kind: 'username' }
  | { kind: 'password'; username: string }
  | { kind: 'register-username' }
  | { kind: 'register-password'; username: string }
  | { kind: 'authenticating'; username: string; registering: boolean }
  | { kind: 'ready' };

// The states that carry no data are shared objects: every signed-in connection
// points at the same READY instead of holding an object of its own.
const USERNAME: PromptState = Object.freeze({ kind: 'username' });
const REGISTER_USERNAME: PromptState = Object.freeze({ kind: 'register-username' });
const READY: PromptState = Object.freeze({ kind: 'ready' });

/**
 * Whole milliseconds since this module loaded: small enough for V8 to keep in a
 * connection's field as a small integer for 24 days, where Date.now() (or a
 * difference of two, which V8 leaves a double) would be a boxed heap number of
 * its own on every connection.
 */
const EPOCH = Date.now();
/**
 * Stands in the pump for a line over MAX_FRAME_BYTES (known by identity, not
 * content), so its FRAME_TOO_LARGE comes after the replies to the lines before it.
 */
const TOO_LONG = Buffer.alloc(0);
function clock(): number {
  return Math.floor(Date.now() - EPOCH);
}

/** Where a socket's connection is kept, so the socket's listeners can be shared functions instead of closures per connection. */
const CONNECTION = Symbol('tcp connection');
type ConnectedSocket = net.Socket & { [CONNECTION]: TcpConnection };

// Listeners every socket shares (`this` is the socket).
function onSocketData(this: ConnectedSocket, chunk: Buffer): void {
  this[CONNECTION].onData(chunk);
}
function onSocketError(this: ConnectedSocket, err: Error): void {
  const conn = this[CONNECTION];
  conn.options.log.debug({ conn: conn.id, err: err.message }, 'tcp socket error');
}
function onSocketClose(this: ConnectedSocket): void {
  this[CONNECTION].closed();
}
function onSocketEnd(this: ConnectedSocket): void {
  this[CONNECTION].inputEnded();
}

export interface TcpOptions extends ListenerOptions {
  /** A connection silent this long (ms) is closed. */
  idleMs: number;
  /**
   * Base URL of the HTTP port for attachment links on this connection's lines,
   * given the local address the client reached (e.g. `http://192.0.2.1:4001`).
   */
  fileLinkBase: (localAddress: string) => string;
}

class TcpConnection implements Connection, PumpHooks<Buffer>, TurnFlush, PeerCloseState {
  readonly id = nextConnectionId();
  readonly kind = 'tcp';
  readonly acknowledgesOnWrite = true;
  readonly address: string;
  /** Kept as a number; remoteAddress is built when asked (logs, session lists), not held as a string per connection. */
  private readonly port: number | undefined;
  private input!: ConnectionInput;
  private state: PromptState = USERNAME;
  private chunks: Buffer[] | null = null;
  private buffered = 0;
  private discarding = false;
  /** Catch-up accounting, made by the first catch-up write (most connections never need one). */
  private backlogInstance: Backlog | null = null;
  /**
   * Lines wait here and are handled a few per turn (see input-pump.ts); made on
   * the first line and dropped again once it has nothing left to do, so an idle
   * connection holds no pump.
   */
  private pumpInstance: InputPump<Buffer> | null = null;
  /** This turn's output, written as one chunk when the turn ends (null: nothing yet). */
  private out: TurnOutput<string | Buffer> | null = null;
  private outBytes = 0;
  /** Callbacks of this turn's writes, run in order once its chunk was written (or failed). */
  private outDone: ((failed: boolean) => void)[] | null = null;
  /** The highest delivery of this turn to acknowledge once written, and who to tell. */
  private ackSeq = 0;
  private ackTo: WrittenAcks | null = null;

  /** The peer shut its sending side (half-close, e.g. `nc -N` at the end of its input): close once what it sent is answered. */
  private peerEnded = false;
  /** Waiting for the commands submitted so far before closing after the peer's end. */
  private finishing = false;
  // PeerCloseState (peer-close.ts): how the session ends when the socket closes.
  closedByUs = false;
  endAfterInput = false;

  /** When bytes last came in or went out (clock()); the listener's idle sweep closes a connection silent for idleMs. */
  private lastActive = clock();

  constructor(
    private readonly socket: net.Socket,
    readonly options: TcpOptions,
    /** The listener's connections that the idle sweep watches: this one is in it until it closes. */
    private readonly live: Set<TcpConnection>,
  ) {
    this.address = socket.remoteAddress ?? '?';
    this.port = socket.remotePort;
  }

  get remoteAddress(): string {
    return `${this.address}:${this.port ?? '?'}`;
  }

  private get backlog(): Backlog {
    return (this.backlogInstance ??= new Backlog(this.socket));
  }

  private get pump(): InputPump<Buffer> {
    return (this.pumpInstance ??= new InputPump<Buffer>(this, this.input, outputPauseBytes(this.options.maxSendQueueBytes)));
  }

  // PumpHooks: methods on the prototype rather than closures per connection.
  handle(line: Buffer): void {
    if (line === TOO_LONG) return this.tooLong();
    this.onLine(line);
  }
  pauseReading(): void {
    this.socket.pause();
  }
  resumeReading(): void {
    this.socket.resume();
  }
  outputQueued(): number {
    // Once closed nothing more is written: input must not wait for output.
    return this.open ? this.socket.writableLength + this.outBytes : 0;
  }
  onceDrained(fn: () => void): void {
    onceDrainedOrClosed(this.socket, fn);
  }
  /** Whether queued lines are still handled: yes until we close (a peer that left still has its input run). */
  isOpen(): boolean {
    return this.open || !this.closedByUs;
  }
  /** Lines typed while a sign-in is checked wait in the pump: its outcome decides how they are read. */
  awaitsAnswers(): boolean {
    return this.state.kind === 'authenticating';
  }
  pumpIdle(): void {
    this.pumpInstance = null;
    if (!pumpDrained(this, this.input)) this.finishIfEnded();
  }

  /** Prefix of attachment links on this connection's lines (listenTcp shares one string per local address). */
  private linkBase(): string {
    return this.options.fileLinkBase(this.socket.localAddress ?? '127.0.0.1');
  }

  get open(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  start(): void {
    const { inbound, serverName, allowRegister } = this.options;
    this.input = inbound.open(this);
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 30_000);
    // Idleness is checked by one sweep per listener (listenTcp), not a timer per socket.
    this.live.add(this);
    const socket = this.socket as ConnectedSocket;
    socket[CONNECTION] = this;
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('end', onSocketEnd);
    this.writeLine(`Welcome to ${serverName}. Sign in below; type "help" once signed in.`);
    if (!inbound.hasAccounts) {
      this.writeLine(
        allowRegister
          ? 'This server has no accounts yet: be the first, type "register" at the username prompt.'
          : 'This server has no accounts yet. Its administrator adds one with "adduser NAME" (or "users add NAME"), a --users file, or --allow-register.',
      );
    } else if (allowRegister) this.writeLine('New here? Type "register" at the username prompt to create an account.');
    this.prompt();
  }

  // ---------------------------------------------------------------- input

  /**
   * The socket closed (its 'close' event). When the peer went away (not a close
   * of ours), what it sent before still runs, as after a half-close: lines still
   * queued are handled (their replies dropped), then the session ends once the
   * commands submitted so far ran (the core refuses queued commands once told).
   */
  closed(): void {
    this.live.delete(this);
    socketClosed(this, this.input, this.pumpInstance !== null);
  }

  /**
   * The peer sent its last bytes (its 'end'; the listener allows half-open
   * sockets). A last line without LF still counts as a line. What it sent goes
   * through the pump as any input (same order, queue and rate limits); once
   * every line was handled and every command answered, the connection closes.
   */
  inputEnded(): void {
    this.peerEnded = true;
    if (this.chunks !== null && !this.discarding) {
      const last = Buffer.concat(this.chunks);
      this.chunks = null;
      this.buffered = 0;
      this.pump.push(last);
    }
    this.finishIfEnded();
  }

  /**
   * After the peer's end: closes once no line waits (the pump is gone), no
   * sign-in is being checked and every submitted command has been answered.
   * Called again by each step that may be the last (pump idle, sign-in answered).
   */
  private finishIfEnded(): void {
    if (!this.peerEnded || this.finishing || !this.open) return;
    if (this.pumpInstance !== null || this.state.kind === 'authenticating') return;
    this.finishing = true;
    void this.input.drained().then(() => {
      this.finishing = false;
      if (this.pumpInstance === null && this.state.kind !== 'authenticating') this.close(CloseReason.inputEnded);
    });
  }

  /** Closes the connection when nothing came in or went out for idleMs (called by the listener's sweep). */
  closeIfIdle(now: number): void {
    if (now - this.lastActive < this.options.idleMs) return;
    this.live.delete(this);
    this.close('idle for too long');
  }

  onData(chunk: Buffer): void {
    this.lastActive = clock();
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) break;
      const piece = chunk.subarray(start, lf);
      start = lf + 1;
      if (this.discarding) {
        this.discarding = false;
        this.chunks = null;
        this.buffered = 0;
        continue;
      }
      if (this.buffered + piece.length > MAX_FRAME_BYTES) {
        this.chunks = null;
        this.buffered = 0;
        this.pump.push(TOO_LONG);
        continue;
      }
      const line = this.chunks === null ? piece : Buffer.concat([...this.chunks, piece]);
      this.chunks = null;
      this.buffered = 0;
      this.pump.push(line);
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0 || this.discarding) return;
    if (this.buffered + rest.length > MAX_FRAME_BYTES) {
      // Answer it in its turn (after the lines before it), then drop everything up to the next line end.
      this.chunks = null;
      this.buffered = 0;
      this.discarding = true;
      this.pump.push(TOO_LONG);
      return;
    }
    // Copy: the chunk's memory may be reused by the caller.
    (this.chunks ??= []).push(Buffer.from(rest));
    this.buffered += rest.length;
  }

  private tooLong(): void {
    this.rejectLine({ code: ErrorCode.FRAME_TOO_LARGE, message: `Line longer than ${MAX_FRAME_BYTES} bytes; it was ignored.` });
  }

  /**
   * Answers a line that could not be read. Signed in (or signing in), the error
   * goes through the command queue to stay in order with earlier replies. At a
   * prompt nothing is queued, so the error is written now and the prompt shown
   * again after it (queueing it would print the prompt before the error).
   */
  private rejectLine(error: WireError): void {
    if (this.state.kind === 'ready' || this.state.kind === 'authenticating') {
      this.input.reject(null, error);
      return;
    }
    this.writeLine(formatError(error));
    this.prompt();
  }

  private onLine(raw: Buffer): void {
    // One native check instead of a fatal TextDecoder per connection (less memory per idle connection).
    if (!isUtf8(raw)) {
      this.rejectLine({ code: ErrorCode.INVALID_UTF8, message: 'The line is not valid UTF-8; it was ignored.' });
      return;
    }
    let line = raw.toString('utf8');
    // As TextDecoder did: a leading byte-order mark is not part of the line.
    if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (this.state.kind === 'ready') return this.onCommandLine(line);
    // Prompt lines are answered here, not by the dispatcher: count them like
    // commands (a password line that becomes a sign-in is counted as that command).
    const submitsSignIn = (this.state.kind === 'password' || this.state.kind === 'register-password') && Password.safeParse(line).success;
    const charge = submitsSignIn ? null : this.input.charge();
    if (charge?.refused) {
      if (charge.answer) this.rejectLine(charge.error);
      return;
    }
    switch (this.state.kind) {
      case 'username':
        return this.onUsername(line.trim());
      case 'register-username':
        return this.onRegisterUsername(line.trim());
      case 'password':
      case 'register-password':
        return this.onPassword(line, this.state.username, this.state.kind === 'register-password');
    }
  }

  private onCommandLine(line: string): void {
    if (line.trim() === '') return;
    try {
      void this.input.submit(null, parseTextCommand(line));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.input.reject(null, err.toWire());
    }
  }

  private onUsername(name: string): void {
    if (name === '') return this.prompt();
    if (name.toLowerCase() === 'register' && this.options.allowRegister) {
      this.state = REGISTER_USERNAME;
      return this.prompt();
    }
    if (!this.acceptableUsername(name)) return;
    this.state = { kind: 'password', username: name };
    this.prompt();
  }

  /** Says why and prompts again when `name` cannot be a username. */
  private acceptableUsername(name: string): boolean {
    if (Username.safeParse(name).success) return true;
    this.writeLine(formatError({ code: ErrorCode.BAD_REQUEST, message: 'Usernames are 1-32 letters, digits, "_", "." or "-".' }));
    this.prompt();
    return false;
  }

  private onRegisterUsername(name: string): void {
    if (!this.acceptableUsername(name)) return;
    this.state = { kind: 'register-password', username: name };
    this.prompt();
  }

  private onPassword(password: string, username: string, registering: boolean): void {
    if (!Password.safeParse(password).success) {
      this.writeLine(formatError({ code: ErrorCode.BAD_REQUEST, message: `Passwords are 1-${MAX_PASSWORD_LENGTH} characters.` }));
      return this.prompt();
    }
    void this.signIn(username, registering, registering ? { type: 'register', username, password } : { type: 'login', username, password });
  }

  /**
   * Runs the sign-in typed at the prompts. Its reply (welcome or error) is
   * written by the core; the outcome then decides the next prompt: a wrong
   * password asks for the password again, anything else starts over. A
   * registration asks again only for what was refused: a taken name for a new
   * name, a refused password (too short, too common) for another password.
   */
  private async signIn(username: string, registering: boolean, command: Command): Promise<void> {
    this.state = { kind: 'authenticating', username, registering };
    const outcome = await this.input.submit(null, command);
    if (outcome.ok) {
      this.state = READY;
    } else {
      const { code } = outcome.error;
      // A wrong password, or a refusal to try now (busy, over a budget), asks for the password again.
      const retryPassword = code === ErrorCode.INVALID_CREDENTIALS || code === ErrorCode.RATE_LIMITED || code === ErrorCode.SERVER_BUSY;
      if (!registering) this.state = retryPassword ? { kind: 'password', username } : USERNAME;
      else if (code === ErrorCode.REGISTRATION_DISABLED) this.state = USERNAME;
      else this.state = code === ErrorCode.USERNAME_TAKEN ? REGISTER_USERNAME : { kind: 'register-password', username };
      this.prompt();
    }
    this.finishIfEnded();
  }

  private prompt(): void {
    const text: Record<PromptState['kind'], string> = {
      username: 'Username: ',
      password: 'Password: ',
      'register-username': 'New username: ',
      'register-password': 'Choose a password: ',
      authenticating: '',
      ready: '',
    };
    this.write(text[this.state.kind]);
  }

  // ---------------------------------------------------------------- output

  reply(_id: RequestId | null, type: CommandType, result: unknown): void {
    for (const line of formatResult(type, result as ResultOf<CommandType>, undefined, this.linkBase())) this.writeLine(line);
  }

  replyError(_id: RequestId | null, error: WireError): void {
    this.writeLine(formatError(error));
  }

  event(event: EventFrame): void {
    const line = formatEvent(event);
    if (line !== null && (this.state.kind === 'ready' || event.event === 'shutdown')) this.writeLine(line);
  }

  deliver(seq: number, offline: boolean, message: OutboundMessage, acks?: WrittenAcks, catchUp = false): void {
    // A delivery line is the same bytes for every recipient of a message with the same
    // seq and variant (online, offline); links to attachments also depend on the
    // address the client reached (clients on one address share them).
    // A live delivery's seq is the message's id: without links its key is a constant (no string per recipient).
    const base = message.message.attachments?.length ? this.linkBase() : '';
    const key = seq === message.message.id && base === '' ? (offline ? 'text offline' : 'text') : `text ${seq} ${offline ? 'offline' : 'online'} ${base}`;
    const line = message.unit(key) ?? message.keep(key, Buffer.from(`#${seq} ${formatDeliveryBody(offline, message.message, undefined, base)}\n`, 'utf8'));
    if (!this.enqueue(line)) return;
    if (acks) {
      // Acknowledgements are cumulative: the turn's last delivery stands for the earlier ones.
      this.ackSeq = seq;
      this.ackTo = acks;
    }
    if (catchUp) {
      const flushed = this.backlog.catchUpWrite(line.length);
      (this.outDone ??= []).push(flushed);
    }
  }

  drained(): Promise<void> {
    // A catch-up runs within one turn: past the high-water mark its output is written now, so the socket can push back.
    if (this.outBytes >= CATCH_UP_HIGH_WATER) this.flushTurn();
    return this.backlog.drained(() => this.socket.writableLength + this.outBytes);
  }

  close(reason: string): void {
    closingByUs(this, this.input);
    if (this.socket.destroyed) return;
    this.options.log.debug({ conn: this.id, reason }, 'closing tcp connection');
    if (reason !== CloseReason.logout && reason !== CloseReason.shutdown && reason !== CloseReason.inputEnded) this.writeLine(`Disconnected: ${reason}.`);
    this.flushTurn();
    this.socket.end();
    // A peer that never reads would keep the socket half-closed forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }

  private writeLine(line: string, onWritten?: () => void): void {
    this.write(`${line}\n`, onWritten);
  }

  private write(text: string, onWritten?: () => void): void {
    if (text === '' || !this.enqueue(text)) return;
    if (onWritten) (this.outDone ??= []).push((failed) => failed || onWritten());
  }

  /** Adds `chunk` to this turn's output; false when the connection is closed (nothing queued). */
  private enqueue(chunk: string | Buffer): boolean {
    if (!this.open) return false;
    if (this.out === null) {
      this.out = chunk;
      atEndOfTurn(this);
    } else this.out = appendChunk(this.out, chunk);
    this.outBytes += chunk.length;
    // Checked once per turn (flush), and here only against this turn's output alone.
    if (this.outBytes > this.options.maxSendQueueBytes) return this.checkQueue();
    return true;
  }

  /** A peer that does not read its output is disconnected (a slow consumer must not make the server buffer without limit). */
  private checkQueue(turnBytes = this.outBytes): boolean {
    const queued = this.socket.writableLength + turnBytes;
    if (!overSendLimit(this.backlogInstance, queued, this.options.maxSendQueueBytes)) return true;
    this.options.log.warn({ conn: this.id, queued }, 'slow consumer disconnected');
    this.out = [];
    this.outDone = null;
    closingByUs(this, this.input);
    this.socket.destroy();
    return false;
  }

  /** Writes this turn's output as one chunk, with one callback for its writes' callbacks and acknowledgements. */
  flushTurn(): void {
    const out = this.out;
    if (out === null) return;
    const done = this.outDone;
    const ackTo = this.ackTo;
    const ackSeq = this.ackSeq;
    const bytes = this.outBytes;
    this.out = null;
    this.outBytes = 0;
    this.outDone = null;
    this.ackTo = null;
    if (Array.isArray(out) && out.length === 0) return;
    if (!this.open || !this.checkQueue(bytes)) {
      if (done) for (const d of done) d(true);
      return;
    }
    this.lastActive = clock();
    const chunk = !Array.isArray(out) ? out : out.length === 1 ? out[0]! : onlyBuffers(out) ? joinShared(out) : joinChunks(out);
    if (done === null && !ackTo) {
      this.socket.write(chunk);
      return;
    }
    this.socket.write(chunk, (err) => {
      if (done) for (const d of done) d(!!err);
      if (!err && ackTo) ackTo.writtenUpTo(ackSeq);
    });
  }
}

/** Whether a turn's output is delivery lines alone (shared buffers: a fan-out's recipients join them once, see shared-join.ts). */
function onlyBuffers(out: readonly (string | Buffer)[]): out is Buffer[] {
  for (const c of out) if (typeof c === 'string') return false;
  return true;
}

/** The turn's lines as one buffer: each string is encoded straight into it (no buffer per line, then a copy). */
function joinChunks(out: readonly (string | Buffer)[]): Buffer {
  let most = 0;
  for (const c of out) most += typeof c === 'string' ? c.length * 3 : c.length;
  const joined = Buffer.allocUnsafe(most);
  let at = 0;
  for (const c of out) at += typeof c === 'string' ? joined.write(c, at) : c.copy(joined, at);
  return joined.subarray(0, at);
}

/**
 * Starts the TCP listener: plain, or TLS only when `options.tls` is set (the connection
 * starts once the handshake is done, so nothing is written in clear). Resolves with the
 * server once it is listening.
 */
export function listenTcp(options: TcpOptions): Promise<net.Server> {
  const onConnection = (socket: net.Socket) => {
    const refusal = options.inbound.admit(socket.remoteAddress ?? '?');
    if (!refusal) return new TcpConnection(socket, connectionOptions, live).start();
    // Refused before any per-connection state exists: one line, then gone.
    options.log.debug({ address: socket.remoteAddress, code: refusal.code }, 'tcp connection refused');
    socket.on('error', () => {});
    socket.end(`${formatError(refusal)}\n`);
    setTimeout(() => socket.destroy(), 2_000).unref();
  };
  // Attachment link prefixes, one string per local address the clients reached
  // (not one per connection); an empty answer (HTTP port not up yet) is asked again.
  const linkBases = new Map<string, string>();
  const connectionOptions: TcpOptions = {
    ...options,
    fileLinkBase(localAddress) {
      let base = linkBases.get(localAddress);
      if (base === undefined) {
        base = options.fileLinkBase(localAddress);
        if (base !== '') linkBases.set(localAddress, base);
      }
      return base;
    },
  };
  // One sweep for every connection's idle time (a timer per socket costs memory on every idle connection).
  const live = new Set<TcpConnection>();
  const sweep =
    options.idleMs > 0
      ? setInterval(
          () => {
            const now = clock();
            for (const conn of live) conn.closeIfIdle(now);
          },
          Math.max(50, Math.min(options.idleMs / 4, 15_000)),
        )
      : null;
  sweep?.unref();
  let server: net.Server;
  if (options.tls) {
    const secure = tls.createServer({ ...secureContextOptions(options.tls), allowHalfOpen: true, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, onConnection);
    secure.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      options.log.debug({ err: err.message, remote: socket.remoteAddress }, 'tls handshake failed');
      // tls.Server only reports a failed or timed-out handshake (https.Server also closes it):
      // without this, a client that never finishes its handshake holds the socket for ever.
      socket.destroy();
    });
    server = secure;
  } else {
    server = net.createServer({ allowHalfOpen: true }, onConnection);
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (err) => options.log.error({ err }, 'tcp server error'));
      server.on('close', () => {
        if (sweep) clearInterval(sweep);
      });
      resolve(server);
    });
  });
}
