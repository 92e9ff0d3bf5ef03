// Fakes of the main/platform seams (the only place the project allows test doubles).
// Each records what the app did so tests can assert on it.
import type {
  AppPort,
  AppWindow,
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

type AppEvent = 'before-quit' | 'window-all-closed' | 'second-instance' | 'activate';

export class FakeApp implements AppPort {
  platform: NodeJS.Platform = 'linux';
  isPackaged = false;
  exits: number[] = [];
  quits = 0;
  badge: number[] = [];
  private readonly listeners = new Map<AppEvent, Set<(preventDefault: () => void) => void>>();
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
  on(event: AppEvent, cb: (preventDefault: () => void) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(cb);
    this.listeners.set(event, set);
    return () => set.delete(cb);
  }
  emit(event: AppEvent, preventDefault: () => void = () => undefined): void {
    for (const cb of [...(this.listeners.get(event) ?? [])]) cb(preventDefault);
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
  shown: Array<{ title: string; body: string; click: () => void }> = [];
  isSupported(): boolean {
    return this.supported;
  }
  show(title: string, body: string, onClick: () => void): void {
    this.shown.push({ title, body, click: onClick });
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

export class FakeWindow implements AppWindow {
  destroyed = false;
  focused = false;
  revealed = 0;
  sent: Array<{ channel: string; payload: unknown }> = [];
  loadedFile: string | null = null;
  loadedUrl: string | null = null;
  openHandler: ((url: string) => WindowOpenDecision) | null = null;
  navigateHandler: ((url: string, prevent: () => void) => void) | null = null;
  headersRewrite: ((headers: Record<string, string[]>, url: string) => Record<string, string[]>) | null = null;
  permissionHandler: ((permission: string, url: string) => boolean) | null = null;
  private readonly focusListeners: Array<() => void> = [];
  private readonly closedListeners: Array<() => void> = [];
  constructor(readonly options: WindowOptions) {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isFocused(): boolean {
    return this.focused;
  }
  reveal(): void {
    this.revealed++;
    this.focused = true;
    for (const cb of this.focusListeners) cb();
  }
  send(channel: string, payload: unknown): void {
    if (!this.destroyed) this.sent.push({ channel, payload });
  }
  async loadFile(file: string): Promise<void> {
    this.loadedFile = file;
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
  onClosed(cb: () => void): void {
    this.closedListeners.push(cb);
  }
  close(): void {
    this.destroyed = true;
    for (const cb of this.closedListeners) cb();
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
