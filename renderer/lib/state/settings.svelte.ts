// The preferences in force, loaded once at startup from a SettingsStore and
// saved through it on every change. Changes made elsewhere (another tab, or
// main in the desktop app) arrive through the store's subscription.
import { DEFAULT_SETTINGS, parseSettings, type Settings, type SettingsStore } from '../settings/settings';

class SettingsState {
  current = $state<Settings>({ ...DEFAULT_SETTINGS });
  #store: SettingsStore | null = null;
  #unsubscribe: (() => void) | null = null;

  /** Loads from `store` and keeps following it. Call once at startup, before mounting. */
  use(store: SettingsStore): void {
    this.#unsubscribe?.();
    this.#store = store;
    this.current = parseSettings(store.load());
    this.#unsubscribe = store.subscribe((raw) => (this.current = parseSettings(raw)));
  }

  /** Applies and saves a change. */
  update(patch: Partial<Settings>): void {
    this.current = parseSettings({ ...this.current, ...patch });
    this.#store?.save(this.current);
  }
}

export const settings = new SettingsState();
