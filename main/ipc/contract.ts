// The typed IPC contract between the Electron main process and the renderer.
// Imports only types from the wire protocol and never `electron`, so the
// renderer may `import type` from here.
import type { Command, CommandType, EventFrame, ResultOf, WireError } from '../../server/protocol';

// Connection state and outbox items are produced by the shared ChatSession of the client
// library (used by main and by the browser client alike), so their shapes live there.
export type { ChatReply, ConnectionState, OutboxItem, QueuedWhy } from '../../server/client';
import type { ChatReply, ChatSendResult, ConnectionState, OutboxItem } from '../../server/client';

export interface SignInRequest {
  /** `host:port` of the server's WebSocket (HTTP) port, or a ws:// / wss:// URL. */
  server: string;
  username: string;
  password: string;
  /** Keep a sign-in token in the OS keychain (never the password). */
  remember: boolean;
}

export type SignInResult = ResultOf<'login'> & { server: string };

/** Result envelope for every invoke: main never throws across IPC. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

export type CredentialBackend = 'keytar' | 'safe-storage' | 'none';

export interface AppInfo {
  version: string;
  platform: string;
  credentialStore: CredentialBackend;
}

export interface HostStatus {
  running: boolean;
  tcpPort: number | null;
  wsPort: number | null;
  /** LAN addresses others can use to join. */
  addresses: string[];
  /** The mDNS/DNS-SD instance name the server is advertised under, or null when it is not. */
  advertisedAs: string | null;
  /** SHA-256 fingerprint (`AB:CD:...`) of the TLS certificate the server serves, or null when it is not running. */
  tlsFingerprint: string | null;
}

/** Notification preferences: the same ones the web client keeps in its own settings. */
export interface NotificationSettings {
  /** Desktop notifications for messages that arrive while the window is in the background. Default true. */
  enabled: boolean;
  /** Play the system's notification sound. Default true. */
  sound: boolean;
  /** Show the message text; false shows only who wrote. Default true. */
  preview: boolean;
  /**
   * Muted conversations (`everyone`, `u:<user>`, `g:<group>`): no notification,
   * except a group message or broadcast that mentions me. Default [].
   */
  muted: string[];
}

export interface UpdateSettings {
  /** Check for updates (at start, then every 6 hours). Default false. */
  enabled: boolean;
  /** Generic-provider feed: the https:// folder holding latest.yml / latest-mac.yml / latest-linux.yml. Default ''. */
  url: string;
}

/** The desktop app's settings (userData/settings.json), as main applies them. */
export interface DesktopSettings {
  /** Closing the window hides it to the tray; Quit is in the tray menu. Default: true where a tray exists. */
  closeToTray: boolean;
  /** Start the app when the person logs in to the computer. Default false. */
  startAtLogin: boolean;
  notifications: NotificationSettings;
  updates: UpdateSettings;
}

/** A change to some settings; omitted fields keep their value. */
export interface DesktopSettingsPatch {
  closeToTray?: boolean;
  startAtLogin?: boolean;
  notifications?: Partial<NotificationSettings>;
  updates?: Partial<UpdateSettings>;
}

/** What this computer offers, so the UI shows only options that do something. */
export interface DesktopCapabilities {
  tray: boolean;
  startAtLogin: boolean;
  /** Updates can only be installed into a packaged build. */
  updates: boolean;
}

export interface SettingsSnapshot {
  settings: DesktopSettings;
  capabilities: DesktopCapabilities;
}

/**
 * A chat:// link, parsed and validated by main (main/deep-links.ts):
 * chat://open?user=NAME, chat://open?group=NAME, chat://join?server=HOST:PORT.
 */
export type DeepLink = { kind: 'open'; user: string } | { kind: 'open'; group: string } | { kind: 'join'; server: string };

/** A chat server found on the LAN through mDNS/DNS-SD (`_chat._tcp`). */
export interface DiscoveredServer {
  /** Stable while the server is up: its DNS-SD instance name. */
  id: string;
  /** Human-readable instance name, e.g. "Chat on alice-laptop". */
  name: string;
  /** What to type as the server: `address:port` of the HTTP/WebSocket port. */
  address: string;
  /** TCP line-protocol port, or null when the server has none. */
  tcpPort: number | null;
  /** SHA-256 fingerprint of its TLS certificate (TXT `tls`), or null (TLS not offered). */
  tlsFingerprint: string | null;
}

export type UpdateStatus =
  | { state: 'disabled'; reason: string }
  | { state: 'idle'; lastChecked: number | null }
  | { state: 'checking' }
  | { state: 'downloading'; version: string; percent: number }
  | { state: 'ready'; version: string }
  | { state: 'error'; message: string };

/** Result of sending a chat message: sent (with the server's reply) or queued in the outbox (and why). */
export type SendResult = ChatSendResult;

/** Renderer → main requests: channel → [argument, result]. */
export interface Invoke {
  'app:info': [void, AppInfo];
  /** Unread count for the tray / dock badge. */
  'app:set-unread': [{ count: number }, void];
  'session:sign-in': [SignInRequest, SignInResult];
  /** Signs in with a remembered token; null when none is stored. */
  'session:resume': [void, SignInResult | null];
  'session:sign-out': [{ forget: boolean }, void];
  /** Retry the connection now (from the offline banner). */
  'session:retry': [void, void];
  /** Any command except login/register/logout; validated by main with the protocol schemas. */
  'chat:request': [Command, ResultOf<CommandType>];
  /** message / broadcast / message-group: goes out now, or waits in the outbox while offline. */
  'chat:send': [OutboxItem['command'], SendResult];
  'host:start': [{ port: number; wsPort: number }, HostStatus];
  'host:stop': [void, HostStatus];
  'host:status': [void, HostStatus];
  'settings:get': [void, SettingsSnapshot];
  /** Validates and saves the change, applies it (login item, updater), returns the result. */
  'settings:set': [DesktopSettingsPatch, SettingsSnapshot];
  /** The links that arrived before the page was ready; later ones come as `link:open` pushes. */
  'links:take': [void, DeepLink[]];
  /** Starts browsing the LAN for servers (idempotent); returns those known now. */
  'discovery:start': [void, DiscoveredServer[]];
  'discovery:stop': [void, void];
  'updates:status': [void, UpdateStatus];
  /** Checks now (when updates are enabled); the outcome arrives as `updates:status` pushes. */
  'updates:check': [void, UpdateStatus];
  /** Quits and installs a downloaded update (state `ready`); BAD_REQUEST otherwise. */
  'updates:install': [void, void];
  /** Native "Save as" for an attachment (an http(s) /api/files URL); false when cancelled. */
  'file:save-as': [{ url: string; name: string }, boolean];
}

/** Main → renderer pushes: channel → payload. */
export interface Push {
  /** Server events, forwarded unchanged. */
  'server:event': EventFrame;
  'connection:state': ConnectionState;
  'outbox:changed': OutboxItem[];
  /** A queued message the server refused when the outbox was flushed (e.g. BLOCKED); it was dropped. */
  'outbox:failed': { item: OutboxItem; error: WireError };
  /**
   * A queued message the server accepted when the outbox was flushed, with its
   * reply: the stored message (a repeat's reply carries the one stored at first, same id).
   */
  'outbox:sent': { item: OutboxItem; reply: ChatReply };
  'settings:changed': SettingsSnapshot;
  /** A chat:// link opened while the page was ready. */
  'link:open': DeepLink;
  /** Every change of the list of servers found nearby (while browsing). */
  'discovery:servers': DiscoveredServer[];
  'updates:status': UpdateStatus;
}

export type InvokeChannel = keyof Invoke;
export type PushChannel = keyof Push;

export const INVOKE_CHANNELS = [
  'app:info',
  'app:set-unread',
  'session:sign-in',
  'session:resume',
  'session:sign-out',
  'session:retry',
  'chat:request',
  'chat:send',
  'host:start',
  'host:stop',
  'host:status',
  'settings:get',
  'settings:set',
  'links:take',
  'discovery:start',
  'discovery:stop',
  'updates:status',
  'updates:check',
  'updates:install',
  'file:save-as',
] as const satisfies readonly InvokeChannel[];

export const PUSH_CHANNELS = [
  'server:event',
  'connection:state',
  'outbox:changed',
  'outbox:failed',
  'outbox:sent',
  'settings:changed',
  'link:open',
  'discovery:servers',
  'updates:status',
] as const satisfies readonly PushChannel[];

/** What the preload exposes as `window.chat`: one named function per channel. */
export interface ChatBridge {
  appInfo(): Promise<IpcResult<AppInfo>>;
  setUnread(count: number): Promise<IpcResult<void>>;
  signIn(request: SignInRequest): Promise<IpcResult<SignInResult>>;
  resume(): Promise<IpcResult<SignInResult | null>>;
  signOut(forget: boolean): Promise<IpcResult<void>>;
  retry(): Promise<IpcResult<void>>;
  request(command: Command): Promise<IpcResult<ResultOf<CommandType>>>;
  send(command: OutboxItem['command']): Promise<IpcResult<SendResult>>;
  hostStart(port: number, wsPort: number): Promise<IpcResult<HostStatus>>;
  hostStop(): Promise<IpcResult<HostStatus>>;
  hostStatus(): Promise<IpcResult<HostStatus>>;
  getSettings(): Promise<IpcResult<SettingsSnapshot>>;
  setSettings(patch: DesktopSettingsPatch): Promise<IpcResult<SettingsSnapshot>>;
  takeLinks(): Promise<IpcResult<DeepLink[]>>;
  startDiscovery(): Promise<IpcResult<DiscoveredServer[]>>;
  stopDiscovery(): Promise<IpcResult<void>>;
  updateStatus(): Promise<IpcResult<UpdateStatus>>;
  checkForUpdates(): Promise<IpcResult<UpdateStatus>>;
  installUpdate(): Promise<IpcResult<void>>;
  saveFile(request: { url: string; name: string }): Promise<IpcResult<boolean>>;
  /** Subscribes to every push channel; returns the unsubscribe function. */
  onEvent(listener: <C extends PushChannel>(channel: C, payload: Push[C]) => void): () => void;
}
