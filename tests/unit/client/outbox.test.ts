// The client library's idempotency keys: their format fits the protocol, and keys
// made later sort after earlier ones (so the store's unique index takes them at its end).
import { describe, expect, it } from 'vitest';
import { newClientKey } from '../../../server/client/outbox';
import { CLIENT_KEY_PATTERN } from '../../../server/protocol/limits';

describe('newClientKey', () => {
  it('is 32 lowercase hex digits: the time in ms (12, zero-padded), then 80 random bits', () => {
    const at = Date.UTC(2026, 11, 2, 5, 30, 0, 123);
    const key = newClientKey(at);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(key).toMatch(CLIENT_KEY_PATTERN);
    expect(key.slice(0, 12)).toBe(at.toString(16).padStart(12, '0'));
    expect(newClientKey(0).slice(0, 12)).toBe('000000000000');
    // The last millisecond that fits the prefix (year 10889).
    expect(newClientKey(2 ** 48 - 1).slice(0, 12)).toBe('ffffffffffff');
    // Without an argument: now.
    const before = Date.now();
    const stamped = parseInt(newClientKey().slice(0, 12), 16);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });

  it('sorts by time, in byte order and in a locale collation, also across a digit carry', () => {
    const times = [0, 1, 9, 10, 15, 16, 255, 256, 0xfff_ffff_fff, 0x1000_0000_000, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, Date.UTC(2100, 0, 1)];
    const keys = times.map((t) => newClientKey(t));
    const byBytes = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(byBytes).toEqual(keys);
    expect([...keys].sort((a, b) => a.localeCompare(b, 'en'))).toEqual(keys);
  });

  it("keys of the same millisecond differ (the random part): unique across a user's devices", () => {
    const at = Date.now();
    const keys = new Set(Array.from({ length: 2_000 }, () => newClientKey(at)));
    expect(keys.size).toBe(2_000);
    for (const key of keys) expect(key.slice(0, 12)).toBe(at.toString(16).padStart(12, '0'));
  });
});
