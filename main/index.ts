// Entry of the Electron main process: `--server-only` runs the headless chat server
// (same flags as `npm run server`), `--client` the terminal client (same arguments as
// `npm run client`); otherwise it wires platform seams, settings, credentials,
// connection, host mode and LAN discovery, deep links, updates, IPC, window, tray and the
// quit lifecycle together.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { app } from 'electron';
import { startServerHoldingDataDir } from '../server/index';
import { runCli } from '../server/cli';
import { runTerminalClient } from '../server/terminal/index';
import { APP_SCHEME, createAppProtocolHandler } from './app-protocol';
import { HIDDEN_ARG } from './autostart';
import { installCloseToTray } from './close-to-tray';
import { Connection } from './connection';
import { createCredentialStore } from './credentials';
import { DEEP_LINK_SCHEME, DeepLinkRouter, deepLinkInArgv } from './deep-links';
import { DesktopSettingsService } from './desktop-settings';
import { LanAdvertiser, LanBrowser, defaultInstanceName } from './discovery';
import { HostController } from './host';
import { ServerTrust } from './server-trust';
import { createSenderCheck, registerIpcHandlers, type IpcRoutes } from './ipc/handlers';
import type { Push, PushChannel } from './ipc/contract';
import { createShutdown, installLifecycle } from './lifecycle';
import { log, warn } from './log';
import { withNotificationSettings } from './notification-settings';
import { createElectronPlatform, registerPrivilegedSchemes } from './platform/electron';
import type { AppWindow, TrayHandle } from './platform/seams';
import { SettingsStore } from './settings';
import { showUnread } from './unread-badge';
import { saveFileAs } from './file-save';
import { UpdateController } from './updates';
import { CONTENT_SECURITY_POLICY, DEFAULT_SIZE, MIN_SIZE, createMainWindow } from './window';
import { restorePlacement, trackWindowState } from './window-state';

/** dist/main when bundled (this file becomes dist/main/index.cjs). */
const HERE = __dirname;
const PRELOAD = path.join(HERE, 'preload.cjs');
const RENDERER_DIR = path.join(HERE, '..', 'renderer');
const RENDERER_INDEX = path.join(RENDERER_DIR, 'index.html');
const ICON = path.join(HERE, 'assets', 'icon.png');
const TRAY_ICON = path.join(HERE, 'assets', 'tray.png');

const argv = process.argv;
const serverOnly = argv.indexOf('--server-only');
const terminalClient = argv.indexOf('--client');
if (serverOnly >= 0) {
  runServerOnly(argv.slice(serverOnly + 1));
} else if (terminalClient >= 0) {
  runClientOnly(argv.slice(terminalClient + 1));
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

/** The terminal client on the terminal the app was started from: no window, no tray, no lock. */
function runClientOnly(args: string[]): void {
  app.dock?.hide();
  // A closed terminal makes writes fail with EIO while the client is quitting; nothing to report.
  process.stdout.on('error', () => undefined);
  runTerminalClient(args).then(
    (code) => app.exit(code),
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
    // Another instance owns the profile (and its socket); it gets our argv (and any chat://
    // link in it) through second-instance, and comes to the front.
    app.quit();
    return;
  }
  // Before `ready`: app:// must be privileged before the first window exists.
  registerPrivilegedSchemes();

  const platform = createElectronPlatform({
    onKeytarError: (err) => log.info({ err }, 'keytar is not available'),
    onUpdaterError: (err) => log.warn({ err }, 'electron-updater could not be loaded'),
    updaterLog: (message) => log.info(`updater: ${message}`),
  });

  let mainWindow: AppWindow | null = null;
  let tray: TrayHandle | null = null;
  const reveal = () => mainWindow?.reveal();
  const push = <C extends PushChannel>(channel: C, payload: Push[C]) => mainWindow?.send(channel, payload);

  // chat:// links: from our own command line (Windows, Linux), from later launches
  // (second-instance) and from macOS (open-url, which may fire before `ready`).
  const links = new DeepLinkRouter({
    deliver: (link) => push('link:open', link),
    reveal,
    onRejected: (raw) => log.warn(`Ignored a chat:// link that is not one of the supported forms: ${raw}`),
  });
  platform.app.on('open-url', (url) => links.accept(url));
  platform.app.on('second-instance', (secondArgv) => {
    reveal();
    const raw = deepLinkInArgv(secondArgv);
    if (raw) links.accept(raw);
  });
  const launchLink = deepLinkInArgv(argv);
  if (launchLink) links.accept(launchLink);

  await app.whenReady();

  platform.protocol.handle(APP_SCHEME, createAppProtocolHandler({ root: RENDERER_DIR, contentSecurityPolicy: CONTENT_SECURITY_POLICY }));
  // Run from sources the OS would start a bare Electron for chat:// links: packaged builds only.
  if (platform.app.isPackaged && !platform.app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME)) {
    log.warn(`Could not register as the handler of ${DEEP_LINK_SCHEME}:// links`);
  }

  if (existsSync(TRAY_ICON)) {
    tray = platform.tray.create(TRAY_ICON);
    tray?.setToolTip('Chat');
    tray?.onClick(reveal);
    tray?.setMenu([
      { label: 'Show Chat', click: reveal },
      { label: 'Quit', click: () => platform.app.quit() },
    ]);
  }

  const userData = platform.app.getUserDataPath();
  const store = await SettingsStore.open({ dir: userData, trayAvailable: tray !== null, onWarning: warn });
  const updates = new UpdateController({
    isPackaged: platform.app.isPackaged,
    loadUpdater: () => platform.loadUpdater(),
    onStatus: (status) => push('updates:status', status),
  });
  const settings = new DesktopSettingsService({
    store,
    loginItems: platform.loginItems,
    capabilities: { tray: tray !== null, updates: platform.app.isPackaged },
    onChange: (snapshot) => {
      updates.apply(snapshot.settings.updates);
      push('settings:changed', snapshot);
    },
  });
  await settings.syncLoginItem().catch((err: unknown) => warn('Could not read the login item', err));
  updates.apply(settings.settings.updates);

  const credentials = await createCredentialStore({
    dir: userData,
    loadKeytar: platform.loadKeytar,
    safeStorage: platform.safeStorage,
    onSkip: (backend, reason) => log.info(`Credential store ${backend} skipped: ${reason}`),
  });
  log.info(`Credential store: ${credentials.backend}`);

  // `host` (below) holds this app's own host-mode certificate; asked only once connections start.
  const serverTrust = new ServerTrust({
    dir: userData,
    hostFingerprint: () => host.status().tlsFingerprint,
    onFirstUse: (address, fingerprint) => log.info(`Trusting the TLS certificate of ${address} from now on (first use): SHA-256 ${fingerprint}`),
    onWarning: warn,
  });
  platform.certificates.setVerifier((hostname, fingerprint) => serverTrust.accepts(hostname, fingerprint));

  const connection = new Connection({
    trust: serverTrust.trust,
    credentials,
    notifications: withNotificationSettings(platform.notifications, () => settings.settings.notifications),
    muted: () => settings.settings.notifications.muted,
    push,
    isWindowFocused: () => mainWindow?.isFocused() ?? false,
    revealWindow: reveal,
    onUnread: (count) => showUnread(count, { app: platform.app, window: mainWindow, tray }),
    onWarning: warn,
  });

  const host = new HostController({
    // Holding its data directory: a second app instance (or a CLI server) on it is refused.
    startServer: startServerHoldingDataDir,
    dataDir: path.join(userData, 'server'),
    webRoot: existsSync(RENDERER_INDEX) ? RENDERER_DIR : null,
    advertiser: new LanAdvertiser({ onError: (err) => warn('LAN advertisement failed', err) }),
    instanceName: defaultInstanceName(),
    onWarning: warn,
  });
  const nearby = new LanBrowser(
    (servers) => {
      serverTrust.announce(servers);
      push('discovery:servers', servers);
    },
    { onError: (err) => warn('LAN discovery failed', err) },
  );

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
    'settings:get': () => settings.snapshot(),
    'settings:set': (patch) => settings.update(patch),
    'links:take': () => links.take(),
    'discovery:start': () => nearby.start(),
    'discovery:stop': () => nearby.stop(),
    'updates:status': () => updates.status(),
    'updates:check': () => updates.check(),
    'updates:install': () => updates.install(),
    'file:save-as': (request) => saveFileAs(platform.dialogs, request),
  };
  const devServerUrl = platform.app.isPackaged ? null : (process.env.CHAT_DEV_SERVER_URL ?? null);
  registerIpcHandlers(platform.ipc, routes, {
    isTrustedSender: createSenderCheck({ devServerUrl }),
    onError: (channel, err) => log.error({ err, channel }, 'IPC handler failed'),
  });

  const shutdown = createShutdown({
    app: platform.app,
    steps: {
      disconnect: () => connection.shutdown(),
      stopServer: async () => {
        updates.stop();
        await nearby.stop();
        return host.stop();
      },
    },
    log: (message, err) => (err === undefined ? log.info(message) : log.warn({ err }, message)),
  });
  installLifecycle({ app: platform.app, signals: platform.signals, powerMonitor: platform.powerMonitor, shutdown });

  // Started at login: straight to the tray, unless there is no tray to come back from.
  let startHidden = argv.includes(HIDDEN_ARG) && tray !== null && settings.settings.closeToTray;
  const openWindow = () => {
    if (!existsSync(RENDERER_INDEX) && !devServerUrl) {
      log.error(`The renderer is not built (${RENDERER_INDEX} is missing): run "npm run build:renderer"`);
    }
    const { window, loaded } = createMainWindow({
      windows: platform.windows,
      shell: platform.shell,
      preloadPath: PRELOAD,
      devServerUrl,
      iconPath: existsSync(ICON) ? ICON : null,
      placement: restorePlacement(store.window, platform.screen.workAreas(), { defaultSize: DEFAULT_SIZE, minSize: MIN_SIZE }),
      startHidden,
      onWarning: warn,
    });
    startHidden = false;
    mainWindow = window;
    trackWindowState({ window, save: (state) => void store.saveWindow(state).catch(() => undefined) });
    installCloseToTray({ app: platform.app, window, enabled: () => settings.settings.closeToTray, hasTray: () => tray !== null });
    window.onFocus(() => connection.windowFocused());
    window.onClosed(() => {
      links.pageGone();
      if (mainWindow === window) mainWindow = null;
    });
    loaded.catch((err: unknown) => log.error({ err }, 'Loading the renderer failed'));
  };
  openWindow();

  // macOS: clicking the dock icon with no window open brings one back.
  platform.app.on('activate', () => (mainWindow ? reveal() : openWindow()));
}
