// Scenario results and how they are printed: a table for people and, with
// --json, one JSON object per line per scenario for machines.

export type Status =
  /** Correct, and the target (if any) was met. */
  | 'pass'
  /** Correct, but a performance target was missed. */
  | 'target-missed'
  /** Lost, duplicated or reordered messages, errors, or the run did not complete. */
  | 'fail'
  /** Not run here; `notes` say why. */
  | 'skipped';

export interface ScenarioResult {
  name: string;
  params: Record<string, string | number | boolean>;
  /** Latencies in ms, rates per second, sizes in bytes unless the key says otherwise. */
  metrics: Record<string, number | string | null>;
  /** The same metrics for the baseline relay, when the scenario has one. */
  baseline?: Record<string, number>;
  /** Ours / baseline for each compared metric. */
  ratio?: Record<string, number>;
  /** The target as text; null when the issue sets none for this scenario. */
  target: string | null;
  status: Status;
  notes: string[];
}

function fmt(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(Math.round(v * 100) / 100);
}

function summarize(r: ScenarioResult): string {
  return Object.entries(r.metrics)
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(' ');
}

/** A plain-text table: one block per scenario (metrics are too many for fixed columns). */
export function table(results: readonly ScenarioResult[]): string {
  const lines: string[] = [];
  const head = ['scenario', 'status', 'params'];
  const rows = results.map((r) => [
    r.name,
    r.status.toUpperCase(),
    Object.entries(r.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  lines.push(line(head), widths.map((w) => '-'.repeat(w)).join('  '));
  results.forEach((r, i) => {
    lines.push(line(rows[i]!));
    lines.push(`    metrics: ${summarize(r)}`);
    if (r.ratio)
      lines.push(
        `    vs raw ws relay: ${Object.entries(r.ratio)
          .map(([k, v]) => `${k}=${fmt(v)}x`)
          .join(' ')}`,
      );
    if (r.target) lines.push(`    target: ${r.target}`);
    for (const n of r.notes) lines.push(`    note: ${n}`);
  });
  return lines.join('\n');
}

export function jsonLine(r: ScenarioResult): string {
  return JSON.stringify({
    name: r.name,
    params: r.params,
    metrics: r.metrics,
    baseline: r.baseline ?? null,
    ratio: r.ratio ?? null,
    target: r.target,
    pass: r.status === 'pass' ? true : r.status === 'skipped' ? null : false,
    status: r.status,
    notes: r.notes,
  });
}
