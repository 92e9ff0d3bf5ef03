// Quit handling with fake app / signal / power seams: every trigger runs the clean-up
// once (disconnect, then stop the bundled server) and exits exactly once, also when a
// step hangs (timeout) or fails.
import { describe, expect, it } from 'vitest';
import { createShutdown, installLifecycle } from '../../../main/lifecycle';
import { FakeApp, FakePowerMonitor, FakeSignals } from './fakes';

function setup(steps: { disconnect?: () => Promise<void>; stopServer?: () => Promise<unknown> } = {}, timeoutMs = 2000) {
  const app = new FakeApp();
  const signals = new FakeSignals();
  const power = new FakePowerMonitor();
  const order: string[] = [];
  const shutdown = createShutdown({
    app,
    timeoutMs,
    steps: {
      disconnect: steps.disconnect ?? (async () => void order.push('disconnect')),
      stopServer: steps.stopServer ?? (async () => void order.push('stop-server')),
    },
  });
  const uninstall = installLifecycle({ app, signals, powerMonitor: power, shutdown });
  return { app, signals, power, order, shutdown, uninstall };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('lifecycle', () => {
  it('SIGTERM disconnects, then stops the server, then exits 0 — once, even when repeated', async () => {
    const t = setup();
    t.signals.raise('SIGTERM');
    t.signals.raise('SIGTERM');
    t.signals.raise('SIGINT');
    await settle();
    expect(t.order).toEqual(['disconnect', 'stop-server']);
    expect(t.app.exits).toEqual([0]);
  });

  it('before-quit is held (preventDefault) until the clean-up ran', async () => {
    const t = setup();
    let prevented = 0;
    t.app.emit('before-quit', () => prevented++);
    expect(prevented).toBe(1);
    expect(t.app.exits).toEqual([]);
    await settle();
    expect(t.order).toEqual(['disconnect', 'stop-server']);
    expect(t.app.exits).toEqual([0]);
  });

  it('closing the last window quits through the same path', async () => {
    const t = setup();
    t.app.emit('window-all-closed');
    await settle();
    expect(t.app.quits).toBe(1);
    expect(t.order).toEqual(['disconnect', 'stop-server']);
    expect(t.app.exits).toEqual([0]);
  });

  it('an OS shutdown during a quit does not run anything twice', async () => {
    const t = setup();
    t.app.emit('before-quit', () => undefined);
    t.power.shutdown();
    await settle();
    expect(t.order).toEqual(['disconnect', 'stop-server']);
    expect(t.app.exits).toEqual([0]);
  });

  it('a hanging step does not keep the app alive: exit(1) after the timeout', async () => {
    const t = setup({ disconnect: () => new Promise<void>(() => undefined) }, 50);
    const done = t.shutdown('test');
    await done;
    expect(t.app.exits).toEqual([1]);
    await settle();
    expect(t.app.exits).toEqual([1]);
  });

  it('a failing logout still stops the bundled server, then exits 1', async () => {
    let stopped = false;
    const t = setup({
      disconnect: async () => {
        throw new Error('socket already gone');
      },
      stopServer: async () => {
        stopped = true;
      },
    });
    await t.shutdown('test');
    expect(stopped).toBe(true);
    expect(t.app.exits).toEqual([1]);
  });

  it('uninstall removes the listeners', () => {
    const t = setup();
    t.uninstall();
    expect(t.app.listenerCount('before-quit')).toBe(0);
    expect(t.app.listenerCount('window-all-closed')).toBe(0);
    t.signals.raise('SIGTERM');
    expect(t.order).toEqual([]);
  });
});
