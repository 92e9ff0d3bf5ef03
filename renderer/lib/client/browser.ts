// ChatClient for the web client: the page talks WebSocket to the server itself,
// through the client library's ChatSession (reconnect, resume, acks, outbox).
//
// Security: "remember me" keeps the sign-in token (never the password) in
// localStorage, readable by any script on this origin. The page's CSP allows
// only its own scripts, which is what keeps that acceptable; the desktop app
// keeps its token in the OS keychain instead.
import { ErrorCode, ProtocolError, type Command, type CommandOf, type EventFrame, type ResultOf } from '../../../server/protocol';
import { ChatSession, httpOrigin, isLoopbackHost, toWebSocketUrl } from '../../../server/client';
import type { WireError } from '../../../server/protocol';
import type { ChatClient, ChatReply, ConnectionState, OutboxItem, SignInRequest, SignInResult } from './client';
import { domSocket } from './dom-socket';
import { createAccount, withServer } from './one-shot';

const REMEMBER_KEY = 'chat.remember';
const LAST_SERVER_KEY = 'chat.lastServer';

interface Remembered {
  server: string;
  username: string;
  token: string;
}

function readRemembered(): Remembered | null {
  try {
    const value = JSON.parse(localStorage.getItem(REMEMBER_KEY) ?? 'null') as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const r = value as Record<string, unknown>;
    if (typeof r.server === 'string' && typeof r.username === 'string' && typeof r.token === 'string') {
      return { server: r.server, username: r.username, token: r.token };
    }
  } catch {
    // A corrupt entry is the same as none.
  }
  return null;
}

/** WebSocket URL for what was typed; a bare host:port on an https page must use wss (mixed content). */
function urlOf(server: string): string {
  const typed = server.trim();
  const secure = location.protocol === 'https:' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(typed);
  return toWebSocketUrl(secure ? `wss://${typed}` : typed);
}

/**
 * The address the page itself came from (the server serving the web client), or null under
 * file://. A page served over plain http from another machine names ws:// explicitly: that
 * server has no TLS on this port, and a bare host:port would mean wss:// (the sign-in screen
 * then warns before the password goes out in clear).
 */
function pageServer(): string | null {
  if (location.protocol === 'https:') return location.host;
  if (location.protocol !== 'http:') return null;
  return isLoopbackHost(location.hostname) ? location.host : `ws://${location.host}`;
}

export function createBrowserClient(): ChatClient {
  const session = new ChatSession({ createSocket: domSocket });
  let lastState: ConnectionState = { state: 'signed-out' };
  let lastOutbox: OutboxItem[] = [];
  const states = new Set<(s: ConnectionState) => void>();
  const outboxes = new Set<(items: OutboxItem[]) => void>();
  const failures = new Set<(item: OutboxItem, error: WireError) => void>();
  const sent = new Set<(item: OutboxItem, reply: ChatReply) => void>();
  session.onState((s: ConnectionState) => {
    lastState = s;
    for (const l of states) l(s);
  });
  session.onOutbox((items: OutboxItem[]) => {
    lastOutbox = items;
    for (const l of outboxes) l(items);
  });
  session.onOutboxFailure((item: OutboxItem, error: WireError) => {
    for (const l of failures) l(item, error);
  });
  session.onOutboxSent((item: OutboxItem, reply: ChatReply) => {
    for (const l of sent) l(item, reply);
  });

  let signedInTo: string | null = null;
  /** The remembered account while it is signed in: every token the server hands out replaces the stored one. */
  let remembered: { server: string; username: string } | null = null;
  const keepToken = (): void => {
    const token = session.token;
    if (!remembered || !token) return;
    const entry: Remembered = { ...remembered, token };
    localStorage.setItem(REMEMBER_KEY, JSON.stringify(entry));
  };
  // The server rotates the token at each token sign-in, the silent reconnect included:
  // the old one is refused a minute later, so the newest must be the one stored.
  session.onState((s: ConnectionState) => {
    if (s.state === 'online') keepToken();
    // A reconnect the server refused (the token expired or was revoked): forget it.
    if (s.state === 'offline' && remembered && session.token === null) {
      remembered = null;
      localStorage.removeItem(REMEMBER_KEY);
    }
  });
  const finishSignIn = (request: SignInRequest, result: ResultOf<'login'>): SignInResult => {
    localStorage.setItem(LAST_SERVER_KEY, request.server);
    signedInTo = urlOf(request.server);
    if (request.remember && (result.token ?? session.token)) {
      remembered = { server: request.server, username: result.username };
      keepToken();
    } else {
      localStorage.removeItem(REMEMBER_KEY);
    }
    return { ...result, server: request.server };
  };

  return {
    kind: 'browser',
    host: null,
    rememberHint: 'Keeps a sign-in token (never your password) in this browser.',
    defaultServer: () => localStorage.getItem(LAST_SERVER_KEY) ?? pageServer() ?? 'localhost:4001',
    endpoint: urlOf,
    probe: async (server) => {
      const hello = await withServer(urlOf(server), async (x) => x.hello);
      return { serverName: hello.server, allowRegister: hello.allowRegister, hasAccounts: hello.hasAccounts ?? null };
    },
    register: async (request) => {
      remembered = null;
      const url = urlOf(request.server);
      // Create the account on a throwaway connection, so the real session below never meets ALREADY_SIGNED_IN.
      await createAccount(url, request.username, request.password);
      const result = await session.signIn({ url, username: request.username, password: request.password, remember: request.remember });
      return finishSignIn(request, result);
    },
    signIn: async (request) => {
      remembered = null;
      const result = await session.signIn({
        url: urlOf(request.server),
        username: request.username,
        password: request.password,
        remember: request.remember,
      });
      return finishSignIn(request, result);
    },
    resume: async () => {
      const saved = readRemembered();
      if (!saved) return null;
      remembered = null;
      try {
        const result = await session.signIn({ url: urlOf(saved.server), username: saved.username, token: saved.token, remember: true });
        return finishSignIn({ server: saved.server, username: saved.username, password: '', remember: true }, result);
      } catch (err) {
        // A refused token is forgotten; anything else (server down) keeps it for next time.
        if (err instanceof ProtocolError && (err.code === ErrorCode.INVALID_TOKEN || err.code === ErrorCode.INVALID_CREDENTIALS)) {
          localStorage.removeItem(REMEMBER_KEY);
          return null;
        }
        throw err;
      }
    },
    signOut: async (forget) => {
      remembered = null;
      if (forget) localStorage.removeItem(REMEMBER_KEY);
      try {
        await session.signOut();
      } catch {
        // Signing out of a dead connection still ends the local session.
      }
    },
    request: <C extends Command>(command: C) => session.request(command as CommandOf<C['type']>),
    fileBase: () => (signedInTo === null ? null : httpOrigin(signedInTo)),
    saveFile: null,
    send: (command) => session.send(command),
    retry: async () => session.retry(),
    onEvent: (listener: (e: EventFrame) => void) => session.onEvent(listener),
    onState: (listener) => {
      states.add(listener);
      listener(lastState);
      return () => void states.delete(listener);
    },
    onOutbox: (listener) => {
      outboxes.add(listener);
      listener(lastOutbox);
      return () => void outboxes.delete(listener);
    },
    onOutboxFailure: (listener) => {
      failures.add(listener);
      return () => void failures.delete(listener);
    },
    onOutboxSent: (listener) => {
      sent.add(listener);
      return () => void sent.delete(listener);
    },
    // The tab title carries the count in the browser (see App.svelte).
    setUnread: () => undefined,
  };
}
