// The benchmark's correctness checks: the seq rule for our server (today's
// strict +1 and the coming "increasing, may skip"), the per-stream
// loss/duplicate/order check, the fixed-size payload and median/range.
import { describe, expect, it } from 'vitest';
import { OUR_SEQ_RULE, PAYLOAD_BYTES, StreamCheck, benchText, firstAndLastRates, parseBenchText, seqFollows, spreadOf } from '../../../tests/bench/stats';

describe('seqFollows', () => {
  it('consecutive: only previous + 1 follows', () => {
    expect(seqFollows(null, 1, 'consecutive')).toBe(true);
    expect(seqFollows(4, 5, 'consecutive')).toBe(true);
    expect(seqFollows(4, 6, 'consecutive')).toBe(false);
    expect(seqFollows(4, 4, 'consecutive')).toBe(false);
    expect(seqFollows(4, 3, 'consecutive')).toBe(false);
  });

  it('increasing: any larger seq follows, a repeat or a step back does not', () => {
    expect(seqFollows(4, 5, 'increasing')).toBe(true);
    expect(seqFollows(4, 900, 'increasing')).toBe(true);
    expect(seqFollows(4, 4, 'increasing')).toBe(false);
    expect(seqFollows(4, 3, 'increasing')).toBe(false);
  });

  it('rejects what is not a sequence number under either rule', () => {
    for (const rule of ['consecutive', 'increasing'] as const) {
      expect(seqFollows(null, -1, rule)).toBe(false);
      expect(seqFollows(null, 1.5, rule)).toBe(false);
      expect(seqFollows(1, Number.NaN, rule)).toBe(false);
    }
  });

  it('applies the stream rule to our server: seq is a position in one stream, increasing, may skip', () => {
    expect(OUR_SEQ_RULE).toBe('increasing');
  });
});

describe('StreamCheck', () => {
  it('counts lost, duplicated and reordered messages', () => {
    const check = new StreamCheck(5);
    for (const n of [0, 2, 1, 2, 4]) check.record(n, null);
    // 2 before 1, 1 after 2, and 4 right after 2 (3 never came) arrive out of order.
    expect(check.totals()).toEqual({ expected: 5, received: 5, lost: 1, duplicated: 1, reordered: 3, seqErrors: 0 });
    expect(check.complete).toBe(false);
  });

  it('flags a skipped seq under the consecutive rule but not under the increasing one', () => {
    const strict = new StreamCheck(3, 'consecutive');
    const loose = new StreamCheck(3, 'increasing');
    for (const [n, seq] of [
      [0, 10],
      [1, 11],
      [2, 15],
    ] as const) {
      strict.record(n, seq);
      loose.record(n, seq);
    }
    expect(strict.totals().seqErrors).toBe(1);
    expect(loose.totals().seqErrors).toBe(0);
  });

  it('flags a seq that goes back under either rule', () => {
    const loose = new StreamCheck(2, 'increasing');
    loose.record(0, 7);
    loose.record(1, 7);
    expect(loose.totals().seqErrors).toBe(1);
  });
});

describe('bench payload', () => {
  it('is exactly PAYLOAD_BYTES long and parses back', () => {
    const text = benchText(123_456, 98_765_432_109);
    expect(PAYLOAD_BYTES).toBe(64);
    expect(Buffer.byteLength(text)).toBe(PAYLOAD_BYTES);
    expect(parseBenchText(text)).toEqual({ n: 123_456, sentUs: 98_765_432_109 });
  });

  it('rejects other texts', () => {
    expect(parseBenchText('hello')).toBeNull();
    expect(parseBenchText('b x 12')).toBeNull();
  });
});

describe('spreadOf', () => {
  it('gives the median and range, leaving out what was not measured', () => {
    expect(spreadOf([3, null, 1, 2])).toEqual({ median: 2, min: 1, max: 3, count: 3 });
    expect(spreadOf([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, count: 4 });
    expect(spreadOf([null, undefined])).toBeNull();
  });
});

describe('firstAndLastRates', () => {
  it('gives equal rates when every completion takes as long', () => {
    const done = Array.from({ length: 10 }, (_, i) => 1_000_000 + (i + 1) * 100_000);
    expect(firstAndLastRates(done, 1_000_000, 3)).toEqual({ first: 10, last: 10 });
  });

  it('shows completions slowing down as more came before', () => {
    // Completion i takes i * 10 ms more than the one before: quadratic total time.
    let t = 0;
    const done = Array.from({ length: 20 }, (_, i) => (t += (i + 1) * 10_000));
    const { first, last } = firstAndLastRates(done, 0, 5);
    expect(first).not.toBeNull();
    expect(last!).toBeLessThan(first! / 3);
  });

  it('is null with fewer completions than k', () => {
    expect(firstAndLastRates([1, 2], 0, 3)).toEqual({ first: null, last: null });
  });
});
