// Desktop settings on disk: defaults on first start, field-by-field validation at load (a
// bad field falls back, the rest survives), atomic saves, the tray-dependent default of
// closeToTray, update URLs, and the service keeping the OS login item in step.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DesktopSettingsService } from '../../../main/desktop-settings';
import type { SettingsSnapshot } from '../../../main/ipc/contract';
import { SETTINGS_FILE, SettingsStore, isAcceptableUpdateUrl, parseStoredSettings } from '../../../main/settings';
import { FakeLoginItems } from './fakes';

let dir: string;
let warnings: string[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-settings-'));
  warnings = [];
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (trayAvailable = true) => SettingsStore.open({ dir, trayAvailable, onWarning: (m) => warnings.push(m) });
const onDisk = async () => JSON.parse(await readFile(path.join(dir, SETTINGS_FILE), 'utf8')) as Record<string, unknown>;

describe('SettingsStore', () => {
  it('first start: defaults, close to tray only where a tray exists, nothing written yet', async () => {
    const store = await open(true);
    expect(store.settings).toEqual({
      closeToTray: true,
      startAtLogin: false,
      notifications: { enabled: true, sound: true, preview: true, muted: [] },
      updates: { enabled: false, url: '' },
    });
    expect(store.window).toBeNull();
    expect((await open(false)).settings.closeToTray).toBe(false);
    expect(await readdir(dir)).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('saves changes atomically and reads them back', async () => {
    const store = await open();
    await store.update({
      closeToTray: false,
      notifications: { sound: false, muted: ['g:team', 'u:bob', 'g:team'] },
      updates: { url: 'https://updates.example.org/chat/', enabled: true },
    });
    await store.saveWindow({ bounds: { x: -1500, y: 20, width: 900, height: 600 }, maximized: false });
    expect(await readdir(dir)).toEqual([SETTINGS_FILE]);
    expect(await onDisk()).toEqual({
      closeToTray: false,
      startAtLogin: false,
      notifications: { enabled: true, sound: false, preview: true, muted: ['g:team', 'u:bob'] },
      updates: { enabled: true, url: 'https://updates.example.org/chat/' },
      window: { bounds: { x: -1500, y: 20, width: 900, height: 600 }, maximized: false },
    });
    const again = await open();
    expect(again.settings).toEqual(store.settings);
    expect(again.window).toEqual({ bounds: { x: -1500, y: 20, width: 900, height: 600 }, maximized: false });
  });

  it('an explicit closeToTray survives where the default would differ', async () => {
    await (await open(false)).update({ closeToTray: true });
    expect((await open(false)).settings.closeToTray).toBe(true);
  });

  it('validates each field at load: bad ones take the default and are reported, good ones stay, unknown ones go', async () => {
    await writeFile(
      path.join(dir, SETTINGS_FILE),
      JSON.stringify({
        closeToTray: 'yes',
        startAtLogin: true,
        notifications: { enabled: false, sound: 3, preview: false, muted: ['g:ok', 'not a key'] },
        updates: { enabled: true, url: 'http://evil.example/feed' },
        window: { bounds: { x: 0, y: 0, width: -5, height: 10 }, maximized: false },
        theme: 'dark',
      }),
    );
    const store = await open(true);
    expect(store.settings).toEqual({
      closeToTray: true,
      startAtLogin: true,
      notifications: { enabled: false, sound: true, preview: false, muted: [] },
      updates: { enabled: false, url: '' },
    });
    expect(store.window).toBeNull();
    expect(warnings).toHaveLength(1);
    for (const field of ['closeToTray', 'notifications.sound', 'notifications.muted', 'updates.url', 'window', 'updates.enabled'])
      expect(warnings[0]).toContain(field);
    await store.update({ startAtLogin: false });
    expect(await onDisk()).not.toHaveProperty('theme');
  });

  it('a corrupt or non-object file means defaults and a warning, never a crash', async () => {
    await writeFile(path.join(dir, SETTINGS_FILE), '{"closeToTray": tru');
    expect((await open()).settings.startAtLogin).toBe(false);
    expect(warnings[0]).toMatch(/not readable JSON/);
    expect(parseStoredSettings([1, 2]).problems).toEqual(['the file does not hold a JSON object']);
    expect(parseStoredSettings(null).settings.notifications.enabled).toBe(true);
  });

  it('update checks need a URL; clearing the URL turns them off', async () => {
    const store = await open();
    await expect(store.update({ updates: { enabled: true } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(store.settings.updates.enabled).toBe(false);
    await store.update({ updates: { enabled: true, url: 'https://u.example.org/' } });
    await store.update({ updates: { url: '' } });
    expect(store.settings.updates).toEqual({ enabled: false, url: '' });
  });

  it('concurrent saves end with the last state on disk', async () => {
    const store = await open();
    await Promise.all([store.update({ closeToTray: false }), store.update({ startAtLogin: true }), store.update({ notifications: { preview: false } })]);
    expect(await onDisk()).toMatchObject({ closeToTray: false, startAtLogin: true, notifications: { preview: false } });
  });

  it('update URLs: https, or http on this computer only; no credentials', () => {
    expect(isAcceptableUpdateUrl('')).toBe(true);
    expect(isAcceptableUpdateUrl('https://updates.example.org/chat/')).toBe(true);
    expect(isAcceptableUpdateUrl('http://localhost:8080/feed/')).toBe(true);
    expect(isAcceptableUpdateUrl('http://127.0.0.1/feed/')).toBe(true);
    expect(isAcceptableUpdateUrl('http://updates.example.org/')).toBe(false);
    expect(isAcceptableUpdateUrl('https://a:b@updates.example.org/')).toBe(false);
    expect(isAcceptableUpdateUrl('ftp://updates.example.org/')).toBe(false);
    expect(isAcceptableUpdateUrl('updates.example.org')).toBe(false);
  });
});

describe('DesktopSettingsService', () => {
  async function service(loginItems = new FakeLoginItems(), updates = true) {
    const store = await open(true);
    const changes: SettingsSnapshot[] = [];
    const s = new DesktopSettingsService({ store, loginItems, capabilities: { tray: true, updates }, onChange: (snap) => changes.push(snap) });
    return { store, s, loginItems, changes };
  }

  it('turning start at login on and off registers and removes the login item, and notifies', async () => {
    const { s, loginItems, changes } = await service();
    const snap = await s.update({ startAtLogin: true });
    expect(loginItems.calls).toEqual([true]);
    expect(snap).toEqual({ settings: expect.objectContaining({ startAtLogin: true }), capabilities: { tray: true, updates: true, startAtLogin: true } });
    await s.update({ notifications: { enabled: false } });
    expect(loginItems.calls).toEqual([true]);
    await s.update({ startAtLogin: false });
    expect(loginItems.calls).toEqual([true, false]);
    expect(changes.map((c) => c.settings.startAtLogin)).toEqual([true, true, false]);
  });

  it('the OS is the authority on the login item at start', async () => {
    const items = new FakeLoginItems();
    const { s, store } = await service(items);
    await s.update({ startAtLogin: true });
    items.enabled = false; // removed in the system settings meanwhile
    await s.syncLoginItem();
    expect(store.settings.startAtLogin).toBe(false);
    expect(items.calls).toEqual([true]);
  });

  it('refuses what this computer cannot do, without touching the OS or the file', async () => {
    const { s, loginItems } = await service(new FakeLoginItems(false), false);
    await expect(s.update({ startAtLogin: true })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(s.update({ updates: { enabled: true, url: 'https://u.example.org/' } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(loginItems.calls).toEqual([]);
    expect(s.snapshot().capabilities).toEqual({ tray: true, updates: false, startAtLogin: false });
    expect(await readdir(dir)).toEqual([]);
  });
});
