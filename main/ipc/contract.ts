// The typed IPC contract between the Electron main process and the renderer.
// Imports only types from the wire protocol and never `electron`, so the
// renderer may `import type` from here.
import type { Command, CommandType, EventFrame, ResultOf, WireError } from '../../server/protocol';

// Connection state and outbox items are produced by the shared ChatSession of the client
// library (used by main and by the browser client alike), so their shapes live there.
export type { ConnectionState, OutboxItem } from '../../server/client';
import type { ConnectionState, OutboxItem } from '../../server/client';

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
}

/** Result of sending a chat message: sent (with the server's reply) or queued in the outbox. */
export type SendResult = { sent: true; result: ResultOf<'message'> | ResultOf<'broadcast'> | ResultOf<'message-group'> } | { sent: false; queued: OutboxItem };

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
}

/** Main → renderer pushes: channel → payload. */
export interface Push {
  /** Server events, forwarded unchanged. */
  'server:event': EventFrame;
  'connection:state': ConnectionState;
  'outbox:changed': OutboxItem[];
  /** A queued message the server refused when the outbox was flushed (e.g. BLOCKED); it was dropped. */
  'outbox:failed': { item: OutboxItem; error: WireError };
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
] as const satisfies readonly InvokeChannel[];

export const PUSH_CHANNELS = ['server:event', 'connection:state', 'outbox:changed', 'outbox:failed'] as const satisfies readonly PushChannel[];

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
  /** Subscribes to every push channel; returns the unsubscribe function. */
  onEvent(listener: <C extends PushChannel>(channel: C, payload: Push[C]) => void): () => void;
}
