// Comparing servers within a run: ratios are taken within each repeat, then
// reduced to median and range; correctness counts decide pass/fail; targets
// are judged on the medians.
import { describe, expect, it } from 'vitest';
import { measurement, ratioOf, ratioTarget, referencesOf, renderSummary, summarize, type Measurement, type Scenario } from '../../../tests/bench/compare';
import { RELAY, ours, type ServerSpec } from '../../../tests/bench/harness';

const peer = (name: 'ngircd' | 'inspircd'): ServerSpec => ({
  id: name,
  kind: 'peer',
  peer: { name, available: true, binary: `/usr/sbin/${name}`, version: 'test' },
});

function scenario(servers: ServerSpec[], targets: Scenario['targets'] = []): Scenario {
  return {
    name: 'demo',
    title: 'demo',
    params: {},
    servers,
    skipped: [],
    columns: [{ key: 'rate', label: 'rate' }],
    compared: [{ key: 'rate', label: 'rate' }],
    targets,
    notes: [],
    measure: () => Promise.reject(new Error('not used')),
  };
}

describe('referencesOf', () => {
  it('compares ours with the peers, then the relay, and SQLite also with memory on the same transport', () => {
    const servers = [ours('tcp', 'memory'), ours('tcp', 'sqlite'), ours('ws', 'memory'), RELAY, peer('ngircd'), peer('inspircd')];
    expect(referencesOf(servers[1]!, servers).map((r) => r.id)).toEqual(['ngircd', 'inspircd', 'relay', 'ours-tcp-memory']);
    // Our memory store is one column whatever the transport.
    expect(referencesOf(servers[1]!, servers).map((r) => r.column)).toEqual(['ngircd', 'inspircd', 'relay', 'memory']);
    expect(referencesOf(servers[0]!, servers).map((r) => r.id)).toEqual(['ngircd', 'inspircd', 'relay']);
    expect(referencesOf(RELAY, servers)).toEqual([]);
  });
});

describe('summarize', () => {
  const servers = [ours('tcp', 'memory'), peer('ngircd')];
  const m = (rate: number, extra: Partial<Measurement> = {}) => measurement({ rate, lost: 0, duplicated: 0, reordered: 0, seqErrors: 0 }, extra);

  it('takes ratios within each repeat and reports their median and range', () => {
    // Ours is half of ngIRCd in every repeat although both drift: the ratio stays 0.5.
    const byServer = new Map([
      ['ours-tcp-memory', [m(50), m(100), m(10)]],
      ['ngircd', [m(100), m(200), m(20)]],
    ]);
    const s = summarize(scenario(servers), byServer, [0.5, 1, 2], 3);
    expect(s.servers[0]!.metrics.rate).toEqual({ median: 50, min: 10, max: 100, count: 3 });
    expect(ratioOf(s, 'ours-tcp-memory', 'ngircd', 'rate')).toBe(0.5);
    expect(s.ratios[0]!.spread).toEqual({ median: 0.5, min: 0.5, max: 0.5, count: 3 });
    expect(s.loadAverages).toEqual([0.5, 1, 2]);
    expect(s.status).toBe('pass');
  });

  it('fails on any correctness problem and sums the correctness counts over repeats', () => {
    const byServer = new Map([
      ['ours-tcp-memory', [measurement({ rate: 1, lost: 2, duplicated: 0, reordered: 1, seqErrors: 0 }, { problems: ['2 lost'] }), m(1)]],
      ['ngircd', [m(1), m(1)]],
    ]);
    const s = summarize(scenario(servers), byServer, [0, 0], 2);
    expect(s.status).toBe('fail');
    expect(s.servers[0]!.correctness).toEqual({ lost: 2, duplicated: 0, reordered: 1, seqErrors: 0 });
    expect(s.servers[0]!.problems).toEqual(['repeat 1: 2 lost']);
    expect(renderSummary(s, scenario(servers))).toContain('| ours TCP | memory | 2/0/1/0 |');
  });

  it('judges targets on the median ratio, and leaves them unjudged when a server is missing', () => {
    const target = ratioTarget('ours >= 1x ngIRCd', [['ours-tcp-memory', 'ngircd']], 'rate', (r) => r >= 1, true);
    const byServer = new Map([
      ['ours-tcp-memory', [m(50)]],
      ['ngircd', [m(100)]],
    ]);
    const missed = summarize(scenario(servers, [target]), byServer, [0], 1);
    expect(missed.targets[0]).toMatchObject({ met: false });
    expect(missed.status).toBe('target-missed');
    const alone = summarize(scenario([ours('tcp', 'memory')], [target]), new Map([['ours-tcp-memory', [m(50)]]]), [0], 1);
    expect(alone.targets[0]).toMatchObject({ met: null });
    expect(alone.status).toBe('pass');
  });

  it('reports a shortfall (too slow, nothing wrong) as a missed target, not a failure', () => {
    const byServer = new Map([['ours-tcp-memory', [m(1, { shortfalls: ['only 10 of 20 signed in'] })]]]);
    expect(summarize(scenario([ours('tcp', 'memory')]), byServer, [0], 1).status).toBe('target-missed');
  });
});
