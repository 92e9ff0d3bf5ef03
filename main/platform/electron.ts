// The real seams: Electron's app, BrowserWindow, ipcMain, Notification, Tray, safeStorage,
// powerMonitor, shell, screen, protocol and login items, plus process signals, keytar and
// electron-updater. Created once, in main/index.ts; everything else only sees seams.ts.
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import {
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  app,
  dialog,
  ipcMain,
  nativeImage,
  powerMonitor,
  protocol,
  safeStorage,
  screen,
  session,
  shell,
} from 'electron';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES } from '../app-protocol';
import { HIDDEN_ARG, xdgAutostart } from '../autostart';
import { loadKeytar } from './keytar';
import { loadUpdater } from './updater';
import type { AppEvents, AppPort, AppWindow, LoginItemsPort, Platform, TrayHandle, WindowOptions } from './seams';

/**
 * Must run before the app is ready: app:// gets an origin, a secure context and fetch
 * (see APP_SCHEME_PRIVILEGES); protocol.handle serves it once the app is ready.
 */
export function registerPrivilegedSchemes(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
}

export interface ElectronPlatformOptions {
  onKeytarError?: (err: unknown) => void;
  onUpdaterError?: (err: unknown) => void;
  updaterLog?: (message: string) => void;
}

export function createElectronPlatform(options: ElectronPlatformOptions = {}): Platform {
  const appPort: AppPort = {
    platform: process.platform,
    isPackaged: app.isPackaged,
    getVersion: () => app.getVersion(),
    getUserDataPath: () => app.getPath('userData'),
    quit: () => app.quit(),
    exit: (code) => app.exit(code),
    setBadgeCount: (count) => app.setBadgeCount(count),
    setAsDefaultProtocolClient: (scheme) =>
      // Run from sources, Electron is the executable and the repo its first argument.
      app.isPackaged || process.defaultApp !== true
        ? app.setAsDefaultProtocolClient(scheme)
        : app.setAsDefaultProtocolClient(scheme, process.execPath, [path.resolve(process.argv[1] ?? '.')]),
    on: (event: keyof AppEvents, cb: (...args: never[]) => void) => {
      const listener = adaptAppEvent(event, cb);
      app.on(event as 'activate', listener);
      return () => {
        app.removeListener(event as 'activate', listener);
      };
    },
  };

  return {
    app: appPort,
    ipc: {
      handle: (channel, handler) => ipcMain.handle(channel, (event, arg: unknown) => handler({ frameUrl: event.senderFrame?.url ?? null }, arg)),
      removeHandler: (channel) => ipcMain.removeHandler(channel),
    },
    windows: { create: createWindow },
    notifications: {
      isSupported: () => Notification.isSupported(),
      show(title, body, onClick, options) {
        const n = new Notification({ title, body, silent: options?.silent === true });
        n.on('click', onClick);
        n.show();
      },
    },
    tray: {
      create(iconPath) {
        try {
          return wrapTray(new Tray(nativeImage.createFromPath(iconPath)));
        } catch {
          return null; // No status area on this desktop.
        }
      },
    },
    safeStorage: {
      isEncryptionAvailable: () => safeStorage.isEncryptionAvailable(),
      backend: () => (process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os'),
      encryptString: (plain) => safeStorage.encryptString(plain),
      decryptString: (encrypted) => safeStorage.decryptString(Buffer.from(encrypted)),
    },
    powerMonitor: {
      onShutdown(cb) {
        powerMonitor.on('shutdown', cb);
        return () => {
          powerMonitor.removeListener('shutdown', cb);
        };
      },
    },
    shell: { openExternal: (url) => shell.openExternal(url) },
    dialogs: {
      async showSaveDialog(defaultName) {
        const owner = BrowserWindow.getFocusedWindow();
        const options = { defaultPath: path.join(app.getPath('downloads'), defaultName) };
        const result = owner ? await dialog.showSaveDialog(owner, options) : await dialog.showSaveDialog(options);
        return result.canceled || !result.filePath ? null : result.filePath;
      },
    },
    signals: {
      on(signal, cb) {
        process.on(signal, cb);
        return () => {
          process.removeListener(signal, cb);
        };
      },
    },
    screen: { workAreas: () => screen.getAllDisplays().map((d) => ({ ...d.workArea })) },
    loginItems: createLoginItems(),
    protocol: { handle: (scheme, handler) => protocol.handle(scheme, handler) },
    certificates: {
      setVerifier(accept) {
        session.defaultSession.setCertificateVerifyProc((request, callback) => {
          // 0: accept; -3: Chromium's own verdict. Only what Chromium refuses is asked about.
          if (request.verificationResult === 'net::OK') return callback(-3);
          let fingerprint: string;
          try {
            fingerprint = new X509Certificate(request.certificate.data).fingerprint256;
          } catch {
            return callback(-3);
          }
          callback(accept(request.hostname, fingerprint) ? 0 : -3);
        });
      },
    },
    loadUpdater: () => (app.isPackaged ? loadUpdater(options.onUpdaterError, options.updaterLog) : Promise.resolve(null)),
    loadKeytar: () => loadKeytar(options.onKeytarError),
  };
}

/** Electron's listener arguments → what AppEvents promise (before-quit: preventDefault; second-instance: argv; open-url: url). */
function adaptAppEvent(event: keyof AppEvents, cb: (...args: never[]) => void): (...args: unknown[]) => void {
  const call = cb as (...args: unknown[]) => void;
  switch (event) {
    case 'before-quit':
      return (e) => call(() => (e as { preventDefault(): void }).preventDefault());
    case 'second-instance':
      return (_e, argv) => call(Array.isArray(argv) ? argv.map(String) : []);
    case 'open-url':
      return (e, url) => {
        // macOS: without preventDefault the OS is told the app did not handle the URL.
        (e as { preventDefault(): void }).preventDefault();
        call(String(url));
      };
    default:
      return () => call();
  }
}

/** Login items: Electron's API on macOS and Windows, an XDG autostart entry on Linux. */
function createLoginItems(): LoginItemsPort {
  if (process.platform === 'linux') {
    // An AppImage runs from a temporary mount; $APPIMAGE is the file to start at login.
    const executable = process.env.APPIMAGE ?? process.execPath;
    const command = app.isPackaged ? [executable, HIDDEN_ARG] : [executable, path.resolve(process.argv[1] ?? '.'), HIDDEN_ARG];
    return xdgAutostart({ id: 'chat-desktop', name: 'Chat', command });
  }
  if (process.platform === 'darwin' || process.platform === 'win32') {
    const args = process.platform === 'win32' ? [HIDDEN_ARG] : [];
    return {
      supported: true,
      isEnabled: () => app.getLoginItemSettings({ args }).openAtLogin,
      setEnabled: (enabled) => app.setLoginItemSettings({ openAtLogin: enabled, args }),
    };
  }
  return { supported: false, isEnabled: () => false, setEnabled: () => undefined };
}

function createWindow(options: WindowOptions): AppWindow {
  const win = new BrowserWindow({
    ...(options.x !== undefined && options.y !== undefined ? { x: options.x, y: options.y } : {}),
    width: options.width,
    height: options.height,
    minWidth: options.minWidth,
    minHeight: options.minHeight,
    title: options.title,
    backgroundColor: options.backgroundColor,
    show: false,
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: {
      preload: options.preload,
      // Security: the page gets no Node, runs in Chromium's sandbox and in its own JS
      // world; its only access to main is the contextBridge API from the preload.
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: true,
    },
  });
  if (options.maximized) win.maximize();
  if (!options.startHidden) win.once('ready-to-show', () => win.show());
  const contents = win.webContents;
  const ses = contents.session;
  return {
    isDestroyed: () => win.isDestroyed(),
    isFocused: () => !win.isDestroyed() && win.isFocused(),
    reveal() {
      if (win.isDestroyed()) return;
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
    },
    send(channel, payload) {
      if (!win.isDestroyed() && !contents.isDestroyed()) contents.send(channel, payload);
    },
    hide: () => {
      if (!win.isDestroyed()) win.hide();
    },
    loadURL: (url) => win.loadURL(url),
    setWindowOpenHandler: (handler) => contents.setWindowOpenHandler(({ url }) => handler(url)),
    onWillNavigate(cb) {
      const listener = (event: { url: string; preventDefault(): void }) => cb(event.url, () => event.preventDefault());
      contents.on('will-navigate', listener);
      contents.on('will-redirect', listener);
    },
    onHeadersReceived(rewrite) {
      ses.webRequest.onHeadersReceived((details, callback) => {
        callback({ responseHeaders: rewrite(details.responseHeaders ?? {}, details.url) });
      });
    },
    setPermissionHandler(decide) {
      ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(decide(permission, details.requestingUrl)));
      ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => decide(permission, requestingOrigin));
    },
    onFocus: (cb) => {
      win.on('focus', cb);
    },
    onClose: (cb) => {
      win.on('close', (event) => cb(() => event.preventDefault()));
    },
    onClosed: (cb) => {
      win.on('closed', cb);
    },
    onBoundsChanged: (cb) => {
      win.on('resize', cb);
      win.on('move', cb);
    },
    getPlacement: () => ({ bounds: win.getNormalBounds(), maximized: win.isMaximized() }),
    setOverlayIcon: (png, description) => {
      if (process.platform === 'win32' && !win.isDestroyed()) {
        win.setOverlayIcon(png ? nativeImage.createFromBuffer(Buffer.from(png)) : null, description);
      }
    },
    close: () => {
      if (!win.isDestroyed()) win.close();
    },
  };
}

function wrapTray(tray: Tray): TrayHandle {
  return {
    setToolTip: (text) => tray.setToolTip(text),
    setTitle: (text) => {
      if (process.platform === 'darwin') tray.setTitle(text);
    },
    setMenu: (items) => tray.setContextMenu(Menu.buildFromTemplate(items.map((i) => ({ label: i.label, click: i.click })))),
    onClick: (cb) => {
      tray.on('click', cb);
    },
    destroy: () => tray.destroy(),
  };
}
