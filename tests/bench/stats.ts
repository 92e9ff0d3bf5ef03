// Measurement helpers shared by load workers and the runner: a mergeable
// latency histogram, a per-stream loss/duplicate/order checker with the rule
// for our server's seq, the 64-byte payload, the clock, and median/range.

/** Monotonic microseconds, the same clock in every process on this machine (CLOCK_MONOTONIC). */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const LINEAR_LIMIT = 1000; // µs: exact up to 1 ms
const GROWTH = Math.log(1.01); // then 1% wide buckets

/** Serialised form sent over IPC: bucket index → count. */
export interface HistogramData {
  buckets: [number, number][];
  count: number;
  max: number;
}

/** Latencies in microseconds, bucketed (exact below 1 ms, 1% resolution above). */
export class Histogram {
  private readonly counts = new Map<number, number>();
  count = 0;
  max = 0;

  record(us: number): void {
    const v = Math.max(0, Math.round(us));
    const bucket = v < LINEAR_LIMIT ? v : LINEAR_LIMIT + Math.floor(Math.log(v / LINEAR_LIMIT) / GROWTH);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.count++;
    if (v > this.max) this.max = v;
  }

  merge(data: HistogramData): void {
    for (const [bucket, n] of data.buckets) this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
    this.count += data.count;
    this.max = Math.max(this.max, data.max);
  }

  /** Value (µs) at quantile q in [0, 1]; 0 when empty. Upper edge of the bucket, capped at max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket)!;
      if (seen >= rank) {
        const edge = bucket < LINEAR_LIMIT ? bucket : LINEAR_LIMIT * Math.exp((bucket - LINEAR_LIMIT + 1) * GROWTH);
        return Math.min(edge, this.max);
      }
    }
    return this.max;
  }

  toJSON(): HistogramData {
    return { buckets: [...this.counts.entries()], count: this.count, max: this.max };
  }
}

/** Totals of StreamCheck over many streams; summed across workers. */
export interface StreamTotals {
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Server sequence numbers that broke the seq rule (our server only; the relay and IRC peers have none). */
  seqErrors: number;
}

export function emptyTotals(): StreamTotals {
  return { expected: 0, received: 0, lost: 0, duplicated: 0, reordered: 0, seqErrors: 0 };
}

export function addTotals(into: StreamTotals, more: StreamTotals): void {
  into.expected += more.expected;
  into.received += more.received;
  into.lost += more.lost;
  into.duplicated += more.duplicated;
  into.reordered += more.reordered;
  into.seqErrors += more.seqErrors;
}

/**
 * How a server numbers the deliveries of one recipient (`seq`):
 * - `consecutive`: per recipient, +1 each (the old per-recipient counters: a gap means a lost delivery);
 * - `increasing`: increasing per recipient but may skip (a position in one global stream: ours).
 */
export type SeqRule = 'consecutive' | 'increasing';

/**
 * The rule the benchmark applies to our server: a delivery's seq is the
 * message's position in the one stream (`--seq-rule` overrides it for one run).
 * Lost deliveries are counted by the scenario's expected totals instead.
 */
export const OUR_SEQ_RULE: SeqRule = 'increasing';

/** True when `seq` may follow `previous` (null: the first delivery seen) under `rule`. */
export function seqFollows(previous: number | null, seq: number, rule: SeqRule): boolean {
  if (!Number.isSafeInteger(seq) || seq < 0) return false;
  if (previous === null) return true;
  return rule === 'consecutive' ? seq === previous + 1 : seq > previous;
}

/**
 * Checks one stream of numbered messages (0..expected-1, from one sender) as a
 * receiver sees it: each must arrive once, in order. Lost = never arrived.
 * Server seqs (when the target has them) must follow `seqRule`.
 */
export class StreamCheck {
  private seen: Uint8Array;
  private last = -1;
  private lastSeq: number | null = null;
  distinct = 0;
  received = 0;
  duplicated = 0;
  reordered = 0;
  seqErrors = 0;

  constructor(
    public expected: number,
    private readonly seqRule: SeqRule = OUR_SEQ_RULE,
  ) {
    this.seen = new Uint8Array(Math.max(1, expected));
  }

  /** `seq` is the server's per-recipient sequence number, or null (relay, IRC peers). */
  record(n: number, seq: number | null): void {
    this.received++;
    if (seq !== null) {
      if (!seqFollows(this.lastSeq, seq, this.seqRule)) this.seqErrors++;
      this.lastSeq = seq;
    }
    if (n >= this.seen.length) {
      // A sender paced by time may send more than first announced.
      const grown = new Uint8Array(Math.max(n + 1, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    if (this.seen[n]) {
      this.duplicated++;
      return;
    }
    this.seen[n] = 1;
    this.distinct++;
    if (n !== this.last + 1) this.reordered++;
    if (n > this.last) this.last = n;
  }

  get complete(): boolean {
    return this.distinct >= this.expected;
  }

  totals(): StreamTotals {
    return {
      expected: this.expected,
      received: this.received,
      lost: Math.max(0, this.expected - this.distinct),
      duplicated: this.duplicated,
      reordered: this.reordered,
      seqErrors: this.seqErrors,
    };
  }
}

/** Every benchmark message text is exactly this long, for every server (the peers' comparison used 64 bytes). */
export const PAYLOAD_BYTES = 64;
const PADDING = 'x'.repeat(PAYLOAD_BYTES);

/** Text of a benchmark message: its number in the stream and the send time (µs, monotonic), padded to PAYLOAD_BYTES. */
export function benchText(n: number, sentUs: number): string {
  const head = `b ${n} ${sentUs} `;
  return head.length >= PAYLOAD_BYTES ? head : head + PADDING.slice(head.length);
}

/** Parses benchText(); null for anything else. */
export function parseBenchText(text: string): { n: number; sentUs: number } | null {
  if (!text.startsWith('b ')) return null;
  const space = text.indexOf(' ', 2);
  if (space === -1) return null;
  const end = text.indexOf(' ', space + 1);
  const n = Number(text.slice(2, space));
  const sentUs = Number(text.slice(space + 1, end === -1 ? undefined : end));
  return Number.isInteger(n) && n >= 0 && Number.isFinite(sentUs) ? { n, sentUs } : null;
}

/** Median and range of repeated measurements (nulls, i.e. not measured, are left out). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  count: number;
}

export function spreadOf(values: readonly (number | null | undefined)[]): Spread | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  const median = xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  return { median, min: xs[0]!, max: xs[xs.length - 1]!, count: xs.length };
}

/**
 * Completions per second over the first `k` and over the last `k` of a sorted
 * list of completion times (µs) that started at `startUs`: equal when each
 * completion costs the same however many came before. Null when fewer than k.
 */
export function firstAndLastRates(doneUs: readonly number[], startUs: number, k: number): { first: number | null; last: number | null } {
  const n = doneUs.length;
  if (k < 1 || n < k) return { first: null, last: null };
  const firstS = (doneUs[k - 1]! - startUs) / 1e6;
  // The last k: from the completion just before them to the last one (with n == k, from the start).
  const lastFromUs = n > k ? doneUs[n - k - 1]! : startUs;
  const lastS = (doneUs[n - 1]! - lastFromUs) / 1e6;
  return { first: firstS > 0 ? k / firstS : null, last: lastS > 0 ? k / lastS : null };
}
