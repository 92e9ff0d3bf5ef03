// Short exchanges that need no session: open a socket, read the server's
// hello, send a few commands, close. Clients use it to probe a server and to
// create an account before signing in.
import { ErrorCode, ProtocolError, type Command, type EventOf, type ResultOf } from '../protocol';
import { Link } from './link';
import { realTimers, type SessionTimers, type SocketFactory } from './socket';

/** How long a one-shot exchange may take before it fails with TIMEOUT, in ms (default). */
export const ONE_SHOT_TIMEOUT_MS = 8000;

export interface Exchange {
  hello: EventOf<'hello'>;
  /** Sends one command and resolves its validated result; rejects with the server's error. */
  call<C extends Command>(command: C): Promise<ResultOf<C['type']>>;
}

export interface OneShotOptions {
  createSocket: SocketFactory;
  /** Bounds the wait for hello and for each reply, in ms. Default ONE_SHOT_TIMEOUT_MS. */
  timeoutMs?: number;
  timers?: SessionTimers;
}

/**
 * Opens `url`, waits for hello, runs `work`, then closes the socket whatever
 * happened. Rejects UNREACHABLE when the socket cannot open or closes first,
 * TIMEOUT when the server stalls, or with `work`'s own error.
 */
export async function withServer<T>(url: string, options: OneShotOptions, work: (exchange: Exchange) => Promise<T>): Promise<T> {
  const timers = options.timers ?? realTimers;
  const timeoutMs = options.timeoutMs ?? ONE_SHOT_TIMEOUT_MS;
  const link = new Link(url, { createSocket: options.createSocket, timers, timeoutMs });
  let deadline: unknown = null;
  // The whole exchange, not just each step, is bounded by timeoutMs.
  const expired = new Promise<never>((_, reject) => {
    deadline = timers.setTimeout(() => reject(new ProtocolError(ErrorCode.TIMEOUT, 'The server did not answer in time')), timeoutMs);
  });
  try {
    return await Promise.race([link.hello.then((hello) => work({ hello, call: (command) => link.request(command) })), expired]);
  } finally {
    timers.clearTimeout(deadline);
    link.close();
  }
}

/**
 * Creates an account (`register`, where the server allows it) on a throwaway
 * connection and signs out there, so a session signing in right after never
 * meets ALREADY_SIGNED_IN. Rejects with the server's error (REGISTRATION_DISABLED,
 * USERNAME_TAKEN, BAD_REQUEST for a weak password, ...) or as withServer does.
 */
export async function createAccount(url: string, options: OneShotOptions, username: string, password: string): Promise<void> {
  await withServer(url, options, async (exchange) => {
    await exchange.call({ type: 'register', username, password });
    await exchange.call({ type: 'logout' });
  });
}
