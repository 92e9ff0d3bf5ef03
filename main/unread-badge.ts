// Shows the unread count where each OS puts it: the dock badge on macOS, the launcher badge
// on Linux (Unity API), an overlay icon on the taskbar button on Windows; plus the tray's
// tooltip (and, on macOS, the menu-bar title).
import { renderBadgePng } from './badge-image';
import type { AppPort, AppWindow, TrayHandle } from './platform/seams';

export interface UnreadTargets {
  app: Pick<AppPort, 'platform' | 'setBadgeCount'>;
  window: AppWindow | null;
  tray: TrayHandle | null;
}

export function showUnread(count: number, targets: UnreadTargets): void {
  const label = count > 0 ? `${count} unread` : '';
  if (targets.app.platform === 'win32') {
    // Windows has no count badge API; the overlay icon is its equivalent.
    if (targets.window && !targets.window.isDestroyed()) targets.window.setOverlayIcon(renderBadgePng(count), label);
  } else {
    targets.app.setBadgeCount(count);
  }
  targets.tray?.setToolTip(count > 0 ? `Chat: ${label}` : 'Chat');
  targets.tray?.setTitle(count > 0 ? String(count) : '');
}
