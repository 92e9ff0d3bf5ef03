// How a merged run's correctness problems are worded: losses, and sends the
// server refused (told apart from losses in fan-out, where a refused message is
// missing at every receiver).
import { describe, expect, it } from 'vitest';
import { problems, type Merged } from '../../../tests/bench/harness';
import { Histogram, emptyTotals } from '../../../tests/bench/stats';

function merged(over: Partial<Merged> & { lost?: number; reordered?: number }): Merged {
  const totals = { ...emptyTotals(), lost: over.lost ?? 0, reordered: over.reordered ?? 0 };
  return {
    totals,
    hist: new Histogram(),
    startUs: 0,
    lastUs: 1,
    sent: 0,
    sendErrors: {},
    disconnects: 0,
    timedOut: false,
    workerCpuMs: 0,
    maxSendLagUs: 0,
    ...over,
  };
}

describe('problems', () => {
  it('is empty for a clean run', () => {
    expect(problems(merged({}))).toEqual([]);
  });

  it('reports losses, reordering and error replies as they are', () => {
    expect(problems(merged({ lost: 3, reordered: 2, sendErrors: { INTERNAL: 1 } }))).toEqual(['3 lost', '2 out of order', 'error replies: INTERNAL×1']);
  });

  it('explains fan-out gaps that are exactly the refused sends, without calling them losses', () => {
    const out = problems(merged({ lost: 7000, reordered: 5000, sendErrors: { RATE_LIMITED: 7 }, timedOut: true }), 0, 1000);
    expect(out[0]).toMatch(/^7 sends refused \(RATE_LIMITED×7\): their 7000 deliveries are missing/);
    expect(out[0]).toContain('nothing the server accepted was lost');
    expect(out).not.toContain('7000 lost');
    expect(out[1]).toMatch(/^deadline reached/);
  });

  it('still reports a loss when refusals do not account for it', () => {
    const out = problems(merged({ lost: 7001, sendErrors: { RATE_LIMITED: 7 } }), 0, 1000);
    expect(out).toContain('7001 lost');
  });
});
