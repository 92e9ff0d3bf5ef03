// The node's Prometheus metrics (prom-client), in a registry of its own so
// several servers in one process (tests, the desktop app's host mode) never
// mix their figures. Layers record through the fields below; gauges that
// describe live state read it at scrape time through MetricSources, which the
// core fills in. Served as text by transport/metrics-http.ts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MessageKind } from './protocol/models';

/** What the gauges read when scraped; every source defaults to "nothing". */
export interface MetricSources {
  /** Open connections by transport name ('tcp', 'ws'). */
  connections(): Record<string, number>;
  /** Signed-in sessions on this node. */
  sessions(): number;
  /** Password hashes waiting for a thread (queued behind the running ones). */
  hashQueue(): number;
}

/** The transports whose series always appear. */
const TRANSPORTS = ['tcp', 'ws'] as const;

/** Latency buckets in seconds: 0.5 ms to 10 s. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Observations of one label value not yet folded into the histogram. */
interface Pending {
  /** Per bucket of LATENCY_BUCKETS (not cumulative); values above the last bound count only in `count`. */
  counts: number[];
  sum: number;
  count: number;
}

/** prom-client's per-series record of a histogram (not in its typings; see fold()). */
interface SeriesRecord {
  labels: Record<string, string | number>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * Creates the series of `values` at 0, so a scrape shows them before their
 * first count: a dashboard or alert sees 0 rather than no series, and rate()
 * counts the first increment.
 */
function startAtZero<L extends string>(counter: Counter<L>, label: L, values: readonly string[]): void {
  for (const value of values) counter.inc({ [label]: value } as Partial<Record<L, string>>, 0);
}

/**
 * A latency histogram that is cheap to observe on the hot path (once per
 * delivery and per store write): an observation adds to plain counters of its
 * label value, and the counters are folded into the prom-client histogram
 * when the registry is scraped, so /metrics shows the same series, buckets,
 * counts and sums as observing each value in prom-client would (sums may
 * differ in the last bits of floating-point rounding). prom-client's own
 * observe() validates the labels and hashes them into a key every time.
 */
export class LatencyHistogram<L extends string = never> {
  readonly histogram: Histogram<L>;
  private readonly pending = new Map<string, Pending>();

  constructor(
    registry: Registry,
    name: string,
    help: string,
    /** The one label that splits the series, if any. */
    private readonly label?: L,
  ) {
    const fold = (histogram: Histogram<L>) => this.fold(histogram);
    this.histogram = new Histogram<L>({
      name,
      help,
      labelNames: label ? [label] : [],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
      collect() {
        fold(this);
      },
    });
  }

  /** Records `value` (seconds, finite) for the unlabelled series, or for `labels[label]`: prom-client's observe() signature. */
  observe(labelsOrValue: Partial<Record<L, string>> | number, value?: number): void {
    let key = '';
    let seconds: number;
    if (typeof labelsOrValue === 'number') seconds = labelsOrValue;
    else {
      seconds = value as number;
      if (this.label) key = labelsOrValue[this.label] ?? '';
    }
    this.add(key, seconds, 1);
  }

  /**
   * Records `value` (seconds, finite) `times` times for the unlabelled series, as
   * that many observe(value) calls would (a fan-out hands one message to all its
   * recipients at the same instant: one bucket search for all of them).
   */
  observeMany(value: number, times: number): void {
    if (times > 0) this.add('', value, times);
  }

  private add(key: string, seconds: number, times: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${String(seconds)}`);
    let pending = this.pending.get(key);
    if (pending === undefined) this.pending.set(key, (pending = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    if (i < LATENCY_BUCKETS.length) pending.counts[i]! += times;
    pending.sum += seconds * times;
    pending.count += times;
  }

  /** Adds the pending observations to prom-client's records of the series (run by the registry at scrape time). */
  private fold(histogram: Histogram<L>): void {
    for (const [key, pending] of this.pending) {
      if (pending.count === 0) continue;
      const labels = (this.label ? { [this.label]: key } : {}) as Partial<Record<L, string>>;
      const series = this.series(histogram, labels);
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        series.bucketValues[LATENCY_BUCKETS[i]!]! += pending.counts[i]!;
        pending.counts[i] = 0;
      }
      series.sum += pending.sum;
      series.count += pending.count;
      pending.sum = 0;
      pending.count = 0;
    }
  }

  /** prom-client's record of the series with `labels`, made (zeroed, as observe() would) when missing. */
  private series(histogram: Histogram<L>, labels: Partial<Record<L, string>>): SeriesRecord {
    const records = () => Object.values((histogram as unknown as { hashMap: Record<string, SeriesRecord> }).hashMap);
    const matches = (r: SeriesRecord) => !this.label || r.labels[this.label] === labels[this.label];
    let found = records().find(matches);
    if (!found) {
      histogram.zero(labels);
      found = records().find(matches);
    }
    if (!found) throw new Error(`metrics: no series for ${JSON.stringify(labels)} after zero()`);
    return found;
  }
}

/**
 * A counter split by one label that is cheap to count on the hot path (once
 * per stored message): counts add to plain numbers by label value and are
 * added to the prom-client counter when the registry is scraped, so /metrics
 * shows the same series and values as counting each in prom-client would.
 * prom-client's own inc() validates the labels and hashes them into a key every time.
 */
export class LabelCounter<L extends string> {
  readonly counter: Counter<L>;
  private readonly pending = new Map<string, number>();

  constructor(
    registry: Registry,
    name: string,
    help: string,
    private readonly label: L,
    /** Label values whose series start at 0 (see startAtZero). */
    values: readonly string[] = [],
  ) {
    const fold = (counter: Counter<L>) => this.fold(counter);
    this.counter = new Counter<L>({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        fold(this);
      },
    });
    startAtZero(this.counter, label, values);
  }

  /** Counts one for the series whose label is `value`. */
  count(value: string): void {
    this.pending.set(value, (this.pending.get(value) ?? 0) + 1);
  }

  /** Adds the pending counts to the prom-client counter (run by the registry at scrape time). */
  private fold(counter: Counter<L>): void {
    for (const [value, n] of this.pending) {
      if (n === 0) continue;
      counter.inc({ [this.label]: value } as Partial<Record<L, string>>, n);
      this.pending.set(value, 0);
    }
  }
}

export class Metrics {
  readonly registry = new Registry();
  private sources: MetricSources = { connections: () => ({}), sessions: () => 0, hashQueue: () => 0 };

  /** A counter in this registry, split by one label, whose series for `values` start at 0. */
  private counter<L extends string>(name: string, help: string, label: L, values: readonly string[]): Counter<L> {
    const counter = new Counter<L>({ name, help, labelNames: [label], registers: [this.registry] });
    startAtZero(counter, label, values);
    return counter;
  }

  /** A latency histogram (LATENCY_BUCKETS) in this registry, optionally split by one label. */
  private latency<L extends string = never>(name: string, help: string, label?: L): LatencyHistogram<L> {
    return new LatencyHistogram<L>(this.registry, name, help, label);
  }

  /** An unlabelled gauge in this registry that reads `value` at scrape time. */
  private liveGauge(name: string, help: string, value: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(value());
      },
    });
  }

  /** Messages stored, by kind (private, broadcast, group): count(kind). */
  readonly messages = new LabelCounter(this.registry, 'chat_messages_total', 'Messages stored, by kind', 'kind', MessageKind.options);
  /** Live deliveries: message timestamp to the hand-off to the recipient's connection on this node. */
  readonly deliveryLatency = this.latency(
    'chat_delivery_latency_seconds',
    "Live deliveries: from the message's server timestamp to its hand-off to the recipient's connection on this node",
  );
  /** Store writes, until committed. */
  readonly storeCommit = this.latency('chat_store_commit_seconds', 'Store writes, from the call until the store committed them, by operation', 'operation');
  /** Commands refused by the per-connection rate limit. */
  readonly rateLimited = this.counter(
    'chat_rate_limited_total',
    'Commands refused by the per-connection rate limit (RATE_LIMITED), by transport',
    'transport',
    TRANSPORTS,
  );
  /** Sign-in attempts by outcome. */
  readonly signIns = this.counter('chat_sign_ins_total', 'Password and token sign-ins, by result (ok, failed, locked)', 'result', ['ok', 'failed', 'locked']);
  /** Cluster only: publish-to-receive time of events from other nodes. */
  readonly busLag = this.latency('chat_bus_lag_seconds', 'Cluster bus: from publication on another node to receipt on this one (needs synchronised clocks)');

  constructor() {
    const sources = () => this.sources;
    new Gauge({
      name: 'chat_connections',
      help: 'Open client connections, by transport',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        // Both transports always appear, so a dashboard sees 0 rather than no series.
        const counts = { ...Object.fromEntries(TRANSPORTS.map((t) => [t, 0])), ...sources().connections() };
        for (const [transport, n] of Object.entries(counts)) this.set({ transport }, n);
      },
    });
    this.liveGauge('chat_sessions', 'Signed-in sessions on this node', () => sources().sessions());
    this.liveGauge('chat_hash_queue_depth', 'Password hashes (sign-ins, registrations, password changes) waiting for a free thread', () =>
      sources().hashQueue(),
    );
    collectDefaultMetrics({ register: this.registry, prefix: 'chat_' });
  }

  /** Connects the live-state gauges to the running node. */
  setSources(sources: MetricSources): void {
    this.sources = sources;
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
