// What the desktop app (Electron) adds to the page's state: its settings, the update status
// and the servers found nearby. Stays empty in the browser.
import type { DiscoveredServer, SettingsSnapshot, UpdateStatus } from '../../../main/ipc/contract';

class DesktopState {
  /** null until loaded, and always in the browser. */
  settings = $state<SettingsSnapshot | null>(null);
  update = $state<UpdateStatus | null>(null);
  /** Chat servers on the LAN (only while the sign-in screen browses). */
  nearby = $state.raw<DiscoveredServer[]>([]);
}

export const desktop = new DesktopState();
