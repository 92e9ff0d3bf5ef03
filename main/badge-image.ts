// The Windows taskbar overlay badge: a 32x32 PNG (a red disc with the unread count in white)
// drawn in code, since main has no canvas. 1-9 in large digits, 10-99 smaller, then "99+".
import { deflateSync } from 'node:zlib';

export const BADGE_SIZE = 32;

/** 3x5 pixel glyphs, one string per row ('#' = ink). */
const GLYPHS: Readonly<Record<string, readonly string[]>> = {
  '0': ['###', '#.#', '#.#', '#.#', '###'],
  '1': ['.#.', '##.', '.#.', '.#.', '###'],
  '2': ['###', '..#', '###', '#..', '###'],
  '3': ['###', '..#', '###', '..#', '###'],
  '4': ['#.#', '#.#', '###', '..#', '..#'],
  '5': ['###', '#..', '###', '..#', '###'],
  '6': ['###', '#..', '###', '#.#', '###'],
  '7': ['###', '..#', '.#.', '.#.', '.#.'],
  '8': ['###', '#.#', '###', '#.#', '###'],
  '9': ['###', '#.#', '###', '..#', '###'],
  '+': ['...', '.#.', '###', '.#.', '...'],
};

/** The text on the badge: '' for 0, the count up to 99, then "99+". */
export function badgeText(count: number): string {
  if (!Number.isFinite(count) || count <= 0) return '';
  return count > 99 ? '99+' : String(Math.floor(count));
}

const RED = [0xd9, 0x30, 0x25, 0xff] as const;
const WHITE = [0xff, 0xff, 0xff, 0xff] as const;

/** RGBA pixels of the badge for `text` (row-major, BADGE_SIZE x BADGE_SIZE). */
export function renderBadgePixels(text: string): Uint8Array {
  const size = BADGE_SIZE;
  const pixels = new Uint8Array(size * size * 4);
  const put = (x: number, y: number, color: readonly number[]) => pixels.set(color, (y * size + x) * 4);
  const r = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - r;
      const dy = y + 0.5 - r;
      if (dx * dx + dy * dy <= r * r) put(x, y, RED);
    }
  }
  // Bigger glyphs for fewer characters, so one digit stays readable when Windows scales it down.
  const scale = text.length <= 1 ? 4 : text.length === 2 ? 3 : 2;
  const width = text.length * 3 * scale + (text.length - 1) * scale;
  const left = Math.floor((size - width) / 2);
  const top = Math.floor((size - 5 * scale) / 2);
  [...text].forEach((char, i) => {
    const glyph = GLYPHS[char];
    if (!glyph) return;
    const x0 = left + i * 4 * scale;
    glyph.forEach((row, gy) => {
      [...row].forEach((cell, gx) => {
        if (cell !== '#') return;
        for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) put(x0 + gx * scale + sx, top + gy * scale + sy, WHITE);
      });
    });
  });
  return pixels;
}

/** The badge PNG for `count`, or null for 0 (no badge). */
export function renderBadgePng(count: number): Uint8Array | null {
  const text = badgeText(count);
  return text === '' ? null : encodePng(renderBadgePixels(text), BADGE_SIZE, BADGE_SIZE);
}

/** A minimal RGBA PNG encoder (8-bit, no filtering): signature, IHDR, IDAT, IEND. */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter type: none
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type RGBA, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

let crcTable: Uint32Array | null = null;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
