// The desktop-only half of the Electron bridge (settings, chat:// links, servers found on
// the LAN, updates), unwrapped like the ChatClient. null in the browser, which has none of it.
import type {
  ChatBridge,
  DeepLink,
  DesktopSettingsPatch,
  DiscoveredServer,
  Push,
  PushChannel,
  SettingsSnapshot,
  UpdateStatus,
} from '../../../main/ipc/contract';
import { unwrap } from './electron';

export type DesktopPush = Extract<PushChannel, 'settings:changed' | 'link:open' | 'discovery:servers' | 'updates:status'>;

export interface DesktopBridge {
  getSettings(): Promise<SettingsSnapshot>;
  setSettings(patch: DesktopSettingsPatch): Promise<SettingsSnapshot>;
  /** Links that arrived before the page was ready; later ones come as `link:open`. */
  takeLinks(): Promise<DeepLink[]>;
  startDiscovery(): Promise<DiscoveredServer[]>;
  stopDiscovery(): Promise<void>;
  updateStatus(): Promise<UpdateStatus>;
  checkForUpdates(): Promise<UpdateStatus>;
  installUpdate(): Promise<void>;
  /** One push channel. Returns unsubscribe. */
  on<C extends DesktopPush>(channel: C, listener: (payload: Push[C]) => void): () => void;
}

export function createDesktopBridge(bridge: ChatBridge): DesktopBridge {
  return {
    getSettings: () => unwrap(bridge.getSettings()),
    setSettings: (patch) => unwrap(bridge.setSettings(patch)),
    takeLinks: () => unwrap(bridge.takeLinks()),
    startDiscovery: () => unwrap(bridge.startDiscovery()),
    stopDiscovery: () => unwrap(bridge.stopDiscovery()),
    updateStatus: () => unwrap(bridge.updateStatus()),
    checkForUpdates: () => unwrap(bridge.checkForUpdates()),
    installUpdate: () => unwrap(bridge.installUpdate()),
    on: <C extends DesktopPush>(channel: C, listener: (payload: Push[C]) => void) =>
      bridge.onEvent((c: PushChannel, payload: unknown) => {
        if (c === (channel as PushChannel)) listener(payload as Push[C]);
      }),
  };
}

/** The bridge when running in the desktop app, null in a browser. */
export function desktopBridge(): DesktopBridge | null {
  return window.chat ? createDesktopBridge(window.chat) : null;
}
