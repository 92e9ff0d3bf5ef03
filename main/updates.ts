// Updates through electron-updater's generic provider: off by default; when the settings turn
// them on with a feed URL, checks shortly after start and then every 6 hours, downloads a newer
// version in the background and offers to restart into it. Status goes to the page as it changes.
import { ErrorCode, ProtocolError } from '../server/protocol';
import type { UpdateSettings, UpdateStatus } from './ipc/contract';
import type { UpdaterEvent, UpdaterPort } from './platform/seams';

/** Default time between checks: 6 hours. */
export const CHECK_INTERVAL_MS = 6 * 60 * 60 * 1000;
/** Default wait after start (or after turning updates on) before the first check. */
export const FIRST_CHECK_DELAY_MS = 10_000;

export interface UpdateControllerOptions {
  /** False when run from sources: electron-updater only updates packaged builds. */
  isPackaged: boolean;
  /** Loads electron-updater once, on first use (platform seam). */
  loadUpdater: () => Promise<UpdaterPort | null>;
  onStatus: (status: UpdateStatus) => void;
  intervalMs?: number;
  firstCheckDelayMs?: number;
  /** Clock for `lastChecked`; default Date.now. */
  now?: () => number;
}

export class UpdateController {
  private current: UpdateStatus;
  private settings: UpdateSettings = { enabled: false, url: '' };
  private updater: Promise<UpdaterPort | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastChecked: number | null = null;
  /** Bumped on every apply(): events and timers of an older configuration are ignored. */
  private generation = 0;

  constructor(private readonly options: UpdateControllerOptions) {
    this.current = options.isPackaged ? { state: 'disabled', reason: 'Update checks are off' } : DEV_BUILD;
  }

  status(): UpdateStatus {
    return this.current;
  }

  /** Applies the update settings: (re)configures the feed and schedules checks, or stops them. */
  apply(settings: UpdateSettings): void {
    const changed = settings.enabled !== this.settings.enabled || settings.url !== this.settings.url;
    this.settings = { ...settings };
    if (!changed) return;
    this.generation++;
    this.clearTimer();
    if (!this.options.isPackaged) return this.set(DEV_BUILD);
    if (!settings.enabled || settings.url === '') return this.set({ state: 'disabled', reason: 'Update checks are off' });
    this.set({ state: 'idle', lastChecked: this.lastChecked });
    this.schedule(this.options.firstCheckDelayMs ?? FIRST_CHECK_DELAY_MS);
  }

  /** Checks now. BAD_REQUEST when updates are off; a failed check becomes the `error` status. */
  async check(): Promise<UpdateStatus> {
    if (!this.options.isPackaged) throw new ProtocolError(ErrorCode.BAD_REQUEST, DEV_BUILD.reason);
    if (!this.settings.enabled || this.settings.url === '') throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Update checks are off');
    if (this.current.state === 'checking' || this.current.state === 'downloading' || this.current.state === 'ready') return this.current;
    const generation = this.generation;
    const updater = await this.load();
    if (!updater) {
      this.set({ state: 'error', message: 'The updater could not be loaded' });
      return this.current;
    }
    if (generation !== this.generation) return this.current;
    updater.setFeedUrl(this.settings.url);
    this.set({ state: 'checking' });
    try {
      await updater.check();
      this.lastChecked = this.options.now?.() ?? Date.now();
      // No newer version: the updater said not-available, or it said nothing at all.
      if (generation === this.generation && this.state() === 'checking') this.set({ state: 'idle', lastChecked: this.lastChecked });
    } catch (err) {
      if (generation === this.generation) this.set({ state: 'error', message: err instanceof Error ? err.message : String(err) });
    }
    return this.current;
  }

  /** Restarts into the downloaded version. BAD_REQUEST unless one is ready. */
  async install(): Promise<void> {
    if (this.current.state !== 'ready') throw new ProtocolError(ErrorCode.BAD_REQUEST, 'No update has been downloaded');
    const updater = await this.load();
    updater?.quitAndInstall();
  }

  /** Stops the timer (quitting). */
  stop(): void {
    this.generation++;
    this.clearTimer();
  }

  private load(): Promise<UpdaterPort | null> {
    this.updater ??= this.options.loadUpdater().then((updater) => {
      updater?.onEvent((event) => this.onEvent(event));
      return updater;
    });
    return this.updater;
  }

  private onEvent(event: UpdaterEvent): void {
    if (!this.settings.enabled) return;
    switch (event.type) {
      case 'checking':
        this.set({ state: 'checking' });
        break;
      case 'not-available':
        break; // check() settles to idle with the time of the check.
      case 'available':
        this.set({ state: 'downloading', version: event.version, percent: 0 });
        break;
      case 'progress':
        if (this.current.state === 'downloading') this.set({ ...this.current, percent: Math.max(0, Math.min(100, Math.round(event.percent))) });
        break;
      case 'downloaded':
        this.set({ state: 'ready', version: event.version });
        break;
      case 'error':
        this.set({ state: 'error', message: event.message });
        break;
    }
  }

  private schedule(delayMs: number): void {
    const generation = this.generation;
    this.timer = setTimeout(() => {
      if (generation !== this.generation) return;
      void this.check()
        .catch(() => undefined)
        .finally(() => {
          if (generation === this.generation) this.schedule(this.options.intervalMs ?? CHECK_INTERVAL_MS);
        });
    }, delayMs);
    // A pending check must not keep a quitting app alive.
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Read through a method: `current` changes behind TypeScript's back while awaiting. */
  private state(): UpdateStatus['state'] {
    return this.current.state;
  }

  private set(status: UpdateStatus): void {
    this.current = status;
    this.options.onStatus(status);
  }
}

const DEV_BUILD = { state: 'disabled', reason: 'Updates apply to installed builds only, not to the app run from sources' } as const satisfies UpdateStatus;
