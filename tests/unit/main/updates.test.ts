// Updates through the generic provider: off by default, off when run from sources, checks
// scheduled once enabled with a URL, status following the updater's events, install only
// once a version is downloaded; electron-updater replaced at the platform seam.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UpdateStatus } from '../../../main/ipc/contract';
import { UpdateController } from '../../../main/updates';
import { FakeUpdater } from './fakes';

function setup(isPackaged = true) {
  const updater = new FakeUpdater();
  const statuses: UpdateStatus[] = [];
  let loads = 0;
  const controller = new UpdateController({
    isPackaged,
    loadUpdater: async () => {
      loads++;
      return updater;
    },
    onStatus: (s) => statuses.push(s),
    firstCheckDelayMs: 1000,
    intervalMs: 60_000,
    now: () => 1234,
  });
  return { controller, updater, statuses, loads: () => loads };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('UpdateController', () => {
  it('is off by default and never loads electron-updater until enabled', async () => {
    const t = setup();
    t.controller.apply({ enabled: false, url: '' });
    expect(t.controller.status()).toEqual({ state: 'disabled', reason: 'Update checks are off' });
    await expect(t.controller.check()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(t.loads()).toBe(0);
  });

  it('run from sources: disabled with the reason, whatever the settings', async () => {
    const t = setup(false);
    t.controller.apply({ enabled: true, url: 'https://u.example.org/' });
    expect(t.controller.status()).toMatchObject({ state: 'disabled', reason: expect.stringContaining('installed builds') });
    await expect(t.controller.check()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(t.loads()).toBe(0);
  });

  it('enabled: first check after the delay, then on the interval, against the configured feed', async () => {
    vi.useFakeTimers();
    const t = setup();
    t.controller.apply({ enabled: true, url: 'https://u.example.org/chat/' });
    expect(t.controller.status()).toEqual({ state: 'idle', lastChecked: null });
    await vi.advanceTimersByTimeAsync(999);
    expect(t.updater.checks).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.updater.checks).toBe(1);
    expect(t.updater.feeds).toEqual(['https://u.example.org/chat/']);
    expect(t.controller.status()).toEqual({ state: 'idle', lastChecked: 1234 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.updater.checks).toBe(2);
    t.controller.apply({ enabled: false, url: 'https://u.example.org/chat/' });
    await vi.advanceTimersByTimeAsync(200_000);
    expect(t.updater.checks).toBe(2);
    expect(t.loads()).toBe(1);
  });

  it('found, downloading, ready; install restarts into it', async () => {
    const t = setup();
    t.controller.apply({ enabled: true, url: 'https://u.example.org/' });
    t.updater.script = [{ type: 'checking' }, { type: 'available', version: '2.0.0' }, { type: 'progress', percent: 41.6 }];
    await expect(t.controller.install()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await t.controller.check()).toEqual({ state: 'downloading', version: '2.0.0', percent: 42 });
    // A second check while downloading changes nothing.
    expect(await t.controller.check()).toEqual({ state: 'downloading', version: '2.0.0', percent: 42 });
    expect(t.updater.checks).toBe(1);
    t.updater.emit({ type: 'downloaded', version: '2.0.0' });
    expect(t.controller.status()).toEqual({ state: 'ready', version: '2.0.0' });
    await t.controller.install();
    expect(t.updater.installs).toBe(1);
    expect(t.statuses.map((s) => s.state)).toEqual(['idle', 'checking', 'checking', 'downloading', 'downloading', 'ready']);
  });

  it('a failing check becomes the error status, and the next check can succeed', async () => {
    const t = setup();
    t.controller.apply({ enabled: true, url: 'https://u.example.org/' });
    t.updater.script = new Error('getaddrinfo ENOTFOUND u.example.org');
    expect(await t.controller.check()).toEqual({ state: 'error', message: 'getaddrinfo ENOTFOUND u.example.org' });
    t.updater.script = [{ type: 'checking' }, { type: 'not-available' }];
    expect(await t.controller.check()).toEqual({ state: 'idle', lastChecked: 1234 });
  });

  it('a changed URL is used by the next check', async () => {
    const t = setup();
    t.controller.apply({ enabled: true, url: 'https://a.example.org/' });
    await t.controller.check();
    t.controller.apply({ enabled: true, url: 'https://b.example.org/' });
    await t.controller.check();
    expect(t.updater.feeds).toEqual(['https://a.example.org/', 'https://b.example.org/']);
    t.controller.stop();
  });
});
