// Close to tray: with the setting on and a tray icon present, closing the window hides it
// (the app stays signed in and keeps notifying); Quit in the tray menu, Cmd+Q, a signal or
// an OS shutdown still quit. Without a tray, closing always closes (and quits: lifecycle.ts).
import type { AppPort, AppWindow } from './platform/seams';

export interface CloseToTrayOptions {
  app: Pick<AppPort, 'on'>;
  window: AppWindow;
  /** Read at each close: the current closeToTray setting. */
  enabled: () => boolean;
  /** Read at each close: whether a tray icon exists to bring the window back. */
  hasTray: () => boolean;
}

/** Installs the close handler on `window`. Returns a function removing the quit listener. */
export function installCloseToTray(options: CloseToTrayOptions): () => void {
  let quitting = false;
  // before-quit comes first on every real quit path (tray Quit, Cmd+Q, app.quit() from
  // lifecycle), so a close during quitting is never turned into a hide.
  const off = options.app.on('before-quit', () => {
    quitting = true;
  });
  options.window.onClose((prevent) => {
    if (quitting || !options.enabled() || !options.hasTray()) return;
    prevent();
    options.window.hide();
  });
  return off;
}
