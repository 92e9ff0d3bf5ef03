// The chat client library: what a program needs to talk to a chat server over
// WebSocket, whatever it runs in (Electron main, the browser, a terminal). It
// imports only the protocol; the host injects the socket (SocketFactory).
//
//   const session = new ChatSession({ createSocket });
//   await session.signIn({ url: toWebSocketUrl('localhost:4001'), username, password });
//   session.onEvent((event) => ...);
//   await session.send({ type: 'message', to: 'bob', text: 'hi' });
export { toWebSocketUrl, DEFAULT_WS_PORT, httpOrigin, isLoopbackHost, isUnencryptedRemote, normalizeFingerprint } from './address';
export { gistOf } from './gist';
export { createAccount, withServer, ONE_SHOT_TIMEOUT_MS, type Exchange, type OneShotOptions } from './one-shot';
export type { ChatCommand, ChatReply, OutboxItem } from './outbox';
export type { BackoffOptions } from './reconnect';
export { ChatSession, type ChatSendResult, type ChatSessionOptions, type ConnectionState, type QueuedWhy, type SignInOptions } from './session';
export type { SessionTimers, SocketEvents, SocketFactory, SocketHandle } from './socket';
