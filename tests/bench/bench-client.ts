// A lean load-generating client for one connection: our WebSocket JSON protocol,
// our TCP line protocol, the baseline relay (raw text frames; sign-in only
// registers a name for routing) or IRC (ngIRCd, InspIRCd: sign-in is NICK/USER
// registration, a broadcast is a PRIVMSG to the channel joined, a private
// message a PRIVMSG to a nick). It parses only what the benchmark needs, so the
// load generator stays cheap: WebSocket (ours and the relay) is its own lean
// client over a plain socket (ws-frames.ts), not the `ws` library's.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { newClientKey } from '../../server/client/outbox';
import { corkForThisTurn } from '../../server/transport/cork';
import { ircJoin, ircPrivmsg, ircRegister, isIrcError, parseIrcLine, privmsgText } from './irc-lines';
import { FrameReader, OPCODE, checkUpgradeResponse, clientFrame, newUpgradeKey, upgradeRequest } from './ws-frames';

export type Transport = 'ws' | 'tcp' | 'relay' | 'irc';

export interface ClientOptions {
  transport: Transport;
  host: string;
  /** WebSocket/relay port or TCP port, per transport. */
  port: number;
  /** Source address (127.0.0.x) to spread connections over more ephemeral ports. */
  localAddress?: string;
  /** Deadline for connecting (and the hello frame), ms. */
  connectTimeoutMs: number;
  /**
   * Our WebSocket protocol: every chat send carries a fresh idempotency key
   * (`clientKey`, made as the client library makes it), as every client built on
   * the library sends. The TCP line commands have no key: ignored there.
   */
  clientKey?: boolean;
}

/** A delivered chat message: its text and the server's per-recipient seq (null on the relay). */
export type DeliveryHandler = (text: string, seq: number | null) => void;
/** A reply to a command sent without waiting: ok, or the error code. */
export type ReplyHandler = (ok: boolean, code: string | null) => void;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

const MESSAGE_PREFIX = '{"type":"event","event":"message"';
/** A delivery's first bytes up to its seq's digits (json-codec.ts encodeDelivery), and the key before the text. */
const DELIVERY_HEAD = Buffer.from(`${MESSAGE_PREFIX},"seq":`);
const TEXT_KEY = Buffer.from('"text":"');
/**
 * WebSocket sockets read into this one buffer (net's `onread`), shared by every
 * connection of the process: callbacks run one at a time and the frame reader
 * copies what it keeps. It skips the socket's readable stream (a chunk object,
 * a `data` event and a next-tick per read).
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const PRESENCE_PREFIX = '{"type":"event","event":"presence"';
const OK_REPLY_PREFIX = '{"type":"reply","id":';

// The load generator batches its own writes per event-loop turn with the
// server's own helper: a client that answers several replies in one turn sends
// one TCP segment, so the load workers spend less of the shared cores on
// syscalls. The same applies to every target (server and relay), so ratios stay fair.

export class BenchClient {
  onDelivery: DeliveryHandler = () => {};
  onReply: ReplyHandler = () => {};
  onClose: () => void = () => {};
  closed = false;
  private nextId = 1;
  /** WebSocket: awaited requests by id. TCP: FIFO of replies (null = not awaited). */
  private readonly pending = new Map<number, Pending>();
  private readonly tcpQueue: (Pending | null)[] = [];
  /** WebSocket: this connection's masking key (one random key per connection, see clientFrame). */
  private readonly mask = randomBytes(4);
  private tcpRest = '';
  private loginWaiter: { username: string; pending: Pending } | null = null;
  /** IRC: the JOIN awaiting its end-of-NAMES, and the channel broadcasts go to. */
  private joinWaiter: { channel: string; pending: Pending } | null = null;
  private channel: string | null = null;
  /** WebSocket chat sends carry a fresh `clientKey` (ClientOptions.clientKey). */
  private keyed = false;

  private constructor(
    readonly transport: Transport,
    private readonly socket: net.Socket,
  ) {}

  static connect(options: ClientOptions): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const isWs = options.transport === 'ws' || options.transport === 'relay';
      let onBytes: (chunk: Buffer) => void = () => {};
      const socket = net.connect({
        host: options.host,
        port: options.port,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        ...(isWs ? { onread: { buffer: READ_BUFFER, callback: (n: number) => (onBytes(READ_BUFFER.subarray(0, n)), true) } } : {}),
      });
      const timer = setTimeout(() => fail(new Error(`connect timed out after ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const done = (client: BenchClient) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(client);
      };
      socket.setNoDelay(true);
      const client = new BenchClient(options.transport, socket);
      socket.once('error', (err) => fail(err));
      socket.on('error', () => {});
      socket.on('close', () => {
        fail(new Error('connection closed'));
        client.markClosed();
      });
      if (!isWs) {
        socket.setEncoding('utf8');
        socket.once('connect', () => done(client));
        socket.on('data', (chunk: string) => client.onTcpData(chunk));
        return;
      }
      client.keyed = options.transport === 'ws' && options.clientKey === true;
      const key = newUpgradeKey();
      const path = options.transport === 'ws' ? '/ws' : '/';
      socket.once('connect', () => socket.write(upgradeRequest(options.host, options.port, path, key)));
      // Frames: the relay's connection is usable once upgraded; ours after its first frame, `hello`.
      const reader = new FrameReader({
        text:
          options.transport === 'relay'
            ? (buf, start, end) => client.onRelayFrame(buf.toString('utf8', start, end))
            : (buf, start, end) => {
                if (settled) return client.onWsMessage(buf, start, end);
                const text = buf.toString('utf8', start, end);
                if (text.includes('"event":"hello"')) done(client);
                else client.onWsFrame(text);
              },
        ping: (payload) => client.wsControl(OPCODE.PONG, payload),
        close: (code) => {
          // Answer with the same code (none when the server gave none), then let the server close the TCP connection.
          client.wsControl(OPCODE.CLOSE, code === 1005 ? Buffer.alloc(0) : Buffer.from([code >> 8, code & 0xff]));
          socket.end();
        },
        error: (reason) => {
          // A protocol error is reported, never skipped: the connection drops (a disconnect fails the scenario).
          process.stderr.write(`bench client: WebSocket protocol error from ${options.host}:${options.port}: ${reason}\n`);
          fail(new Error(`WebSocket protocol error: ${reason}`));
          socket.destroy();
        },
      });
      // The upgrade response head (latin1) up to its blank line; any bytes after it are frames.
      let head = '';
      onBytes = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) {
          if (head.length > 16_384) fail(new Error('upgrade response head over 16 KiB'));
          return;
        }
        const wrong = checkUpgradeResponse(head.slice(0, end), key);
        if (wrong) return fail(new Error(wrong));
        if (options.transport === 'relay') done(client);
        onBytes = (data) => reader.push(data);
        const restAt = chunk.length - (head.length - end - 4);
        if (restAt < chunk.length) reader.push(chunk.subarray(restAt));
      };
    });
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('connection closed');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const p of this.tcpQueue) p?.reject(err);
    this.tcpQueue.length = 0;
    this.loginWaiter?.pending.reject(err);
    this.loginWaiter = null;
    this.joinWaiter?.pending.reject(err);
    this.joinWaiter = null;
    this.onClose();
  }

  /** A text frame, masked, corked per turn like every other write. */
  private wsWrite(data: string): void {
    if (this.socket.destroyed) return;
    corkForThisTurn(this.socket);
    this.socket.write(clientFrame(OPCODE.TEXT, data, this.mask));
  }

  /** A pong or close frame. */
  private wsControl(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    corkForThisTurn(this.socket);
    this.socket.write(clientFrame(opcode, payload, this.mask));
  }

  private tcpWrite(data: string): void {
    corkForThisTurn(this.socket);
    this.socket.write(data);
  }

  // ---------------------------------------------------------------- relay

  private onRelayFrame(text: string): void {
    if (text === '+') this.onReply(true, null);
    else if (text === '@ok') {
      this.loginWaiter?.pending.resolve(undefined);
      this.loginWaiter = null;
    } else this.onDelivery(text, null);
  }

  // ---------------------------------------------------------------- WebSocket

  /**
   * A WebSocket message as bytes. Deliveries are read from the bytes: the seq's
   * digits right after DELIVERY_HEAD, and only the text itself decoded (UTF-8),
   * not the whole frame. Anything else, or a delivery not in that shape, is
   * decoded whole and goes to onWsFrame.
   */
  private onWsMessage(buf: Buffer, start: number, end: number): void {
    const head = DELIVERY_HEAD.length;
    let at = start;
    if (end - start > head) {
      while (at - start < head && buf[at] === DELIVERY_HEAD[at - start]) at++;
    }
    if (at - start === head) {
      let seq = 0;
      let digits = 0;
      for (let c = buf[at]!; c >= 0x30 && c <= 0x39 && at < end; c = buf[++at]!) {
        seq = seq * 10 + (c - 0x30);
        digits++;
      }
      const key = buf.indexOf(TEXT_KEY, at);
      const textAt = key + TEXT_KEY.length;
      // Benchmark texts need no escapes: the text ends at the next quote (as onWsFrame's fast path).
      const quote = key === -1 || textAt >= end ? -1 : buf.indexOf(0x22, textAt);
      if (digits > 0 && quote !== -1 && quote < end) return this.onDelivery(buf.toString('utf8', textAt, quote), seq);
    }
    this.onWsFrame(buf.toString('utf8', start, end));
  }

  private onWsFrame(text: string): void {
    // Presence events (sign-in scenario) are not measured: skip them without parsing.
    if (text.startsWith(PRESENCE_PREFIX)) return;
    if (text.startsWith(MESSAGE_PREFIX)) {
      // Fast path: pull seq and text out without a full JSON.parse (benchmark texts need no escapes).
      const seqAt = text.indexOf('"seq":') + 6;
      const seq = Number(text.slice(seqAt, text.indexOf(',', seqAt)));
      const textAt = text.indexOf('"text":"') + 8;
      this.onDelivery(text.slice(textAt, text.indexOf('"', textAt)), seq);
      return;
    }
    if (text.startsWith(OK_REPLY_PREFIX)) {
      // Fast path for successful replies: only the id matters, the result is not read.
      const idEnd = text.indexOf(',', OK_REPLY_PREFIX.length);
      if (text.startsWith('"ok":true', idEnd + 1)) {
        const id = Number(text.slice(OK_REPLY_PREFIX.length, idEnd));
        const waiter = this.pending.get(id);
        if (!waiter) return this.onReply(true, null);
        // Awaited requests (sign-in, group creation) want the result: parse those in full.
      }
    }
    const frame = JSON.parse(text) as { type: string; id?: number | null; ok?: boolean; result?: unknown; error?: { code: string; message: string } };
    if (frame.type !== 'reply') return;
    const waiter = typeof frame.id === 'number' ? this.pending.get(frame.id) : undefined;
    if (waiter) {
      this.pending.delete(frame.id as number);
      if (frame.ok) waiter.resolve(frame.result);
      else waiter.reject(new Error(`${frame.error?.code}: ${frame.error?.message}`));
    } else {
      this.onReply(frame.ok === true, frame.ok ? null : (frame.error?.code ?? 'UNKNOWN'));
    }
  }

  private wsSend(command: Record<string, unknown>, await_: boolean): Promise<unknown> | undefined {
    const id = this.nextId++;
    this.wsWrite(JSON.stringify({ id, ...command }));
    if (!await_) return undefined;
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  // ---------------------------------------------------------------- TCP

  private onTcpData(chunk: string): void {
    const data = this.tcpRest + chunk;
    const irc = this.transport === 'irc';
    let start = 0;
    for (;;) {
      const lf = data.indexOf('\n', start);
      if (lf === -1) break;
      if (irc) this.onIrcLine(data.slice(start, data.charCodeAt(lf - 1) === 13 ? lf - 1 : lf));
      else this.onTcpLine(data.slice(start, lf));
      start = lf + 1;
    }
    this.tcpRest = data.slice(start);
  }

  private onTcpLine(line: string): void {
    if (line.startsWith('#')) {
      // `#17 [12:31] alice (broadcast): text`
      const space = line.indexOf(' ');
      const textAt = line.indexOf('): ', space);
      if (textAt !== -1) this.onDelivery(line.slice(textAt + 3), Number(line.slice(1, space)));
      return;
    }
    if (this.loginWaiter) {
      // Prompts carry no line end, so the answer to a sign-in follows them on the same line.
      if (line.includes(`Welcome, ${this.loginWaiter.username}!`)) {
        this.loginWaiter.pending.resolve(undefined);
        this.loginWaiter = null;
      } else if (line.includes('error ')) {
        this.loginWaiter.pending.reject(new Error(line.slice(line.indexOf('error '))));
        this.loginWaiter = null;
      }
      return;
    }
    if (line.startsWith('* ') || line.startsWith('Queued for') || line.startsWith('Your message could not')) return;
    const isError = line.startsWith('error ');
    if (!isError && !/^(Broadcast sent|Sent to|Group \S+ created|\S+ is offline;)/.test(line)) return;
    if (this.tcpQueue.length === 0) return;
    const waiter = this.tcpQueue.shift()!;
    const code = isError ? line.slice(6, line.indexOf(':')) || 'UNKNOWN' : null;
    if (waiter) {
      if (isError) waiter.reject(new Error(line));
      else waiter.resolve(undefined);
    } else {
      this.onReply(!isError, code);
    }
  }

  // ---------------------------------------------------------------- IRC

  private onIrcLine(line: string): void {
    const text = privmsgText(line);
    if (text !== null) return this.onDelivery(text, null);
    const msg = parseIrcLine(line);
    if (!msg) return;
    if (msg.command === 'PING') return this.tcpWrite(`PONG :${msg.params[0] ?? ''}\r\n`);
    if (msg.command === '001' && this.loginWaiter) {
      this.loginWaiter.pending.resolve(undefined);
      this.loginWaiter = null;
      return;
    }
    if (msg.command === '366' && this.joinWaiter && msg.params[1]?.toLowerCase() === this.joinWaiter.channel.toLowerCase()) {
      this.channel = this.joinWaiter.channel;
      this.joinWaiter.pending.resolve(undefined);
      this.joinWaiter = null;
      return;
    }
    if (!isIrcError(msg.command)) return;
    const waiter = this.loginWaiter ?? this.joinWaiter;
    if (waiter) {
      waiter.pending.reject(new Error(`IRC_${msg.command}: ${msg.params.slice(1).join(' ')}`));
      this.loginWaiter = null;
      this.joinWaiter = null;
    } else {
      // No success replies in IRC: only refusals (401 no such nick, 404 cannot send, ...) come back.
      this.onReply(false, `IRC_${msg.command}`);
    }
  }

  /** IRC: joins `channel` and resolves once the server listed its members (366). */
  join(channel: string): Promise<void> {
    if (this.transport !== 'irc') return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.joinWaiter = { channel, pending: { resolve: () => resolve(), reject } };
      this.tcpWrite(ircJoin(channel));
    });
  }

  private tcpSend(line: string, await_: boolean): Promise<unknown> | undefined {
    this.tcpWrite(`${line}\n`);
    if (!await_) {
      this.tcpQueue.push(null);
      return undefined;
    }
    return new Promise((resolve, reject) => this.tcpQueue.push({ resolve, reject }));
  }

  // ---------------------------------------------------------------- commands

  /**
   * Signs in; rejects with the server's error. WebSocket: presence events only
   * with `presence` (default off, as load tests do). IRC: registers the nick.
   */
  login(username: string, password: string, options: { presence?: boolean } = {}): Promise<void> {
    if (this.transport === 'irc') {
      return new Promise((resolve, reject) => {
        this.loginWaiter = { username, pending: { resolve: () => resolve(), reject } };
        this.tcpWrite(ircRegister(username));
      });
    }
    if (this.transport === 'relay') {
      // Registers the name for routed (private) frames; the relay answers `@ok`.
      return new Promise((resolve, reject) => {
        this.loginWaiter = { username, pending: { resolve: () => resolve(), reject } };
        this.wsWrite(`@${username}`);
      });
    }
    if (this.transport === 'ws') return this.wsSend({ type: 'login', username, password, presence: options.presence === true }, true) as Promise<never>;
    return new Promise((resolve, reject) => {
      this.loginWaiter = { username, pending: { resolve: () => resolve(), reject } };
      this.tcpWrite(`${username}\n${password}\n`);
    });
  }

  /** Broadcast (relay: a raw frame to every other client; IRC: to the channel joined). The reply goes to onReply. */
  broadcast(text: string): void {
    if (this.transport === 'irc') this.tcpWrite(ircPrivmsg(this.channel ?? '#bench', text));
    else if (this.transport === 'relay') this.wsWrite(text);
    else if (this.transport === 'ws') void this.wsSend(this.withKey({ type: 'broadcast', text }), false);
    else void this.tcpSend(`broadcast ${text}`, false);
  }

  private(to: string, text: string): void {
    if (this.transport === 'irc') this.tcpWrite(ircPrivmsg(to, text));
    else if (this.transport === 'relay') this.wsWrite(`>${to}\t${text}`);
    else if (this.transport === 'ws') void this.wsSend(this.withKey({ type: 'message', to, text }), false);
    else void this.tcpSend(`message ${to} ${text}`, false);
  }

  /** A group message (IRC has only channels: the channel joined). */
  group(name: string, text: string): void {
    if (this.transport === 'irc') this.broadcast(text);
    else if (this.transport === 'relay') this.wsWrite(text);
    else if (this.transport === 'ws') void this.wsSend(this.withKey({ type: 'message-group', group: name, text }), false);
    else void this.tcpSend(`message group ${name} ${text}`, false);
  }

  /** A chat send as it goes out: with a fresh idempotency key when keyed. */
  private withKey(command: Record<string, unknown>): Record<string, unknown> {
    if (this.keyed) command.clientKey = newClientKey();
    return command;
  }

  async createGroup(name: string, members: readonly string[]): Promise<void> {
    if (this.transport === 'ws') await this.wsSend({ type: 'create-group', group: name, members }, true);
    else if (this.transport === 'tcp') await this.tcpSend(`create group ${name} ${members.join(' ')}`, true);
  }

  close(): void {
    this.socket.destroy();
  }
}
