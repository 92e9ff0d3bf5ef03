// SettingsStore over the page's localStorage, used by the web client (and, for
// now, by the desktop window too).
import type { SettingsStore } from './settings';

/** localStorage key of the browser's settings. */
export const SETTINGS_KEY = 'chat.settings';

/** Settings in the page's localStorage; other tabs of the same origin see changes through `storage` events. */
export function localSettingsStore(storage: Storage = localStorage, target: Pick<Window, 'addEventListener' | 'removeEventListener'> = window): SettingsStore {
  const read = (text: string | null): unknown => {
    try {
      return text === null ? null : (JSON.parse(text) as unknown);
    } catch {
      return null;
    }
  };
  return {
    load: () => {
      try {
        return read(storage.getItem(SETTINGS_KEY));
      } catch {
        return null;
      }
    },
    save: (settings) => {
      try {
        storage.setItem(SETTINGS_KEY, JSON.stringify(settings));
      } catch {
        // Storage full or disabled: the setting still applies until the page closes.
      }
    },
    subscribe: (listener) => {
      const onStorage = (event: StorageEvent) => {
        if (event.key === SETTINGS_KEY) listener(read(event.newValue));
      };
      target.addEventListener('storage', onStorage as EventListener);
      return () => target.removeEventListener('storage', onStorage as EventListener);
    },
  };
}
