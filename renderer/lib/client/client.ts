// The one interface the UI uses to reach a chat server, whatever carries it:
// Electron IPC (electron.ts) or a WebSocket straight from the page (browser.ts).
// Failures are thrown as ProtocolError (code, message, retryAfter in seconds).
import type { Command, EventFrame, ResultOf, WireError } from '../../../server/protocol';
import type { ChatReply, ConnectionState, HostStatus, OutboxItem, QueuedWhy, SendResult, SignInRequest, SignInResult } from '../../../main/ipc/contract';

export type { ChatReply, ConnectionState, HostStatus, OutboxItem, QueuedWhy, SendResult, SignInRequest, SignInResult };

/** Chat commands that may wait in the outbox while offline. */
export type SendCommand = OutboxItem['command'];

/** What a server announces before sign-in (from its `hello` event). */
export interface ServerProbe {
  serverName: string;
  allowRegister: boolean;
  /** False while the server has no accounts (a first run); null when the server does not say. */
  hasAccounts: boolean | null;
}

/** Starts and stops the server bundled with the desktop app. */
export interface HostControl {
  status(): Promise<HostStatus>;
  /** Ports: TCP line protocol and HTTP/WebSocket; 0 picks a free one. */
  start(port: number, wsPort: number): Promise<HostStatus>;
  stop(): Promise<HostStatus>;
}

export interface ChatClient {
  /** Which host runs the UI; decides desktop-only affordances. */
  readonly kind: 'electron' | 'browser';
  /** Host mode (bundled server); null when this client cannot run one. */
  readonly host: HostControl | null;
  /** Where credentials are kept for "remember me", shown next to the checkbox. */
  readonly rememberHint: string;
  /** Server address to prefill in the sign-in form (host:port or ws:// URL). */
  defaultServer(): string;
  /**
   * The WebSocket URL this client would connect to for what was typed in the Server field
   * (wss:// for every host but this machine unless ws:// is typed). Throws BAD_REQUEST on garbage.
   */
  endpoint(server: string): string;
  /**
   * Reads the server's hello without signing in. Resolves null when this
   * client cannot probe; rejects (UNREACHABLE) when the server is down.
   */
  probe(server: string): Promise<ServerProbe | null>;
  /** Signs in with a password; ACCOUNT_LOCKED carries retryAfter (seconds). */
  signIn(request: SignInRequest): Promise<SignInResult>;
  /** Creates an account (only when the server allows it), then signs in. Null if unsupported. */
  register: ((request: SignInRequest) => Promise<SignInResult>) | null;
  /** Signs in with a remembered token; resolves null when none is stored or it was refused. */
  resume(): Promise<SignInResult | null>;
  /** Ends the session; `forget` also drops the remembered token. Never rejects. */
  signOut(forget: boolean): Promise<void>;
  /** Any command except login/register/logout. Rejects NOT_CONNECTED while offline. */
  request<C extends Command>(command: C): Promise<ResultOf<C['type']>>;
  /** Sends a chat message now, or queues it in the outbox while offline. */
  send(command: SendCommand): Promise<SendResult>;
  /** Reconnects at once instead of waiting for the backoff timer. */
  retry(): Promise<void>;
  /** Server events in arrival order (already acknowledged and de-duplicated). Returns unsubscribe. */
  onEvent(listener: (event: EventFrame) => void): () => void;
  /** Connection state changes, the current state first. Returns unsubscribe. */
  onState(listener: (state: ConnectionState) => void): () => void;
  /** The whole outbox (oldest first) each time it changes. Returns unsubscribe. */
  onOutbox(listener: (items: OutboxItem[]) => void): () => void;
  /**
   * An outbox item the server refused when it was flushed (e.g. BLOCKED); it has
   * already left the outbox (onOutbox fired first). Returns unsubscribe.
   */
  onOutboxFailure(listener: (item: OutboxItem, error: WireError) => void): () => void;
  /**
   * An outbox item the server accepted when it was flushed, with the reply: the
   * stored message (for a resend whose first reply was lost, the message stored
   * the first time, same id). It has already left the outbox. Returns unsubscribe.
   */
  onOutboxSent(listener: (item: OutboxItem, reply: ChatReply) => void): () => void;
  /**
   * The HTTP origin of the server signed in to (`http://host:4001`), where
   * /api/files lives; null before a sign-in.
   */
  fileBase(): string | null;
  /**
   * Desktop only: downloads `url` into a file the user picks in the native
   * "Save as" dialog (suggesting `name`). Resolves false when the dialog was
   * cancelled. Null in the browser, which saves through the download link.
   */
  saveFile: ((url: string, name: string) => Promise<boolean>) | null;
  /** Unread total for the dock/tray badge; a no-op in the browser (the tab title shows it). */
  setUnread(count: number): void;
}
