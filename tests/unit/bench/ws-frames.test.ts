// The load generator's WebSocket framing, fed raw bytes: server frames split
// over chunks and packed several to a chunk, every length form, control
// frames, fragmented messages and the protocol errors it must report.
import { describe, expect, it } from 'vitest';
import { FrameReader, OPCODE, acceptFor, checkUpgradeResponse, clientFrame } from '../../../tests/bench/ws-frames';

/** An unmasked server frame. */
function serverFrame(opcode: number, payload: Buffer | string, fin = true, b1Extra = 0): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const n = data.length;
  const header = n < 126 ? Buffer.from([0, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  header[0] = (fin ? 0x80 : 0) | opcode;
  header[1] = header[1]! | b1Extra;
  return Buffer.concat([header, data]);
}

function reader() {
  const seen: string[] = [];
  const r = new FrameReader({
    text: (buf, start, end) => seen.push(`text:${buf.toString('utf8', start, end)}`),
    ping: (p) => seen.push(`ping:${p.toString()}`),
    close: (code) => seen.push(`close:${code}`),
    error: (reason) => seen.push(`error:${reason}`),
  });
  return { r, seen };
}

/** Pushes `bytes` in chunks of `size` bytes. */
function pushInChunks(r: FrameReader, bytes: Buffer, size: number): void {
  for (let i = 0; i < bytes.length; i += size) r.push(bytes.subarray(i, i + size));
}

describe('the load generator WebSocket frame reader', () => {
  it('reads several frames from one chunk', () => {
    const { r, seen } = reader();
    r.push(Buffer.concat([serverFrame(OPCODE.TEXT, 'a'), serverFrame(OPCODE.TEXT, '{"x":1}'), serverFrame(OPCODE.TEXT, '')]));
    expect(seen).toEqual(['text:a', 'text:{"x":1}', 'text:']);
  });

  it('reads frames split at every byte, headers included, with 7-, 16- and 64-bit lengths', () => {
    const mid = 'm'.repeat(300);
    const big = 'b'.repeat(70_000);
    const bytes = Buffer.concat([
      serverFrame(OPCODE.TEXT, 'short'),
      serverFrame(OPCODE.TEXT, mid),
      serverFrame(OPCODE.TEXT, big),
      serverFrame(OPCODE.TEXT, 'end'),
    ]);
    for (const size of [1, 2, 3, 7, 125, 4096]) {
      const { r, seen } = reader();
      pushInChunks(r, bytes, size);
      expect(seen).toEqual(['text:short', `text:${mid}`, `text:${big}`, 'text:end']);
    }
  });

  it('keeps multi-byte UTF-8 whole when a chunk ends inside a character', () => {
    const text = 'héllo → 世界 🎉';
    const bytes = serverFrame(OPCODE.TEXT, text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { r, seen } = reader();
      r.push(bytes.subarray(0, cut));
      r.push(bytes.subarray(cut));
      expect(seen).toEqual([`text:${text}`]);
    }
  });

  it('passes pings on (between the fragments of a message too) and ignores pongs', () => {
    const { r, seen } = reader();
    r.push(
      Buffer.concat([
        serverFrame(OPCODE.TEXT, 'one '),
        serverFrame(OPCODE.PING, 'p1'),
        serverFrame(OPCODE.PONG, 'x'),
        serverFrame(OPCODE.TEXT, 'frag-', false),
        serverFrame(OPCODE.PING, 'p2'),
        serverFrame(0x0, 'ment', false),
        serverFrame(0x0, 'ed', true),
      ]),
    );
    expect(seen).toEqual(['text:one ', 'ping:p1', 'ping:p2', 'text:frag-mented']);
  });

  it('reassembles a fragmented message split over chunks', () => {
    const bytes = Buffer.concat([
      serverFrame(OPCODE.TEXT, 'ab', false),
      serverFrame(0x0, 'cd', false),
      serverFrame(0x0, 'é', true),
      serverFrame(OPCODE.TEXT, 'next'),
    ]);
    const { r, seen } = reader();
    pushInChunks(r, bytes, 1);
    expect(seen).toEqual(['text:abcdé', 'text:next']);
  });

  it('copies what it keeps, so the socket may reuse its read buffer (onread)', () => {
    const bytes = Buffer.concat([serverFrame(OPCODE.TEXT, 'x'.repeat(300)), serverFrame(OPCODE.TEXT, 'ab', false), serverFrame(0x0, 'cd', true)]);
    const shared = Buffer.alloc(7);
    const { r, seen } = reader();
    for (let i = 0; i < bytes.length; i += shared.length) {
      const n = bytes.copy(shared, 0, i, i + shared.length);
      r.push(shared.subarray(0, n));
      shared.fill(0x21);
    }
    expect(seen).toEqual([`text:${'x'.repeat(300)}`, 'text:abcd']);
  });

  it('reports a close with its code (1005 without one) and reads nothing after it', () => {
    const withCode = reader();
    withCode.r.push(Buffer.concat([serverFrame(OPCODE.CLOSE, Buffer.from([0x03, 0xe9, 0x62, 0x79, 0x65])), serverFrame(OPCODE.TEXT, 'late')]));
    expect(withCode.seen).toEqual(['close:1001']);
    const without = reader();
    without.r.push(serverFrame(OPCODE.CLOSE, ''));
    without.r.push(serverFrame(OPCODE.TEXT, 'late'));
    expect(without.seen).toEqual(['close:1005']);
  });

  it('reports protocol errors once and stops reading', () => {
    const cases: [Buffer, RegExp][] = [
      [serverFrame(0x0, 'orphan'), /continuation frame with no message started/],
      [Buffer.concat([serverFrame(OPCODE.TEXT, 'a', false), serverFrame(OPCODE.TEXT, 'b')]), /new message before the fragmented one ended/],
      [serverFrame(OPCODE.TEXT, 'masked', true, 0x80), /masked frame/],
      [serverFrame(0x2, 'bin'), /binary frame/],
      [serverFrame(0x3, 'x'), /unknown opcode 3/],
      [serverFrame(OPCODE.PING, 'p', false), /fragmented control frame/],
      [serverFrame(OPCODE.PING, 'p'.repeat(126)), /control frame longer than 125/],
      [Buffer.from([0xc1, 0x01, 0x61]), /reserved bits/],
    ];
    for (const [bytes, expected] of cases) {
      const { r, seen } = reader();
      r.push(bytes);
      r.push(serverFrame(OPCODE.TEXT, 'after'));
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(expected);
    }
  });

  it('refuses a frame over maxPayload from its header, before its payload arrives', () => {
    const seen: string[] = [];
    const r = new FrameReader({ text: () => seen.push('text'), ping: () => {}, close: () => {}, error: (reason) => seen.push(reason) }, 1000);
    r.push(serverFrame(OPCODE.TEXT, 'x'.repeat(1001)).subarray(0, 4));
    expect(seen).toEqual(['a frame of 1001 bytes, over the 1000-byte limit']);
  });
});

describe('the load generator WebSocket client frames and upgrade', () => {
  /** Unmasks a client frame the way a server does. */
  function unmask(frame: Buffer): { fin: boolean; opcode: number; payload: Buffer } {
    expect(frame[1]! & 0x80).toBe(0x80);
    let length = frame[1]! & 0x7f;
    let at = 2;
    if (length === 126) {
      length = frame.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      length = Number(frame.readBigUInt64BE(2));
      at = 10;
    }
    const mask = frame.subarray(at, at + 4);
    const payload = Buffer.from(frame.subarray(at + 4));
    expect(payload.length).toBe(length);
    for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
    return { fin: (frame[0]! & 0x80) !== 0, opcode: frame[0]! & 0x0f, payload };
  }

  it('masks text and control frames with the connection key, at every length form', () => {
    const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    for (const text of ['', '{"id":1}', 'é'.repeat(100), 'x'.repeat(70_000)]) {
      const frame = unmask(clientFrame(OPCODE.TEXT, text, mask));
      expect(frame).toMatchObject({ fin: true, opcode: OPCODE.TEXT });
      expect(frame.payload.toString()).toBe(text);
    }
    expect(unmask(clientFrame(OPCODE.PONG, Buffer.from('p1'), mask))).toMatchObject({ opcode: OPCODE.PONG, payload: Buffer.from('p1') });
  });

  it('accepts only a 101 with the right Sec-WebSocket-Accept', () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    // RFC 6455 §1.3's example.
    expect(acceptFor(key)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(
      checkUpgradeResponse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', key),
    ).toBeNull();
    expect(checkUpgradeResponse('HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: wrong', key)).toMatch(/invalid Sec-WebSocket-Accept/);
    expect(checkUpgradeResponse('HTTP/1.1 101 Switching Protocols', key)).toMatch(/missing/);
    expect(checkUpgradeResponse('HTTP/1.1 403 Forbidden\r\nContent-Length: 0', key)).toMatch(/unexpected server response: HTTP\/1.1 403/);
  });
});
