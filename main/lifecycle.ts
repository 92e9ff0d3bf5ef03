// Quitting cleanly: SIGINT/SIGTERM, the last window closing, app quit and OS shutdown all
// funnel into one guarded shutdown that logs out, closes the socket, stops the bundled
// server and exits — once, and within a time limit even if a step hangs.
import type { AppPort, PowerMonitorPort, SignalPort } from './platform/seams';

export interface ShutdownSteps {
  /** Sends logout when online and closes the socket. */
  disconnect(): Promise<void>;
  /** Stops the bundled (host-mode) server; a no-op when none runs. */
  stopServer(): Promise<unknown>;
}

export interface ShutdownOptions {
  app: Pick<AppPort, 'exit'>;
  steps: ShutdownSteps;
  /** Longest the steps may take before the app exits anyway, in ms. Default 5000. */
  timeoutMs?: number;
  log?: (message: string, err?: unknown) => void;
  /** Default: the global timers (tests inject none: real short timeouts suffice). */
  setTimer?: (fn: () => void, ms: number) => { clear(): void };
}

/**
 * Returns shutdown(reason): runs the steps in order (disconnect first, so the logout can
 * still reach a server we host ourselves), then app.exit(0); exit(1) when they fail or
 * time out. Guarantees: the steps run once and exit is called exactly once, however
 * many times and from wherever shutdown is called; every call returns the same promise.
 */
export function createShutdown(options: ShutdownOptions): (reason: string) => Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const log = options.log ?? (() => undefined);
  const setTimer =
    options.setTimer ??
    ((fn, ms) => {
      const t = setTimeout(fn, ms);
      return { clear: () => clearTimeout(t) };
    });
  let running: Promise<void> | null = null;

  return (reason) => {
    if (running) return running;
    running = (async () => {
      log(`Shutting down (${reason})`);
      let fire: () => void = () => undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        fire = () => resolve('timeout');
      });
      const timer = setTimer(() => fire(), timeoutMs);
      const work = (async () => {
        try {
          await options.steps.disconnect();
        } catch (err) {
          log('Disconnecting failed', err);
          throw err;
        } finally {
          // Stop the server even if the logout failed.
          await options.steps.stopServer();
        }
      })().then(
        () => 'done' as const,
        (err: unknown) => {
          log('Shutdown step failed', err);
          return 'failed' as const;
        },
      );
      const outcome = await Promise.race([work, timedOut]);
      timer.clear();
      if (outcome === 'timeout') log(`Shutdown steps did not finish within ${timeoutMs} ms; exiting anyway`);
      options.app.exit(outcome === 'done' ? 0 : 1);
    })();
    return running;
  };
}

export interface LifecycleOptions {
  app: Pick<AppPort, 'on' | 'quit'>;
  signals: SignalPort;
  powerMonitor: PowerMonitorPort;
  shutdown: (reason: string) => Promise<void>;
}

/**
 * Wires the quit triggers to shutdown. Closing the last window quits on every platform,
 * macOS included: a chat app signed in with no window would keep receiving messages
 * the person cannot see (the tray only shows a count), so "closed" means "gone".
 * Returns a function removing the listeners.
 */
export function installLifecycle(options: LifecycleOptions): () => void {
  const { app, shutdown } = options;
  const off = [
    options.signals.on('SIGINT', () => void shutdown('SIGINT')),
    options.signals.on('SIGTERM', () => void shutdown('SIGTERM')),
    // Electron would quit right after before-quit; hold it until the clean-up ran.
    // shutdown() ends with app.exit(), which does not emit before-quit again.
    app.on('before-quit', (preventDefault) => {
      preventDefault();
      void shutdown('quit');
    }),
    options.powerMonitor.onShutdown(() => void shutdown('system shutdown')),
    app.on('window-all-closed', () => app.quit()),
  ];
  return () => {
    for (const f of off) f();
  };
}
