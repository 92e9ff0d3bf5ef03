// The running node's side of the admin CLI. The CLI cannot reach into a
// running process, so both sides meet in the store (the SQLite file, or the
// cluster's PostgreSQL): every POLL_MS this node
// - reads the signals the CLI left (end a user's session; tell members a group
//   was deleted) and acts on the ones concerning its own sessions;
// - reports its signed-in sessions (live_sessions), for `sessions list`;
// - prunes the audit log past its retention (--audit-days) and old signals.
import type { Logger } from '../log';
import type { SessionRegistry } from '../services/registry';
import type { AdminSignal, AdminStore, LiveSession } from '../store/store';

/** How often a node polls for signals and reports its sessions. */
export const POLL_MS = 1_000;
/** A node re-reports unchanged sessions this often; reports older than REPORT_STALE_MS are ignored (dead nodes). */
export const REPORT_EVERY_MS = 15_000;
export const REPORT_STALE_MS = 45_000;
/** Signals older than this are deleted: every node has polled them long since. */
const SIGNAL_KEEP_MS = 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

export interface ControlHooks {
  /** Ends `username`'s session on this node, if it has one, telling the client why. */
  endSession(username: string, reason: string): void;
  /** Tells this node's sessions among `members` that the group is gone. */
  groupDeleted(name: string, members: string[]): void;
  /** Runs every poll (the core re-checks whether any account exists, for `hello`). */
  everyPoll(): Promise<void>;
}

export class ControlLoop {
  private lastSignal = 0;
  private timer: NodeJS.Timeout | null = null;
  private tick: Promise<void> | null = null;
  /** The registry's change count and the time of the last report (-1: none yet). */
  private lastReport = { changes: -1, at: 0 };
  private lastPrune = 0;

  constructor(
    private readonly store: AdminStore,
    private readonly nodeId: string,
    private readonly registry: SessionRegistry,
    private readonly hooks: ControlHooks,
    private readonly log: Logger,
    private readonly options: { auditRetentionMs: number | null },
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts after the newest signal (older ones were meant for nodes that ran then). */
  async start(): Promise<void> {
    this.lastSignal = await this.store.lastSignalId();
    await this.runOnce();
    this.timer = setInterval(() => {
      this.tick ??= this.runOnce().finally(() => (this.tick = null));
    }, POLL_MS);
    this.timer.unref();
  }

  /** Stops polling and withdraws this node's session report. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.tick;
    await this.store.putNodeSessions(this.nodeId, [], this.now()).catch(() => undefined);
  }

  private async runOnce(): Promise<void> {
    try {
      for (const signal of await this.store.signalsAfter(this.lastSignal)) {
        this.lastSignal = Math.max(this.lastSignal, signal.id);
        this.apply(signal);
      }
      await this.report();
      await this.prune();
      await this.hooks.everyPoll();
    } catch (err) {
      // The store may be briefly unreachable (readiness reports it); try again next round.
      this.log.warn({ err }, 'admin control loop: store not reachable');
    }
  }

  private apply(signal: AdminSignal): void {
    switch (signal.kind) {
      case 'end-session':
        this.hooks.endSession(signal.subject, signal.detail);
        break;
      case 'group-deleted':
        this.hooks.groupDeleted(
          signal.subject,
          signal.detail.split(',').filter((m) => m !== ''),
        );
        break;
    }
  }

  private async report(): Promise<void> {
    const now = this.now();
    const changes = this.registry.changes;
    // Nobody signed in or out here since the last report: only re-report to stay fresh. Walking
    // every session each poll cost a node with 19,000 idle users a steady share of a core.
    if (changes === this.lastReport.changes && now - this.lastReport.at < REPORT_EVERY_MS) return;
    const sessions: Omit<LiveSession, 'node' | 'seenAt'>[] = [];
    for (const s of this.registry.all()) {
      sessions.push({ username: s.username, transport: s.connection.kind, address: s.connection.remoteAddress, since: s.startedAt });
    }
    await this.store.putNodeSessions(this.nodeId, sessions, now);
    this.lastReport = { changes, at: now };
  }

  private async prune(): Promise<void> {
    const now = this.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await this.store.pruneSignals(now - SIGNAL_KEEP_MS);
    if (this.options.auditRetentionMs !== null) {
      const gone = await this.store.pruneAudit(now - this.options.auditRetentionMs);
      if (gone > 0) this.log.info({ entries: gone }, 'audit log pruned');
    }
  }
}
