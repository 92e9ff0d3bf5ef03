// The hot-path message counter must expose exactly what prom-client's own
// counter shows for the same counts (series, their order, values), however
// scrapes fall between them.
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelCounter } from '../../../server/metrics';

describe('LabelCounter', () => {
  it('renders what prom-client renders for the same counts, scraped before, between and after them', async () => {
    const refRegistry = new Registry();
    const ref = new Counter({ name: 'c_total', help: 'help text', labelNames: ['kind'], registers: [refRegistry] });
    const registry = new Registry();
    const fast = new LabelCounter(registry, 'c_total', 'help text', 'kind');
    expect(await registry.metrics()).toBe(await refRegistry.metrics());
    const rounds = [['private', 'private', 'group'], [], ['broadcast', 'private', 'group', 'group']];
    for (const kinds of rounds) {
      for (const kind of kinds) {
        ref.inc({ kind });
        fast.count(kind);
      }
      expect(await registry.metrics()).toBe(await refRegistry.metrics());
      // Scraping twice must not count anything twice.
      expect(await registry.metrics()).toBe(await refRegistry.metrics());
    }
    expect(await registry.getMetricsAsJSON()).toEqual(await refRegistry.getMetricsAsJSON());
  });
});
