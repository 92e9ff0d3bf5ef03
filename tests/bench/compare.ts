// Comparing servers in one run: each scenario measures every server once per
// repeat, one after another; ratios (ours / a reference server) are taken
// within a repeat, then summarised as the median and range over repeats,
// with correctness counts and a verdict on each target.
import { persists, serverLabel, storeLabel, type ServerSpec } from './harness';
import { spreadOf, type Spread } from './stats';

/** A metric shown in the tables. */
export interface Column {
  key: string;
  label: string;
}

/** What one measurement of one server produced. */
export interface Measurement {
  /** Rates per second, latencies in ms, CPU in µs, sizes in bytes unless the key says otherwise; null = not measured. */
  metrics: Record<string, number | null>;
  /** Correctness failures: lost, duplicated, reordered, seq broken, error replies, disconnects, a deadline. */
  problems: string[];
  /** Too slow, but nothing went wrong (e.g. sign-ins still running at the deadline): a missed target, not a failure. */
  shortfalls: string[];
  notes: string[];
}

export function measurement(metrics: Measurement['metrics'], more: Partial<Omit<Measurement, 'metrics'>> = {}): Measurement {
  return { metrics, problems: more.problems ?? [], shortfalls: more.shortfalls ?? [], notes: more.notes ?? [] };
}

export interface TargetVerdict {
  /** true: met; false: missed; null: not judged here (a server absent, smoke sizes). */
  met: boolean | null;
  detail: string;
}

export interface TargetRule {
  text: string;
  judge(s: Summary): TargetVerdict;
}

export interface Scenario {
  /** Stable id, e.g. `fanout-1000` (JSON, --scenario selects by its prefix). */
  name: string;
  title: string;
  params: Record<string, string | number | boolean>;
  servers: ServerSpec[];
  /** Servers left out, each with the reason (e.g. how to install a peer). */
  skipped: string[];
  columns: Column[];
  /** Metrics compared as ratios, ours / reference, within each repeat. */
  compared: Column[];
  targets: TargetRule[];
  notes: string[];
  /** False: measured in the first repeat only (a figure that does not vary between runs). Default true. */
  repeatable?: boolean;
  measure(server: ServerSpec, repeat: number): Promise<Measurement>;
}

export type Status = 'pass' | 'target-missed' | 'fail' | 'skipped';

export interface ServerSummary {
  id: string;
  label: string;
  store: string;
  persists: boolean;
  metrics: Record<string, Spread | null>;
  /** Lost, duplicated, reordered and seq errors summed over all repeats. */
  correctness: { lost: number; duplicated: number; reordered: number; seqErrors: number };
  problems: string[];
  shortfalls: string[];
  notes: string[];
}

export interface RatioSummary {
  server: string;
  /** The server divided by. */
  reference: string;
  /** The table column it goes in (the peers and the relay: their id; our memory store: `memory`, whatever the transport). */
  column: string;
  referenceLabel: string;
  metric: string;
  spread: Spread | null;
}

export interface Summary {
  name: string;
  title: string;
  params: Scenario['params'];
  repeats: number;
  /** One-minute load average at the start of each repeat. */
  loadAverages: number[];
  servers: ServerSummary[];
  ratios: RatioSummary[];
  targets: (TargetVerdict & { text: string })[];
  status: Status;
  skipped: string[];
  notes: string[];
}

/** The servers our figures are divided by, in column order: the peers, the ws floor, and (for SQLite) our memory store on the same transport. */
export function referencesOf(spec: ServerSpec, servers: readonly ServerSpec[]): { id: string; column: string; label: string }[] {
  if (spec.kind !== 'ours') return [];
  const refs: { id: string; column: string; label: string }[] = [];
  for (const other of servers) if (other.kind === 'peer') refs.push({ id: other.id, column: other.id, label: serverLabel(other) });
  for (const other of servers) if (other.kind === 'relay') refs.push({ id: other.id, column: other.id, label: serverLabel(other) });
  if (spec.store === 'sqlite') {
    const memory = servers.find((o) => o.kind === 'ours' && o.transport === spec.transport && o.store === 'memory');
    if (memory) refs.push({ id: memory.id, column: 'memory', label: 'ours memory (same transport)' });
  }
  return refs;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** Summarises one scenario from its measurements, `byServer[id][repeat - 1]` (missing repeats: undefined). */
export function summarize(scenario: Scenario, byServer: ReadonlyMap<string, (Measurement | undefined)[]>, loadAverages: number[], repeats: number): Summary {
  const servers: ServerSummary[] = scenario.servers.map((spec) => {
    const ms = (byServer.get(spec.id) ?? []).filter((m): m is Measurement => m !== undefined);
    const keys = new Set<string>(scenario.columns.map((c) => c.key));
    for (const m of ms) for (const k of Object.keys(m.metrics)) keys.add(k);
    const metrics: Record<string, Spread | null> = {};
    for (const k of keys) metrics[k] = spreadOf(ms.map((m) => m.metrics[k]));
    const sum = (k: string) => ms.reduce((n, m) => n + (typeof m.metrics[k] === 'number' ? m.metrics[k] : 0), 0);
    const tag = (r: number, text: string) => (repeats > 1 ? `repeat ${r}: ${text}` : text);
    const each = (pick: (m: Measurement) => string[]) => (byServer.get(spec.id) ?? []).flatMap((m, i) => (m ? pick(m).map((t) => tag(i + 1, t)) : []));
    return {
      id: spec.id,
      label: serverLabel(spec),
      store: storeLabel(spec),
      persists: persists(spec),
      metrics,
      correctness: { lost: sum('lost'), duplicated: sum('duplicated'), reordered: sum('reordered'), seqErrors: sum('seqErrors') },
      problems: each((m) => m.problems),
      shortfalls: each((m) => m.shortfalls),
      notes: [...new Set(ms.flatMap((m) => m.notes))],
    };
  });
  const ratios: RatioSummary[] = [];
  for (const spec of scenario.servers) {
    for (const ref of referencesOf(spec, scenario.servers)) {
      for (const c of scenario.compared) {
        const mine = byServer.get(spec.id) ?? [];
        const theirs = byServer.get(ref.id) ?? [];
        const perRepeat = Array.from({ length: repeats }, (_, i) => ratio(mine[i]?.metrics[c.key], theirs[i]?.metrics[c.key]));
        ratios.push({ server: spec.id, reference: ref.id, column: ref.column, referenceLabel: ref.label, metric: c.key, spread: spreadOf(perRepeat) });
      }
    }
  }
  const summary: Summary = {
    name: scenario.name,
    title: scenario.title,
    params: scenario.params,
    repeats,
    loadAverages,
    servers,
    ratios,
    targets: [],
    status: 'pass',
    skipped: scenario.skipped,
    notes: scenario.notes,
  };
  summary.targets = scenario.targets.map((t) => ({ text: t.text, ...t.judge(summary) }));
  const failed = servers.some((s) => s.problems.length > 0);
  const missed = summary.targets.some((t) => t.met === false) || servers.some((s) => s.shortfalls.length > 0);
  summary.status = servers.length === 0 ? 'skipped' : failed ? 'fail' : missed ? 'target-missed' : 'pass';
  return summary;
}

/** Median of a metric of one server, or null. */
export function medianOf(s: Summary, server: string, key: string): number | null {
  return s.servers.find((x) => x.id === server)?.metrics[key]?.median ?? null;
}

/** Median of ours / reference for a metric, or null when either was not measured. */
export function ratioOf(s: Summary, server: string, reference: string, key: string): number | null {
  return s.ratios.find((r) => r.server === server && r.reference === reference && r.metric === key)?.spread?.median ?? null;
}

/**
 * A target over several (server, reference) pairs: `ok(ratio)` for each pair
 * that was measured. Not judged when none was, or when `judged` is false.
 */
export function ratioTarget(text: string, pairs: [string, string][], key: string, ok: (r: number) => boolean, judged: boolean): TargetRule {
  return {
    text,
    judge(s) {
      if (!judged) return { met: null, detail: 'not judged at these sizes' };
      const found = pairs.map(([server, ref]) => ({ server, ref, r: ratioOf(s, server, ref, key) })).filter((x) => x.r !== null);
      if (found.length === 0) return { met: null, detail: 'not judged: a server it compares was not measured' };
      const detail = found.map((x) => `${x.server} / ${x.ref}: ${fmtRatio(x.r!)}`).join(', ');
      return { met: found.every((x) => ok(x.r!)), detail };
    },
  };
}

// ---------------------------------------------------------------- rendering

export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 100) / 100);
}

export function fmtRatio(v: number): string {
  return `${v >= 10 ? Math.round(v * 10) / 10 : Math.round(v * 100) / 100}x`;
}

function fmtSpread(s: Spread | null, asRatio = false): string {
  if (!s) return '-';
  const f = asRatio ? fmtRatio : fmt;
  if (s.count < 2 || f(s.min) === f(s.max)) return f(s.median);
  return `${f(s.median)} (${asRatio ? fmt(s.min) : f(s.min)}-${f(s.max)})`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** A scenario's result as Markdown: metrics per server, ratios per reference, targets, notes. */
export function renderSummary(s: Summary, scenario: Pick<Scenario, 'columns' | 'compared'>): string {
  const lines: string[] = [];
  const loads = s.loadAverages.map((l) => l.toFixed(2)).join(', ');
  lines.push(`### ${s.title}`);
  lines.push('');
  lines.push(
    `${s.repeats} repeat(s), load average at the start of each: ${loads || '-'}. Median${s.repeats > 1 ? ' (range)' : ''} per server. Status: ${s.status.toUpperCase()}.`,
  );
  lines.push('');
  if (s.servers.length > 0) {
    lines.push(row(['server', 'store', 'lost/dup/reord/seq', ...scenario.columns.map((c) => c.label)]));
    lines.push(row(Array.from({ length: scenario.columns.length + 3 }, () => '---')));
    for (const srv of s.servers) {
      const c = srv.correctness;
      lines.push(
        row([
          srv.label,
          srv.store === 'none' ? 'none (persists nothing)' : srv.store,
          `${c.lost}/${c.duplicated}/${c.reordered}/${c.seqErrors}`,
          ...scenario.columns.map((col) => fmtSpread(srv.metrics[col.key] ?? null)),
        ]),
      );
    }
  }
  const refs = [...new Map(s.ratios.map((r) => [r.column, r.referenceLabel])).entries()];
  if (refs.length > 0) {
    lines.push('');
    lines.push(row(['ours / reference', 'store', 'metric', ...refs.map(([, label]) => `vs ${label}`)]));
    lines.push(row(Array.from({ length: refs.length + 3 }, () => '---')));
    for (const srv of s.servers) {
      for (const c of scenario.compared) {
        const cells = refs.map(([column]) => s.ratios.find((r) => r.server === srv.id && r.column === column && r.metric === c.key));
        if (cells.every((x) => !x?.spread)) continue;
        lines.push(row([srv.label, srv.store, c.label, ...cells.map((x) => (x ? fmtSpread(x.spread, true) : '-'))]));
      }
    }
  }
  lines.push('');
  for (const t of s.targets) lines.push(`- target ${t.met === null ? 'not judged' : t.met ? 'met' : 'MISSED'}: ${t.text} (${t.detail})`);
  for (const srv of s.servers) {
    for (const p of srv.problems) lines.push(`- FAIL ${srv.label} ${srv.store}: ${p}`);
    for (const p of srv.shortfalls) lines.push(`- too slow ${srv.label} ${srv.store}: ${p}`);
    for (const n of srv.notes) lines.push(`- note ${srv.label} ${srv.store}: ${n}`);
  }
  for (const k of s.skipped) lines.push(`- skipped: ${k}`);
  for (const n of s.notes) lines.push(`- note: ${n}`);
  return lines.join('\n');
}

/** A summary as one JSON line. */
export function summaryJson(s: Summary): string {
  return JSON.stringify({
    type: 'summary',
    name: s.name,
    title: s.title,
    params: s.params,
    repeats: s.repeats,
    loadAverages: s.loadAverages,
    servers: s.servers,
    ratios: s.ratios.map((r) => ({
      server: r.server,
      reference: r.reference,
      metric: r.metric,
      ...(r.spread ?? { median: null, min: null, max: null, count: 0 }),
    })),
    targets: s.targets,
    status: s.status,
    pass: s.status === 'pass' ? true : s.status === 'skipped' ? null : false,
    skipped: s.skipped,
    notes: s.notes,
  });
}
