// TokenBucket with an injected clock: bursts, refill rate, the wait it reports.
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../server/services/rate-limit';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('TokenBucket', () => {
  it('allows a burst, then reports the milliseconds until the next token', () => {
    const c = clock();
    const bucket = new TokenBucket(2, 3, c.now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.take()).toBe(500);
    c.advance(499);
    // About 1 ms left (floating point may round the wait up by one).
    expect(bucket.take()).toBeGreaterThanOrEqual(1);
    expect(bucket.take()).toBeLessThanOrEqual(2);
    c.advance(1);
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(500);
  });

  it('refills at the rate but never beyond the burst', () => {
    const c = clock();
    const bucket = new TokenBucket(5, 5, c.now);
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(0);
    c.advance(60_000);
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(200);
    // Refused takes do not consume: after 200 ms exactly one token is back.
    c.advance(200);
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBeGreaterThan(0);
  });

  it('sustains exactly the rate over time', () => {
    const c = clock();
    const bucket = new TokenBucket(10, 1, c.now);
    let allowed = 0;
    for (let ms = 0; ms < 10_000; ms += 10) {
      if (bucket.take() === 0) allowed++;
      c.advance(10);
    }
    expect(allowed).toBe(100);
  });

  it('rate 0 means unlimited', () => {
    const bucket = new TokenBucket(0, 1, () => 0);
    for (let i = 0; i < 1000; i++) expect(bucket.take()).toBe(0);
  });
});
