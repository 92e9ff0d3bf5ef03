// The settings as the rest of main sees them: reads and changes go through here, which keeps
// the stored file, the OS login item and the listeners (updater, page) in step.
import { ErrorCode, ProtocolError } from '../server/protocol';
import type { DesktopCapabilities, DesktopSettings, DesktopSettingsPatch, SettingsSnapshot } from './ipc/contract';
import type { LoginItemsPort } from './platform/seams';
import type { SettingsStore } from './settings';

export interface DesktopSettingsOptions {
  store: SettingsStore;
  loginItems: LoginItemsPort;
  capabilities: Omit<DesktopCapabilities, 'startAtLogin'>;
  /** Called after every change with the new snapshot (push to the page, apply to the updater). */
  onChange?: (snapshot: SettingsSnapshot) => void;
}

export class DesktopSettingsService {
  constructor(private readonly options: DesktopSettingsOptions) {}

  get settings(): DesktopSettings {
    return this.options.store.settings;
  }

  snapshot(): SettingsSnapshot {
    return { settings: this.settings, capabilities: { ...this.options.capabilities, startAtLogin: this.options.loginItems.supported } };
  }

  /**
   * The OS is the authority on login items (the person may have removed ours in the
   * system settings): at start the stored value follows it.
   */
  async syncLoginItem(): Promise<void> {
    const { loginItems, store } = this.options;
    if (!loginItems.supported) return;
    const actual = loginItems.isEnabled();
    if (actual !== store.settings.startAtLogin) await store.update({ startAtLogin: actual });
  }

  /** Validates against what this computer supports, registers the login item, saves, notifies. */
  async update(patch: DesktopSettingsPatch): Promise<SettingsSnapshot> {
    const { loginItems, store } = this.options;
    if (patch.startAtLogin === true && !loginItems.supported) {
      throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Starting at login is not available on this system');
    }
    if (patch.updates?.enabled === true && !this.options.capabilities.updates) {
      throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Updates apply to installed builds only, not to the app run from sources');
    }
    // Saving first: a refused patch (BAD_REQUEST from the store) must not touch the OS.
    const before = store.settings.startAtLogin;
    await store.update(patch);
    const after = store.settings.startAtLogin;
    if (loginItems.supported && after !== before) loginItems.setEnabled(after);
    const snapshot = this.snapshot();
    this.options.onChange?.(snapshot);
    return snapshot;
  }
}
