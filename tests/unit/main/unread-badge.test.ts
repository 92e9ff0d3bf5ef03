// The unread count on each OS: the dock/launcher badge on macOS and Linux, a drawn overlay
// icon on the Windows taskbar (decoded here to check what it shows), and the tray tooltip.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BADGE_SIZE, badgeText, renderBadgePixels, renderBadgePng } from '../../../main/badge-image';
import type { TrayHandle } from '../../../main/platform/seams';
import { showUnread } from '../../../main/unread-badge';
import { FakeApp, fakeWindow } from './fakes';

/** Decodes the encoder's own PNG layout (one IDAT, filter 0 rows) back to RGBA. */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Buffer } {
  const buf = Buffer.from(png);
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('ascii', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8, 13)]).toEqual([8, 6, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, rgba };
}

const pixel = (img: { width: number; rgba: Buffer }, x: number, y: number) => [...img.rgba.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4)];

class RecordingTray implements TrayHandle {
  tooltips: string[] = [];
  titles: string[] = [];
  setToolTip(text: string): void {
    this.tooltips.push(text);
  }
  setTitle(text: string): void {
    this.titles.push(text);
  }
  setMenu(): void {}
  onClick(): void {}
  destroy(): void {}
}

describe('badge image', () => {
  it('no badge for zero; the count up to 99, then 99+', () => {
    expect(renderBadgePng(0)).toBeNull();
    expect(badgeText(7)).toBe('7');
    expect(badgeText(42)).toBe('42');
    expect(badgeText(100)).toBe('99+');
    expect(badgeText(-3)).toBe('');
  });

  it('is a valid 32x32 PNG: transparent corners, a red disc, white digits in the middle', () => {
    const img = decodePng(renderBadgePng(5)!);
    expect([img.width, img.height]).toEqual([BADGE_SIZE, BADGE_SIZE]);
    expect(pixel(img, 0, 0)[3]).toBe(0);
    expect(pixel(img, 31, 31)[3]).toBe(0);
    expect(pixel(img, 3, 16)).toEqual([0xd9, 0x30, 0x25, 0xff]);
    let white = 0;
    for (let i = 0; i < img.rgba.length; i += 4) if (img.rgba[i] === 0xff && img.rgba[i + 1] === 0xff && img.rgba[i + 2] === 0xff) white++;
    expect(white).toBeGreaterThan(20);
    expect(Buffer.from(img.rgba)).toEqual(Buffer.from(renderBadgePixels('5')));
  });

  it('different counts draw different images; everything above 99 looks the same', () => {
    const images = [1, 2, 9, 10, 42, 99, 100].map((n) => Buffer.from(renderBadgePng(n)!).toString('base64'));
    expect(new Set(images).size).toBe(images.length);
    expect(Buffer.from(renderBadgePng(100)!)).toEqual(Buffer.from(renderBadgePng(5000)!));
  });
});

describe('showUnread', () => {
  const window = () => fakeWindow();

  it('Windows: an overlay icon on the taskbar button, cleared at zero; no badge count call', () => {
    const app = new FakeApp();
    app.platform = 'win32';
    const w = window();
    const tray = new RecordingTray();
    showUnread(3, { app, window: w, tray });
    showUnread(0, { app, window: w, tray });
    expect(w.overlays).toHaveLength(2);
    expect(Buffer.from(w.overlays[0]!.png!)).toEqual(Buffer.from(renderBadgePng(3)!));
    expect(w.overlays[0]!.description).toBe('3 unread');
    expect(w.overlays[1]).toEqual({ png: null, description: '' });
    expect(app.badge).toEqual([]);
    expect(tray.tooltips).toEqual(['Chat: 3 unread', 'Chat']);
  });

  it('macOS and Linux: the dock / launcher badge; no overlay', () => {
    for (const platform of ['darwin', 'linux'] as const) {
      const app = new FakeApp();
      app.platform = platform;
      const w = window();
      const tray = new RecordingTray();
      showUnread(12, { app, window: w, tray });
      expect(app.badge).toEqual([12]);
      expect(w.overlays).toEqual([]);
      expect(tray.titles).toEqual(['12']);
    }
  });

  it('no window or a destroyed one: nothing breaks', () => {
    const app = new FakeApp();
    app.platform = 'win32';
    const w = window();
    w.destroyed = true;
    showUnread(2, { app, window: w, tray: null });
    showUnread(2, { app, window: null, tray: null });
    expect(w.overlays).toEqual([]);
  });
});
