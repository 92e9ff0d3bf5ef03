// Close to tray: closing hides the window while the setting is on and a tray exists; any
// real quit (tray Quit, Cmd+Q, signals: all emit before-quit first) closes for good.
import { describe, expect, it } from 'vitest';
import { installCloseToTray } from '../../../main/close-to-tray';
import { FakeApp, fakeWindow } from './fakes';

function setup(enabled: boolean, hasTray: boolean) {
  const app = new FakeApp();
  const window = fakeWindow();
  const settings = { enabled, hasTray };
  installCloseToTray({ app, window, enabled: () => settings.enabled, hasTray: () => settings.hasTray });
  return { app, window, settings };
}

describe('close to tray', () => {
  it('closing hides the window instead, and the tray brings it back', () => {
    const { window } = setup(true, true);
    window.close();
    expect(window.destroyed).toBe(false);
    expect(window.hidden).toBe(true);
    window.reveal();
    expect(window.hidden).toBe(false);
  });

  it('quitting closes for good', () => {
    const { app, window } = setup(true, true);
    app.emit('before-quit');
    window.close();
    expect(window.destroyed).toBe(true);
  });

  it('with the setting off, or without a tray, closing closes', () => {
    const off = setup(false, true);
    off.window.close();
    expect(off.window.destroyed).toBe(true);
    const noTray = setup(true, false);
    noTray.window.close();
    expect(noTray.window.destroyed).toBe(true);
    expect(noTray.window.hidden).toBe(false);
  });

  it('follows the setting as it changes', () => {
    const { window, settings } = setup(true, true);
    window.close();
    expect(window.hidden).toBe(true);
    settings.enabled = false;
    window.close();
    expect(window.destroyed).toBe(true);
  });
});
