// Draws the app icon (a rounded chat bubble on a blue square) and writes it as PNG at
// 512x512 (packaging) and 32x32 (tray). Run: node main/assets/generate-icons.mjs
// A tiny PNG encoder (RGBA, filter 0, zlib) keeps this free of image dependencies.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function encodePng(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5, size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Inside a rounded rectangle [x0,x1]x[y0,y1] with corner radius r (unit square coords). */
function inRoundRect(x, y, x0, y0, x1, y1, r) {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function inTriangle(x, y, [ax, ay], [bx, by], [cx, cy]) {
  const s = (ax - cx) * (y - cy) - (ay - cy) * (x - cx);
  const t = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
  if (s < 0 !== t < 0 && s !== 0 && t !== 0) return false;
  const d = (cx - bx) * (y - by) - (cy - by) * (x - bx);
  return d === 0 || d < 0 === s + t <= 0;
}

function icon(px, py, size) {
  const x = px / size;
  const y = py / size;
  const background = [37, 99, 235, 255];
  const white = [255, 255, 255, 255];
  if (!inRoundRect(x, y, 0.02, 0.02, 0.98, 0.98, 0.2)) return [0, 0, 0, 0];
  const bubble = inRoundRect(x, y, 0.2, 0.22, 0.8, 0.66, 0.12) || inTriangle(x, y, [0.3, 0.6], [0.46, 0.6], [0.27, 0.8]);
  if (!bubble) return background;
  // Three dots inside the bubble.
  for (const dx of [0.36, 0.5, 0.64]) {
    if ((x - dx) ** 2 + (y - 0.44) ** 2 <= 0.045 ** 2) return background;
  }
  return white;
}

const here = path.dirname(fileURLToPath(import.meta.url));
writeFileSync(path.join(here, 'icon.png'), encodePng(512, icon));
writeFileSync(path.join(here, 'tray.png'), encodePng(32, icon));
console.log('wrote main/assets/icon.png (512x512) and main/assets/tray.png (32x32)');
