// Applies the notification settings (shared with the web client's settings view) to every
// desktop notification main shows: off means none, no preview hides the text, no sound is silent.
import type { NotificationSettings } from './ipc/contract';
import type { NotificationPort } from './platform/seams';

/** What a notification says instead of the message when previews are off. */
export const HIDDEN_PREVIEW = 'New message';

/** Wraps `port` so each notification follows the settings in force when it is shown. */
export function withNotificationSettings(port: NotificationPort, current: () => NotificationSettings): NotificationPort {
  return {
    isSupported: () => current().enabled && port.isSupported(),
    show(title, body, onClick, options) {
      const settings = current();
      if (!settings.enabled) return;
      port.show(title, settings.preview ? body : HIDDEN_PREVIEW, onClick, { ...options, silent: !settings.sound || options?.silent === true });
    },
  };
}
