// The seams between the app's logic and Electron / the OS: small interfaces that
// main/platform/electron.ts implements for real and tests implement with fakes.
// Nothing outside main/platform/ and main/index.ts imports `electron` at runtime.

/** What the app logic needs from Electron's `app`. */
export interface AppPort {
  readonly platform: NodeJS.Platform;
  /** True in a packaged build (electron-builder), false when run from the repo. */
  readonly isPackaged: boolean;
  getVersion(): string;
  /** Absolute path of the per-user data directory. */
  getUserDataPath(): string;
  /** Asks to quit; emits before-quit (which lifecycle.ts intercepts once). */
  quit(): void;
  /** Exits at once with `code`, without emitting before-quit again. */
  exit(code: number): void;
  /** Dock / taskbar badge (macOS, Linux Unity); returns false where unsupported. */
  setBadgeCount(count: number): boolean;
  /** Registers this app as the OS handler of `scheme://` links (chat://); false when refused. */
  setAsDefaultProtocolClient(scheme: string): boolean;
  /** Subscribes to an app event (see AppEvents). Returns unsubscribe. */
  on<E extends keyof AppEvents>(event: E, cb: AppEvents[E]): () => void;
}

/** The app events the logic listens to, with what each passes. */
export interface AppEvents {
  /** Quitting was asked for; call preventDefault to hold it (lifecycle.ts). */
  'before-quit': (preventDefault: () => void) => void;
  'window-all-closed': () => void;
  /** A second launch handed over its command line (Windows/Linux deep links arrive here). */
  'second-instance': (argv: string[]) => void;
  /** macOS: the OS opened a link of a scheme this app handles (chat://…). */
  'open-url': (url: string) => void;
  /** macOS: the dock icon was clicked. */
  activate: () => void;
}

/** Who sent an IPC invoke: the URL of the sending frame (null when the frame is gone). */
export interface IpcSender {
  frameUrl: string | null;
}

/** ipcMain.handle / removeHandler. The handler's resolved value is what the renderer receives. */
export interface IpcPort {
  handle(channel: string, handler: (sender: IpcSender, arg: unknown) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** Decision for a request to open a new window. */
export type WindowOpenDecision = { action: 'deny' };

/** The main window and its web contents, reduced to what window.ts and connection.ts use. */
export interface AppWindow {
  isDestroyed(): boolean;
  isFocused(): boolean;
  /** Shows, restores (if minimized) and focuses the window. */
  reveal(): void;
  /** webContents.send; silently dropped once the window is destroyed. */
  send(channel: string, payload: unknown): void;
  /** Hides the window (close to tray); reveal() brings it back. */
  hide(): void;
  loadURL(url: string): Promise<void>;
  setWindowOpenHandler(handler: (url: string) => WindowOpenDecision): void;
  /** will-navigate (and will-redirect): call `prevent` to stop it. */
  onWillNavigate(cb: (url: string, prevent: () => void) => void): void;
  /** Replaces response headers of every request from this window's session. */
  onHeadersReceived(rewrite: (headers: Record<string, string[]>, url: string) => Record<string, string[]>): void;
  /** Decides permission requests (and checks) from the window's session. */
  setPermissionHandler(decide: (permission: string, requestingUrl: string) => boolean): void;
  onFocus(cb: () => void): void;
  /** The person (or the OS) asks to close the window; `prevent` keeps it open. */
  onClose(cb: (prevent: () => void) => void): void;
  onClosed(cb: () => void): void;
  /** Resized or moved (fires often while dragging). */
  onBoundsChanged(cb: () => void): void;
  /** Size and position when not maximized (screen coordinates), and whether it is maximized now. */
  getPlacement(): { bounds: Rect; maximized: boolean };
  /** Windows taskbar overlay: a small PNG over the app's button, or null to clear it. */
  setOverlayIcon(png: Uint8Array | null, description: string): void;
  close(): void;
}

/** A rectangle in screen coordinates (DIP). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where a window opens: x/y absent means "let the OS place it". */
export interface WindowPlacement {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface WindowOptions extends WindowPlacement {
  minWidth: number;
  minHeight: number;
  title: string;
  /** Absolute path of the CommonJS preload. */
  preload: string;
  /** Absolute path of the window icon, or null for the default. */
  icon: string | null;
  backgroundColor: string;
  /** Stay hidden once loaded (started at login into the tray); default false: shown when ready. */
  startHidden?: boolean;
}

export interface WindowFactory {
  /** Creates a hidden-until-ready window with the hardened webPreferences of window.ts. */
  create(options: WindowOptions): AppWindow;
}

export interface NotificationPort {
  isSupported(): boolean;
  /** Shows a notification; `onClick` runs when the person clicks it. `silent`: no sound (default false). */
  show(title: string, body: string, onClick: () => void, options?: { silent?: boolean }): void;
}

export interface TrayHandle {
  setToolTip(text: string): void;
  /** macOS menu-bar text next to the icon ('' clears it); ignored elsewhere. */
  setTitle(text: string): void;
  setMenu(items: Array<{ label: string; click: () => void }>): void;
  onClick(cb: () => void): void;
  destroy(): void;
}

export interface TrayFactory {
  /** Returns null where the platform has no tray (e.g. some Linux desktops). */
  create(iconPath: string): TrayHandle | null;
}

/** Electron safeStorage. `backend` is Linux's selected store ('basic_text' = not really encrypted). */
export interface SafeStoragePort {
  isEncryptionAvailable(): boolean;
  backend(): string;
  encryptString(plain: string): Uint8Array;
  decryptString(encrypted: Uint8Array): string;
}

export interface PowerMonitorPort {
  /** The OS is shutting down or the user is logging off (Linux, macOS). Returns unsubscribe. */
  onShutdown(cb: () => void): () => void;
}

/** Opens a URL in the system browser / mail client. */
export interface ShellPort {
  openExternal(url: string): Promise<void>;
}

/** Native file dialogs. */
export interface DialogPort {
  /** Shows "Save as" with `defaultName` suggested; resolves the chosen path, or null when cancelled. */
  showSaveDialog(defaultName: string): Promise<string | null>;
}

/** POSIX signals of this process. */
export interface SignalPort {
  /** Returns unsubscribe. */
  on(signal: 'SIGINT' | 'SIGTERM', cb: () => void): () => void;
}

/** The displays' work areas (screen minus taskbar / menu bar), for placing windows. */
export interface ScreenPort {
  workAreas(): Rect[];
}

/** "Open at login": macOS and Windows through app.setLoginItemSettings, Linux through XDG autostart. */
export interface LoginItemsPort {
  /** False where this platform has no way to do it. */
  readonly supported: boolean;
  isEnabled(): boolean;
  setEnabled(enabled: boolean): void;
}

/** Custom URL schemes served by main (protocol.handle on the default session). */
export interface ProtocolPort {
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void;
}

/** What electron-updater reports, reduced to what updates.ts needs. */
export type UpdaterEvent =
  | { type: 'checking' }
  | { type: 'available'; version: string }
  | { type: 'not-available' }
  | { type: 'progress'; percent: number }
  | { type: 'downloaded'; version: string }
  | { type: 'error'; message: string };

/** electron-updater's autoUpdater with the generic provider. */
export interface UpdaterPort {
  /** Points the updater at a generic-provider feed (the folder holding latest*.yml). */
  setFeedUrl(url: string): void;
  /** Checks and, when there is a newer version, downloads it. Rejects on network / feed errors. */
  check(): Promise<void>;
  /** Quits and installs the downloaded update. */
  quitAndInstall(): void;
  /** Returns unsubscribe. */
  onEvent(cb: (event: UpdaterEvent) => void): () => void;
}

/** The subset of keytar the credential store uses (all async, rejecting when no keychain). */
export interface KeytarPort {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

/**
 * Chromium's certificate check for the page's own connections (its short-lived sockets
 * to read a server's hello and to create accounts). Electron: session.setCertificateVerifyProc.
 */
export interface CertificatePort {
  /**
   * `accept(hostname, fingerprint)` is asked only about certificates Chromium itself
   * refuses (self-signed ones); true accepts it. `fingerprint` is SHA-256, `AB:CD:...`.
   */
  setVerifier(accept: (hostname: string, fingerprint: string) => boolean): void;
}

/** Everything main/index.ts hands to the app logic. */
export interface Platform {
  app: AppPort;
  ipc: IpcPort;
  windows: WindowFactory;
  notifications: NotificationPort;
  tray: TrayFactory;
  safeStorage: SafeStoragePort;
  powerMonitor: PowerMonitorPort;
  shell: ShellPort;
  dialogs: DialogPort;
  signals: SignalPort;
  screen: ScreenPort;
  loginItems: LoginItemsPort;
  protocol: ProtocolPort;
  certificates: CertificatePort;
  /** Loads electron-updater; null where it cannot run (not packaged, or it fails to load). */
  loadUpdater(): Promise<UpdaterPort | null>;
  /** Loads keytar; null when the optional native module is missing or fails to load. */
  loadKeytar: () => Promise<KeytarPort | null>;
}
