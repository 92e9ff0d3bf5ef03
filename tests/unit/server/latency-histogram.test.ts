// The hot-path latency histogram must expose exactly what prom-client's own
// histogram shows for the same observations (buckets, counts, sums, series).
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../server/metrics';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Binary fractions, so sums are exact whatever the order of additions; includes bounds, 0 and beyond the last bucket.
const VALUES = [0, 0.0005, 2 ** -11, 2 ** -8, 0.25, 0.5, 1, 1.5, 2.5, 10, 12, 64, 2 ** -20, 0.0625];

function reference(label?: string): { registry: Registry; histogram: Histogram<string> } {
  const registry = new Registry();
  const histogram = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: label ? [label] : [], buckets: BUCKETS, registers: [registry] });
  return { registry, histogram };
}

describe('LatencyHistogram', () => {
  it('renders what prom-client renders for the same unlabelled observations, before and after more values', async () => {
    const ref = reference();
    const registry = new Registry();
    const fast = new LatencyHistogram(registry, 'h_seconds', 'help text');
    expect(await registry.metrics()).toBe(await ref.registry.metrics());
    for (const v of VALUES) {
      ref.histogram.observe(v);
      fast.observe(v);
    }
    expect(await registry.metrics()).toBe(await ref.registry.metrics());
    // Folding twice must not count anything twice.
    expect(await registry.metrics()).toBe(await ref.registry.metrics());
    for (const v of VALUES.slice(3)) {
      ref.histogram.observe(v);
      fast.observe(v);
    }
    expect(await registry.metrics()).toBe(await ref.registry.metrics());
    expect(await registry.getMetricsAsJSON()).toEqual(await ref.registry.getMetricsAsJSON());
  });

  it('keeps one series per label value, in first-observed order', async () => {
    const ref = reference('operation');
    const registry = new Registry();
    const fast = new LatencyHistogram(registry, 'h_seconds', 'help text', 'operation');
    VALUES.forEach((v, i) => {
      const operation = ['messages.saveMessage', 'messages.ack', 'accounts.recordLogin'][i % 3]!;
      ref.histogram.observe({ operation }, v);
      fast.observe({ operation }, v);
    });
    expect(await registry.metrics()).toBe(await ref.registry.metrics());
    ref.histogram.observe({ operation: 'blocks.block' }, 0.001);
    fast.observe({ operation: 'blocks.block' }, 0.001);
    expect(await registry.metrics()).toBe(await ref.registry.metrics());
  });

  it('observeMany(v, n) renders what n observations of v render (a fan-out records its recipients at once)', async () => {
    const ref = reference();
    const registry = new Registry();
    const fast = new LatencyHistogram(registry, 'h_seconds', 'help text');
    VALUES.forEach((v, i) => {
      const times = [1, 1000, 0, 3][i % 4]!;
      for (let k = 0; k < times; k++) ref.histogram.observe(v);
      fast.observeMany(v, times);
    });
    expect(await registry.metrics()).toBe(await ref.registry.metrics());
    expect(() => fast.observeMany(Number.NaN, 2)).toThrow(TypeError);
  });

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const fast = new LatencyHistogram(new Registry(), 'h_seconds', 'help text');
    expect(() => fast.observe(Number.NaN)).toThrow(TypeError);
    expect(() => fast.observe(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });
});
