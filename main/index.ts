// Entry of the Electron main process: `--server-only` runs the headless chat server
// (same flags as `npm run server`); otherwise it wires platform seams, credentials,
// connection, host mode, IPC, window, tray and the quit lifecycle together.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { app } from 'electron';
import { startServer } from '../server/index';
import { runCli } from '../server/cli';
import { Connection } from './connection';
import { createCredentialStore } from './credentials';
import { HostController } from './host';
import { createSenderCheck, registerIpcHandlers, type IpcRoutes } from './ipc/handlers';
import type { Push, PushChannel } from './ipc/contract';
import { createShutdown, installLifecycle } from './lifecycle';
import { log, warn } from './log';
import { createElectronPlatform } from './platform/electron';
import type { AppWindow, TrayHandle } from './platform/seams';
import { createMainWindow } from './window';

/** dist/main when bundled (this file becomes dist/main/index.cjs). */
const HERE = __dirname;
const PRELOAD = path.join(HERE, 'preload.cjs');
const RENDERER_DIR = path.join(HERE, '..', 'renderer');
const RENDERER_INDEX = path.join(RENDERER_DIR, 'index.html');
const ICON = path.join(HERE, 'assets', 'icon.png');
const TRAY_ICON = path.join(HERE, 'assets', 'tray.png');

const argv = process.argv;
const serverOnly = argv.indexOf('--server-only');
if (serverOnly >= 0) {
  runServerOnly(argv.slice(serverOnly + 1));
} else {
  runDesktop().catch((err: unknown) => {
    log.fatal({ err }, 'The desktop app failed to start');
    app.exit(1);
  });
}

/**
 * Headless: no window, no tray, no single-instance lock (two servers on different ports
 * are legitimate). server/cli.ts parses the flags, starts the server and stops it on
 * SIGINT/SIGTERM; the app exits when it has stopped.
 */
function runServerOnly(args: string[]): void {
  app.dock?.hide();
  // runCli resolves once the server has stopped (or after --help / a flag error).
  runCli(args, { webRoot: existsSync(RENDERER_INDEX) ? RENDERER_DIR : null }).then(
    () => app.exit(typeof process.exitCode === 'number' ? process.exitCode : 0),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      app.exit(1);
    },
  );
}

async function runDesktop(): Promise<void> {
  // Playwright and power users pass a profile directory; it must be set before `ready`.
  const userDataArg = argv.find((a) => a.startsWith('--user-data-dir='));
  if (userDataArg) app.setPath('userData', path.resolve(userDataArg.slice('--user-data-dir='.length)));

  if (!app.requestSingleInstanceLock()) {
    // Another instance owns the profile (and its socket); it gets focused via second-instance.
    app.quit();
    return;
  }
  await app.whenReady();

  const platform = createElectronPlatform((err) => log.info({ err }, 'keytar is not available'));
  const userData = platform.app.getUserDataPath();
  const credentials = await createCredentialStore({
    dir: userData,
    loadKeytar: platform.loadKeytar,
    safeStorage: platform.safeStorage,
    onSkip: (backend, reason) => log.info(`Credential store ${backend} skipped: ${reason}`),
  });
  log.info(`Credential store: ${credentials.backend}`);

  let mainWindow: AppWindow | null = null;
  let tray: TrayHandle | null = null;
  const reveal = () => mainWindow?.reveal();

  const updateBadge = (count: number) => {
    // Dock badge on macOS, launcher badge on Linux (Unity); Windows has no count badge.
    if (platform.app.platform !== 'win32') platform.app.setBadgeCount(count);
    tray?.setToolTip(count > 0 ? `Chat: ${count} unread` : 'Chat');
    tray?.setTitle(count > 0 ? String(count) : '');
  };

  const connection = new Connection({
    credentials,
    notifications: platform.notifications,
    push: <C extends PushChannel>(channel: C, payload: Push[C]) => mainWindow?.send(channel, payload),
    isWindowFocused: () => mainWindow?.isFocused() ?? false,
    revealWindow: reveal,
    onUnread: updateBadge,
    onWarning: warn,
  });

  const host = new HostController({
    startServer,
    dataDir: path.join(userData, 'server'),
    webRoot: existsSync(RENDERER_INDEX) ? RENDERER_DIR : null,
  });

  const routes: IpcRoutes = {
    'app:info': () => ({ version: platform.app.getVersion(), platform: platform.app.platform, credentialStore: credentials.backend }),
    'app:set-unread': ({ count }) => connection.setUnread(count),
    'session:sign-in': (request) => connection.signIn(request),
    'session:resume': () => connection.resume(),
    'session:sign-out': ({ forget }) => connection.signOut(forget),
    'session:retry': () => connection.retry(),
    'chat:request': (command) => connection.request(command),
    'chat:send': (command) => connection.send(command),
    'host:start': (ports) => host.start(ports),
    'host:stop': () => host.stop(),
    'host:status': () => host.status(),
  };
  const devServerUrl = platform.app.isPackaged ? null : (process.env.CHAT_DEV_SERVER_URL ?? null);
  registerIpcHandlers(platform.ipc, routes, {
    isTrustedSender: createSenderCheck({ rendererIndexPath: RENDERER_INDEX, devServerUrl }),
    onError: (channel, err) => log.error({ err, channel }, 'IPC handler failed'),
  });

  const shutdown = createShutdown({
    app: platform.app,
    steps: { disconnect: () => connection.shutdown(), stopServer: () => host.stop() },
    log: (message, err) => (err === undefined ? log.info(message) : log.warn({ err }, message)),
  });
  installLifecycle({ app: platform.app, signals: platform.signals, powerMonitor: platform.powerMonitor, shutdown });

  const openWindow = () => {
    if (!existsSync(RENDERER_INDEX) && !devServerUrl) {
      log.error(`The renderer is not built (${RENDERER_INDEX} is missing): run "npm run build:renderer"`);
    }
    const { window, loaded } = createMainWindow({
      windows: platform.windows,
      shell: platform.shell,
      preloadPath: PRELOAD,
      rendererIndexPath: RENDERER_INDEX,
      devServerUrl,
      iconPath: existsSync(ICON) ? ICON : null,
      onWarning: warn,
    });
    mainWindow = window;
    window.onFocus(() => connection.windowFocused());
    window.onClosed(() => {
      if (mainWindow === window) mainWindow = null;
    });
    loaded.catch((err: unknown) => log.error({ err }, 'Loading the renderer failed'));
  };
  openWindow();

  platform.app.on('second-instance', reveal);
  // macOS: clicking the dock icon with no window open brings one back.
  platform.app.on('activate', () => (mainWindow ? reveal() : openWindow()));

  if (existsSync(TRAY_ICON)) {
    tray = platform.tray.create(TRAY_ICON);
    tray?.setToolTip('Chat');
    tray?.onClick(reveal);
    tray?.setMenu([
      { label: 'Show Chat', click: reveal },
      { label: 'Quit', click: () => platform.app.quit() },
    ]);
  }
}
