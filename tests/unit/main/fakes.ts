// Fakes of the main/platform seams (the only place the project allows test doubles).
// Each records what the app did so tests can assert on it.
import type {
  AppEvents,
  AppPort,
  AppWindow,
  LoginItemsPort,
  Rect,
  UpdaterEvent,
  UpdaterPort,
  IpcPort,
  IpcSender,
  KeytarPort,
  NotificationPort,
  PowerMonitorPort,
  SafeStoragePort,
  ShellPort,
  SignalPort,
  WindowFactory,
  WindowOpenDecision,
  WindowOptions,
} from '../../../main/platform/seams';

type Handler = (sender: IpcSender, arg: unknown) => Promise<unknown>;

export class FakeIpc implements IpcPort {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Like ipcRenderer.invoke: rejects for a channel nobody handles, as Electron does. */
  async invoke(channel: string, arg: unknown, frameUrl: string | null): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler({ frameUrl }, arg);
  }
}

type AppEvent = keyof AppEvents;
type AnyListener = (...args: never[]) => void;

export class FakeApp implements AppPort {
  platform: NodeJS.Platform = 'linux';
  isPackaged = false;
  exits: number[] = [];
  quits = 0;
  badge: number[] = [];
  protocolClients: string[] = [];
  private readonly listeners = new Map<AppEvent, Set<AnyListener>>();
  getVersion(): string {
    return '0.1.0-test';
  }
  getUserDataPath(): string {
    return '/tmp/fake-user-data';
  }
  quit(): void {
    this.quits++;
    // Like Electron: quit emits before-quit; if nobody prevents it, the app would exit.
    let prevented = false;
    this.emit('before-quit', () => {
      prevented = true;
    });
    if (!prevented) this.exit(0);
  }
  exit(code: number): void {
    this.exits.push(code);
  }
  setBadgeCount(count: number): boolean {
    this.badge.push(count);
    return true;
  }
  setAsDefaultProtocolClient(scheme: string): boolean {
    this.protocolClients.push(scheme);
    return true;
  }
  on<E extends AppEvent>(event: E, cb: AppEvents[E]): () => void {
    const set = this.listeners.get(event) ?? new Set<AnyListener>();
    set.add(cb);
    this.listeners.set(event, set);
    return () => set.delete(cb);
  }
  /** Emits like Electron; before-quit gets a preventDefault (default: a no-op). */
  emit<E extends AppEvent>(event: E, ...args: Parameters<AppEvents[E]> | []): void {
    const callArgs = event === 'before-quit' && args.length === 0 ? [() => undefined] : args;
    for (const cb of [...(this.listeners.get(event) ?? [])]) (cb as (...a: unknown[]) => void)(...callArgs);
  }
  listenerCount(event: AppEvent): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}

export class FakeSignals implements SignalPort {
  private readonly listeners = new Map<string, Set<() => void>>();
  on(signal: 'SIGINT' | 'SIGTERM', cb: () => void): () => void {
    const set = this.listeners.get(signal) ?? new Set();
    set.add(cb);
    this.listeners.set(signal, set);
    return () => set.delete(cb);
  }
  raise(signal: 'SIGINT' | 'SIGTERM'): void {
    for (const cb of [...(this.listeners.get(signal) ?? [])]) cb();
  }
}

export class FakePowerMonitor implements PowerMonitorPort {
  private readonly listeners = new Set<() => void>();
  onShutdown(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  shutdown(): void {
    for (const cb of [...this.listeners]) cb();
  }
}

export class FakeNotifications implements NotificationPort {
  supported = true;
  shown: Array<{ title: string; body: string; click: () => void; silent: boolean }> = [];
  isSupported(): boolean {
    return this.supported;
  }
  show(title: string, body: string, onClick: () => void, options?: { silent?: boolean }): void {
    this.shown.push({ title, body, click: onClick, silent: options?.silent === true });
  }
}

export class FakeShell implements ShellPort {
  opened: string[] = [];
  async openExternal(url: string): Promise<void> {
    this.opened.push(url);
  }
}

/** An in-memory keychain; `broken` makes every call reject like keytar without a Secret Service. */
export class FakeKeytar implements KeytarPort {
  readonly items = new Map<string, string>();
  broken = false;
  private check(): void {
    if (this.broken) throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
  }
  async getPassword(service: string, account: string): Promise<string | null> {
    this.check();
    return this.items.get(`${service}/${account}`) ?? null;
  }
  async setPassword(service: string, account: string, password: string): Promise<void> {
    this.check();
    this.items.set(`${service}/${account}`, password);
  }
  async deletePassword(service: string, account: string): Promise<boolean> {
    this.check();
    return this.items.delete(`${service}/${account}`);
  }
}

/** Reversible "encryption" (byte XOR + marker) so tests can see the file is not plain text. */
export class FakeSafeStorage implements SafeStoragePort {
  available = true;
  selected = 'gnome_libsecret';
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  backend(): string {
    return this.selected;
  }
  encryptString(plain: string): Uint8Array {
    const bytes = Buffer.from(plain, 'utf8').map((b) => b ^ 0x5a);
    return Buffer.concat([Buffer.from('v10'), bytes]);
  }
  decryptString(encrypted: Uint8Array): string {
    const buf = Buffer.from(encrypted);
    if (buf.subarray(0, 3).toString() !== 'v10') throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return Buffer.from(buf.subarray(3).map((b) => b ^ 0x5a)).toString('utf8');
  }
}

/** A window as the app opens one (800×600, not maximized), with `size` changed if given. */
export function fakeWindow(size: { width: number; height: number } = { width: 800, height: 600 }): FakeWindow {
  return new FakeWindow({
    ...size,
    maximized: false,
    minWidth: 480,
    minHeight: 360,
    title: 'Chat',
    preload: '/p',
    icon: null,
    backgroundColor: '#000',
  });
}

export class FakeWindow implements AppWindow {
  destroyed = false;
  focused = false;
  revealed = 0;
  hidden = false;
  maximized = false;
  bounds: Rect;
  overlays: Array<{ png: Uint8Array | null; description: string }> = [];
  sent: Array<{ channel: string; payload: unknown }> = [];
  loadedUrl: string | null = null;
  openHandler: ((url: string) => WindowOpenDecision) | null = null;
  navigateHandler: ((url: string, prevent: () => void) => void) | null = null;
  headersRewrite: ((headers: Record<string, string[]>, url: string) => Record<string, string[]>) | null = null;
  permissionHandler: ((permission: string, url: string) => boolean) | null = null;
  private readonly focusListeners: Array<() => void> = [];
  private readonly closedListeners: Array<() => void> = [];
  private readonly closeListeners: Array<(prevent: () => void) => void> = [];
  private readonly boundsListeners: Array<() => void> = [];
  constructor(readonly options: WindowOptions) {
    this.bounds = { x: options.x ?? 100, y: options.y ?? 100, width: options.width, height: options.height };
    this.maximized = options.maximized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isFocused(): boolean {
    return this.focused;
  }
  reveal(): void {
    this.revealed++;
    this.hidden = false;
    this.focused = true;
    for (const cb of this.focusListeners) cb();
  }
  send(channel: string, payload: unknown): void {
    if (!this.destroyed) this.sent.push({ channel, payload });
  }
  hide(): void {
    this.hidden = true;
    this.focused = false;
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
  }
  setWindowOpenHandler(handler: (url: string) => WindowOpenDecision): void {
    this.openHandler = handler;
  }
  onWillNavigate(cb: (url: string, prevent: () => void) => void): void {
    this.navigateHandler = cb;
  }
  onHeadersReceived(rewrite: (headers: Record<string, string[]>, url: string) => Record<string, string[]>): void {
    this.headersRewrite = rewrite;
  }
  setPermissionHandler(decide: (permission: string, url: string) => boolean): void {
    this.permissionHandler = decide;
  }
  onFocus(cb: () => void): void {
    this.focusListeners.push(cb);
  }
  onClose(cb: (prevent: () => void) => void): void {
    this.closeListeners.push(cb);
  }
  onClosed(cb: () => void): void {
    this.closedListeners.push(cb);
  }
  onBoundsChanged(cb: () => void): void {
    this.boundsListeners.push(cb);
  }
  getPlacement(): { bounds: Rect; maximized: boolean } {
    return { bounds: { ...this.bounds }, maximized: this.maximized };
  }
  setOverlayIcon(png: Uint8Array | null, description: string): void {
    this.overlays.push({ png, description });
  }
  /** The person moves or resizes the window (Electron fires move/resize). */
  moveTo(bounds: Partial<Rect>): void {
    this.bounds = { ...this.bounds, ...bounds };
    for (const cb of this.boundsListeners) cb();
  }
  /** Like BrowserWindow.close(): `close` listeners may prevent it; otherwise it is destroyed. */
  close(): void {
    let prevented = false;
    for (const cb of this.closeListeners) {
      cb(() => {
        prevented = true;
      });
    }
    if (prevented) return;
    this.destroyed = true;
    for (const cb of this.closedListeners) cb();
  }
}

export class FakeLoginItems implements LoginItemsPort {
  enabled = false;
  calls: boolean[] = [];
  constructor(readonly supported = true) {}
  isEnabled(): boolean {
    return this.enabled;
  }
  setEnabled(enabled: boolean): void {
    this.calls.push(enabled);
    this.enabled = enabled;
  }
}

/** electron-updater stand-in: `check` plays the scripted events; feed URLs and installs are recorded. */
export class FakeUpdater implements UpdaterPort {
  feeds: string[] = [];
  checks = 0;
  installs = 0;
  /** What the next check reports (before resolving), or an error to reject with. */
  script: UpdaterEvent[] | Error = [{ type: 'checking' }, { type: 'not-available' }];
  private readonly listeners = new Set<(event: UpdaterEvent) => void>();
  setFeedUrl(url: string): void {
    this.feeds.push(url);
  }
  async check(): Promise<void> {
    this.checks++;
    if (this.script instanceof Error) throw this.script;
    for (const event of this.script) this.emit(event);
  }
  quitAndInstall(): void {
    this.installs++;
  }
  onEvent(cb: (event: UpdaterEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  emit(event: UpdaterEvent): void {
    for (const l of this.listeners) l(event);
  }
}

export class FakeWindowFactory implements WindowFactory {
  created: FakeWindow[] = [];
  create(options: WindowOptions): AppWindow {
    const w = new FakeWindow(options);
    this.created.push(w);
    return w;
  }
}
