// Short-lived WebSocket exchanges the page needs before a session exists:
// reading the server's hello, and creating an account. The client library's
// one-shot exchange over the DOM WebSocket; every frame is validated by it.
import { createAccount as create, withServer as exchange, type Exchange } from '../../../server/client';
import { domSocket } from './dom-socket';

/** Opens `url`, waits for hello, runs `work`, then closes the socket. Rejects UNREACHABLE or TIMEOUT when the server fails. */
export function withServer<T>(url: string, work: (exchange: Exchange) => Promise<T>): Promise<T> {
  return exchange(url, { createSocket: domSocket }, work);
}

/** Creates an account on a throwaway connection (signed out again there). */
export function createAccount(url: string, username: string, password: string): Promise<void> {
  return create(url, { createSocket: domSocket }, username, password);
}
