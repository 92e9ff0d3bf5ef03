// ChatClient over the Electron preload bridge (`window.chat`). Main owns the
// socket, the outbox and the keychain; this file only unwraps IpcResult values
// into results or thrown ProtocolErrors and fans pushes out to listeners.
import type { Command, EventFrame, ResultOf, WireError } from '../../../server/protocol';
import { httpOrigin, toWebSocketUrl } from '../../../server/client';
import type { ChatBridge, ChatReply, ConnectionState, IpcResult, OutboxItem, Push, PushChannel } from '../../../main/ipc/contract';
import type { ChatClient, HostControl } from './client';
import { fromWireError } from './errors';
import { createAccount, withServer } from './one-shot';
import { rememberHintFrom } from './remember-hint';

export async function unwrap<T>(call: Promise<IpcResult<T>>): Promise<T> {
  const result = await call;
  if (!result.ok) throw fromWireError(result.error);
  return result.value;
}

type Listener<T> = (value: T) => void;

export function createElectronClient(bridge: ChatBridge): ChatClient {
  const events = new Set<Listener<EventFrame>>();
  const states = new Set<Listener<ConnectionState>>();
  const outboxes = new Set<Listener<OutboxItem[]>>();
  const failures = new Set<(item: OutboxItem, error: WireError) => void>();
  const sent = new Set<(item: OutboxItem, reply: ChatReply) => void>();
  let lastState: ConnectionState = { state: 'signed-out' };
  let lastOutbox: OutboxItem[] = [];
  const rememberHint = rememberHintFrom(bridge);

  // One bridge subscription for the page's lifetime; the renderer never unloads it.
  bridge.onEvent(<C extends PushChannel>(channel: C, payload: Push[C]) => {
    if (channel === 'server:event') for (const l of events) l(payload as EventFrame);
    else if (channel === 'connection:state') {
      lastState = payload as ConnectionState;
      for (const l of states) l(lastState);
    } else if (channel === 'outbox:changed') {
      lastOutbox = payload as OutboxItem[];
      for (const l of outboxes) l(lastOutbox);
    } else if (channel === 'outbox:failed') {
      const { item, error } = payload as Push['outbox:failed'];
      for (const l of failures) l(item, error);
    } else if (channel === 'outbox:sent') {
      const { item, reply } = payload as Push['outbox:sent'];
      for (const l of sent) l(item, reply);
    }
  });

  const subscribe = <T>(set: Set<Listener<T>>, listener: Listener<T>, current?: T) => {
    set.add(listener);
    if (current !== undefined) listener(current);
    return () => void set.delete(listener);
  };

  const host: HostControl = {
    status: () => unwrap(bridge.hostStatus()),
    start: (port, wsPort) => unwrap(bridge.hostStart(port, wsPort)),
    stop: () => unwrap(bridge.hostStop()),
  };

  return {
    kind: 'electron',
    host,
    get rememberHint() {
      return rememberHint();
    },
    defaultServer: () => localStorage.getItem('chat.lastServer') ?? 'localhost:4001',
    endpoint: toWebSocketUrl,
    // Reading the server's hello and creating an account are one-shot exchanges made
    // before any session exists, so they use a short-lived socket from the page (the
    // CSP allows ws:/wss:). The chat session itself, with its token, stays in main.
    probe: async (server) => {
      const hello = await withServer(toWebSocketUrl(server), async (x) => x.hello);
      return { serverName: hello.server, allowRegister: hello.allowRegister, hasAccounts: hello.hasAccounts ?? null };
    },
    register: async (request) => {
      await createAccount(toWebSocketUrl(request.server), request.username, request.password);
      const result = await unwrap(bridge.signIn(request));
      localStorage.setItem('chat.lastServer', request.server);
      return result;
    },
    signIn: async (request) => {
      const result = await unwrap(bridge.signIn(request));
      localStorage.setItem('chat.lastServer', request.server);
      return result;
    },
    resume: () => unwrap(bridge.resume()),
    signOut: async (forget) => {
      await unwrap(bridge.signOut(forget)).catch(() => undefined);
    },
    request: <C extends Command>(command: C) => unwrap(bridge.request(command)) as Promise<ResultOf<C['type']>>,
    fileBase: () => {
      const server = localStorage.getItem('chat.lastServer');
      return server === null ? null : httpOrigin(toWebSocketUrl(server));
    },
    saveFile: (url, name) => unwrap(bridge.saveFile({ url, name })),
    send: (command) => unwrap(bridge.send(command)),
    retry: () => unwrap(bridge.retry()),
    onEvent: (listener) => subscribe(events, listener),
    onState: (listener) => subscribe(states, listener, lastState),
    onOutbox: (listener) => subscribe(outboxes, listener, lastOutbox),
    onOutboxFailure: (listener) => {
      failures.add(listener);
      return () => void failures.delete(listener);
    },
    onOutboxSent: (listener) => {
      sent.add(listener);
      return () => void sent.delete(listener);
    },
    setUnread: (count) => void bridge.setUnread(count).catch(() => undefined),
  };
}
