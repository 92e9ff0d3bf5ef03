// The load generator's own WebSocket framing (RFC 6455, client side, no
// extensions): the upgrade request and its check, a reader that parses server
// frames straight from socket chunks, and masked client frames. It replaces the
// `ws` client in the generator so that decoding 1000 streams costs the
// generator as little CPU as possible, and it is the same code for every
// WebSocket server measured (ours and the ws relay).
import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Opcodes (RFC 6455 §5.2). */
const CONTINUATION = 0x0;
const TEXT = 0x1;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64. */
export function newUpgradeKey(): string {
  return randomBytes(16).toString('base64');
}

/** The Sec-WebSocket-Accept a server must answer to `key`. */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** The HTTP/1.1 upgrade request for `path` on `host:port` (no Origin, no extensions: permessage-deflate off, as the `ws` client was set). */
export function upgradeRequest(host: string, port: number, path: string, key: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/**
 * Checks the upgrade response head (everything before the blank line, decoded
 * as latin1): status 101 and the Sec-WebSocket-Accept for `key`. Returns null
 * when it is right, else what is wrong.
 */
export function checkUpgradeResponse(head: string, key: string): string | null {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
  if (!status) return `not an HTTP response: ${JSON.stringify(lines[0]?.slice(0, 80))}`;
  if (status[1] !== '101') return `unexpected server response: ${lines[0]}`;
  let accept: string | null = null;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon !== -1 && line.slice(0, colon).trim().toLowerCase() === 'sec-websocket-accept') accept = line.slice(colon + 1).trim();
  }
  if (accept !== acceptFor(key)) return `invalid Sec-WebSocket-Accept header: ${accept ?? 'missing'}`;
  return null;
}

/** What a FrameReader reports; each method is called synchronously from push(). */
export interface FrameHandlers {
  /**
   * A whole text message (one frame, or a fragmented one reassembled): its
   * UTF-8 bytes are `buf[start, end)`, valid only during the call. The caller
   * decodes what it needs (`buf.toString('utf8', start, end)`), no more.
   */
  text(buf: Buffer, start: number, end: number): void;
  /** A ping: the caller answers with a pong carrying `payload`. */
  ping(payload: Buffer): void;
  /** A close frame: `code` is 1005 when the frame carried none. The reader reads nothing after it. */
  close(code: number): void;
  /** A protocol violation: the reader reads nothing more; the caller drops the connection. */
  error(reason: string): void;
}

/**
 * Parses the frames a server sends from the socket's chunks as they come:
 * several frames in one chunk, a frame split over chunks (held until its last
 * byte arrives, then joined once), 7-, 16- and 64-bit lengths, ping, pong,
 * close, and fragmented text messages (FIN = 0, then continuations), which it
 * reassembles. Anything else is a protocol error, reported once, never skipped:
 * a masked frame (servers never mask), reserved bits (no extension was
 * negotiated), binary frames (no server under test sends them), an unknown
 * opcode, a continuation with no message started, a new message inside a
 * fragmented one, a fragmented or over-long control frame, a payload over
 * `maxPayload`.
 *
 * A text message is handed over as bytes of the chunk itself (no copy for a
 * frame inside one chunk; a frame split over chunks is joined once); the caller decodes with `toString('utf8', ...)`,
 * so invalid UTF-8 becomes U+FFFD instead of failing the connection as `ws`
 * does: no server under test sends any, and the stream checks would catch a
 * changed text.
 */
export class FrameReader {
  /** Bytes of an unfinished frame, and how many the next step needs in all. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private need = 2;
  /** The fragments of a text message still open (FIN = 0 seen), or null. */
  private fragments: Buffer[] | null = null;
  private fragmentBytes = 0;
  private done = false;

  /** `maxPayload`: the largest message accepted, bytes (default 16 MiB). */
  constructor(
    private readonly on: FrameHandlers,
    private readonly maxPayload = 16 * 1024 * 1024,
  ) {}

  /**
   * Parses `chunk`, the next bytes from the socket. The reader copies whatever
   * it keeps past this call (an unfinished frame, a fragment), so `chunk` may
   * be a view of a buffer the socket reuses for its next read (`onread`).
   */
  push(chunk: Buffer): void {
    if (this.done) return;
    let buf = chunk;
    if (this.heldBytes > 0) {
      this.heldBytes += chunk.length;
      if (this.heldBytes < this.need) {
        this.held.push(Buffer.from(chunk));
        return;
      }
      this.held.push(chunk);
      buf = Buffer.concat(this.held, this.heldBytes);
      this.held = [];
      this.heldBytes = 0;
    }
    let at = 0;
    const size = buf.length;
    while (!this.done) {
      const left = size - at;
      if (left < 2) {
        this.need = 2;
        break;
      }
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (left < 4) {
          this.need = 4;
          break;
        }
        length = buf.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (left < 10) {
          this.need = 10;
          break;
        }
        const high = buf.readUInt32BE(at + 2);
        // 2^53 - 1 is the largest exact length; anything near it is over maxPayload anyway.
        if (high > 0x1fffff) return this.fail('a 64-bit length over 2^53 - 1');
        length = high * 2 ** 32 + buf.readUInt32BE(at + 6);
        header = 10;
      }
      if (b1 & 0x80) return this.fail('a masked frame from the server');
      if (length > this.maxPayload) return this.fail(`a frame of ${length} bytes, over the ${this.maxPayload}-byte limit`);
      if (left < header + length) {
        this.need = header + length;
        break;
      }
      const start = at + header;
      at = start + length;
      this.frame(b0, buf, start, at);
    }
    if (!this.done && at < size) {
      this.held = [Buffer.from(buf.subarray(at))];
      this.heldBytes = size - at;
    }
  }

  private frame(b0: number, buf: Buffer, start: number, end: number): void {
    if (b0 & 0x70) return this.fail('reserved bits set (no extension was negotiated)');
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (opcode === TEXT && fin && this.fragments === null) return this.on.text(buf, start, end);
    if (opcode >= 0x8) {
      if (!fin) return this.fail('a fragmented control frame');
      if (end - start > 125) return this.fail('a control frame longer than 125 bytes');
      if (opcode === PING) return this.on.ping(buf.subarray(start, end));
      if (opcode === PONG) return;
      if (opcode === CLOSE) {
        if (end - start === 1) return this.fail('a close frame with a 1-byte payload');
        this.done = true;
        return this.on.close(end - start >= 2 ? buf.readUInt16BE(start) : 1005);
      }
      return this.fail(`unknown opcode ${opcode}`);
    }
    if (opcode === TEXT) {
      if (this.fragments !== null) return this.fail('a new message before the fragmented one ended');
      this.fragments = [Buffer.from(buf.subarray(start, end))];
      this.fragmentBytes = end - start;
      return;
    }
    if (opcode === CONTINUATION) {
      if (this.fragments === null) return this.fail('a continuation frame with no message started');
      this.fragmentBytes += end - start;
      if (this.fragmentBytes > this.maxPayload) return this.fail(`a message of over ${this.maxPayload} bytes`);
      this.fragments.push(Buffer.from(buf.subarray(start, end)));
      if (!fin) return;
      const whole = Buffer.concat(this.fragments, this.fragmentBytes);
      this.fragments = null;
      this.fragmentBytes = 0;
      return this.on.text(whole, 0, whole.length);
    }
    return this.fail(opcode === 0x2 ? 'a binary frame (no server under test sends any)' : `unknown opcode ${opcode}`);
  }

  private fail(reason: string): void {
    this.done = true;
    this.held = [];
    this.heldBytes = 0;
    this.fragments = null;
    this.on.error(reason);
  }
}

/**
 * A masked client frame (FIN set) of `opcode` carrying `payload` (a string is
 * encoded as UTF-8), masked with `mask` (4 bytes). RFC 6455 asks for a fresh,
 * unpredictable key per frame so that a proxy cannot be steered by chosen
 * bytes; the generator talks over loopback straight to the server under test,
 * so one random key per connection is enough and saves a random draw per frame.
 */
export function clientFrame(opcode: number, payload: string | Buffer, mask: Buffer): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const header = (length < 126 ? 2 : length < 65536 ? 4 : 10) + 4;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  mask.copy(frame, header - 4, 0, 4);
  if (typeof payload === 'string') frame.write(payload, header, 'utf8');
  else payload.copy(frame, header);
  const m = [mask[0]!, mask[1]!, mask[2]!, mask[3]!];
  for (let i = 0; i < length; i++) frame[header + i] = frame[header + i]! ^ m[i & 3]!;
  return frame;
}

export const OPCODE = { TEXT, CLOSE, PING, PONG } as const;
