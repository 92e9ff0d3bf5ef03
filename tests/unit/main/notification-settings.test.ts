// Notification settings applied to what the connection shows: off means none, previews off
// hide the text, sound off makes them silent; each notification reads the settings anew.
import { describe, expect, it } from 'vitest';
import type { NotificationSettings } from '../../../main/ipc/contract';
import { HIDDEN_PREVIEW, withNotificationSettings } from '../../../main/notification-settings';
import { FakeNotifications } from './fakes';

describe('withNotificationSettings', () => {
  it('follows enabled, preview and sound as they change', () => {
    const port = new FakeNotifications();
    const settings: NotificationSettings = { enabled: true, sound: true, preview: true, muted: [] };
    const n = withNotificationSettings(port, () => settings);
    expect(n.isSupported()).toBe(true);
    n.show('bob', 'the launch code is 1234', () => undefined);
    settings.preview = false;
    n.show('bob', 'the launch code is 1234', () => undefined);
    settings.sound = false;
    n.show('bob', 'hi', () => undefined);
    settings.enabled = false;
    expect(n.isSupported()).toBe(false);
    n.show('bob', 'hi', () => undefined);
    expect(port.shown.map(({ title, body, silent }) => ({ title, body, silent }))).toEqual([
      { title: 'bob', body: 'the launch code is 1234', silent: false },
      { title: 'bob', body: HIDDEN_PREVIEW, silent: false },
      { title: 'bob', body: HIDDEN_PREVIEW, silent: true },
    ]);
  });

  it('keeps the click handler, and is unsupported where the OS has no notifications', () => {
    const port = new FakeNotifications();
    let clicked = 0;
    withNotificationSettings(port, () => ({ enabled: true, sound: true, preview: true, muted: [] })).show('a', 'b', () => clicked++);
    port.shown[0]!.click();
    expect(clicked).toBe(1);
    port.supported = false;
    expect(withNotificationSettings(port, () => ({ enabled: true, sound: true, preview: true, muted: [] })).isSupported()).toBe(false);
  });
});
