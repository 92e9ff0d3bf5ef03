// The real seams: Electron's app, BrowserWindow, ipcMain, Notification, Tray,
// safeStorage, powerMonitor and shell, plus process signals and keytar.
// Created once, in main/index.ts; everything else only sees the interfaces in seams.ts.
import { BrowserWindow, Menu, Notification, Tray, app, ipcMain, nativeImage, powerMonitor, safeStorage, shell } from 'electron';
import { loadKeytar } from './keytar';
import type { AppPort, AppWindow, Platform, TrayHandle, WindowOptions } from './seams';

export function createElectronPlatform(onKeytarError?: (err: unknown) => void): Platform {
  const appPort: AppPort = {
    platform: process.platform,
    isPackaged: app.isPackaged,
    getVersion: () => app.getVersion(),
    getUserDataPath: () => app.getPath('userData'),
    quit: () => app.quit(),
    exit: (code) => app.exit(code),
    setBadgeCount: (count) => app.setBadgeCount(count),
    on: (event: 'before-quit' | 'window-all-closed' | 'second-instance' | 'activate', cb: (preventDefault: () => void) => void) => {
      const listener = (e?: { preventDefault(): void }) => cb(() => e?.preventDefault());
      app.on(event as 'before-quit', listener);
      return () => {
        app.removeListener(event as 'before-quit', listener);
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
      show(title, body, onClick) {
        const n = new Notification({ title, body, silent: false });
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
    signals: {
      on(signal, cb) {
        process.on(signal, cb);
        return () => {
          process.removeListener(signal, cb);
        };
      },
    },
    loadKeytar: () => loadKeytar(onKeytarError),
  };
}

function createWindow(options: WindowOptions): AppWindow {
  const win = new BrowserWindow({
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
  win.once('ready-to-show', () => win.show());
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
    loadFile: (file) => win.loadFile(file),
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
    onClosed: (cb) => {
      win.on('closed', cb);
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
