// What the terminal client prints: the protocol's own lines (as `nc` shows them),
// coloured by part when colours are on, never carrying the server's control characters.
import { describe, expect, it } from 'vitest';
import { formatDelivery, type EventOf } from '../../../server/protocol';
import { isLoopbackHost } from '../../../server/client';
import { paintDelivery, renderError, renderEvent } from '../../../server/terminal/render';
import { ansiPaint, noPaint, printable, wantsColour } from '../../../server/terminal/screen';

// eslint-disable-next-line no-control-regex
const stripSgr = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

function delivery(text: string, kind: 'private' | 'broadcast' | 'group' = 'private', offline = false): EventOf<'message'> {
  const message = { id: 7, kind, from: 'bob', text, ts: Date.UTC(2026, 0, 1, 12, 30), ...(kind === 'group' ? { group: 'team' } : {}) };
  return { type: 'event', event: 'message', seq: 42, offline, message };
}

describe('terminal rendering', () => {
  it('a delivery is the protocol line; in colour each part is painted and the text is unchanged', () => {
    for (const event of [delivery('hi there'), delivery('to all', 'broadcast'), delivery('team talk', 'group', true)]) {
      const line = formatDelivery(event.seq, event.offline, event.message);
      expect(paintDelivery(event, noPaint)).toBe(line);
      const painted = paintDelivery(event, ansiPaint);
      expect(painted).not.toBe(line);
      expect(stripSgr(painted)).toBe(line);
      expect(painted).toContain('\x1b[1m\x1b[36mbob\x1b[0m');
    }
    expect(paintDelivery(delivery('x', 'group', true), ansiPaint)).toContain('\x1b[32mgroup team\x1b[0m');
  });

  it('no escape or control character from the server reaches the terminal', () => {
    const evil = delivery('red \x1b[31malert\x1b[0m \x9b2J bell\x07 line\nbreak');
    const painted = stripSgr(paintDelivery(evil, ansiPaint));
    // eslint-disable-next-line no-control-regex
    expect(painted).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(printable('a\u009bb\u0085c\u001bd')).toBe('a b c d');
  });

  it('events and errors render as the text protocol does; hello is not shown', () => {
    expect(renderEvent({ type: 'event', event: 'presence', user: 'bob', online: false, at: 0 })).toEqual({ lines: ['* bob went offline'], style: 'notice' });
    expect(renderEvent({ type: 'event', event: 'hello', server: 'chat', protocol: 1, allowRegister: false, maxFrameBytes: 1 })).toBeNull();
    expect(renderError({ code: 'BLOCKED', message: 'no' })).toEqual({ lines: ['error BLOCKED: no'], style: 'error' });
  });

  it('colours only on a terminal that has them, never with --no-color or NO_COLOR', () => {
    const tty = { isTTY: true, hasColors: () => true } as never;
    expect(wantsColour(tty, {}, null)).toBe(true);
    expect(wantsColour(tty, { NO_COLOR: '' }, null)).toBe(false);
    expect(wantsColour(tty, {}, false)).toBe(false);
    expect(wantsColour({ isTTY: false } as never, {}, null)).toBe(false);
    expect(wantsColour({ isTTY: true, hasColors: () => false } as never, {}, null)).toBe(false);
  });

  it('tells loopback hosts (no warning about a clear-text password) from the rest', () => {
    for (const host of ['localhost', '127.0.0.1', '127.8.9.10', '[::1]', '::1', 'app.localhost']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['chat.example.com', '10.0.0.1', '192.168.1.2', '::2', 'localhost.example.com']) expect(isLoopbackHost(host), host).toBe(false);
  });
});
