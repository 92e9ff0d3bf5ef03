// The real updater seam: electron-updater's autoUpdater with the generic provider, loaded on
// first use (it reads app-update state at import time and only works in packaged builds).
import type { UpdaterEvent, UpdaterPort } from './seams';

/** Loads electron-updater; null (with the reason to `onError`) when it is missing or fails. */
export async function loadUpdater(onError?: (err: unknown) => void, log?: (message: string) => void): Promise<UpdaterPort | null> {
  try {
    const { autoUpdater } = await import('electron-updater');
    // Download in the background once found; install when the person restarts or quits.
    autoUpdater.autoDownload = true;
    autoUpdater.autoInstallOnAppQuit = true;
    autoUpdater.logger = {
      info: (m?: unknown) => log?.(String(m)),
      warn: (m?: unknown) => log?.(String(m)),
      error: (m?: unknown) => log?.(String(m)),
      debug: () => undefined,
    };
    const listeners = new Set<(event: UpdaterEvent) => void>();
    const emit = (event: UpdaterEvent) => {
      for (const l of listeners) l(event);
    };
    autoUpdater.on('checking-for-update', () => emit({ type: 'checking' }));
    autoUpdater.on('update-available', (info) => emit({ type: 'available', version: info.version }));
    autoUpdater.on('update-not-available', () => emit({ type: 'not-available' }));
    autoUpdater.on('download-progress', (progress) => emit({ type: 'progress', percent: progress.percent }));
    autoUpdater.on('update-downloaded', (info) => emit({ type: 'downloaded', version: info.version }));
    autoUpdater.on('error', (err) => emit({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
    return {
      setFeedUrl: (url) => autoUpdater.setFeedURL({ provider: 'generic', url }),
      check: async () => {
        await autoUpdater.checkForUpdates();
      },
      quitAndInstall: () => autoUpdater.quitAndInstall(),
      onEvent(cb) {
        listeners.add(cb);
        return () => listeners.delete(cb);
      },
    };
  } catch (err) {
    onError?.(err);
    return null;
  }
}
