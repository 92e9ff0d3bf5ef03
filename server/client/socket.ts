// What the client library needs from a WebSocket and a clock, injected by the
// host: the browser wraps the DOM WebSocket, Node wraps `ws` (see
// main/connection.ts), tests pass fakes. Nothing here touches a real socket.
import type { WireError } from '../protocol';

/** What the library hears from a socket. */
export interface SocketEvents {
  /** A text frame arrived (binary frames are not passed on: the server never sends them). */
  message(text: string): void;
  /**
   * The socket closed, after an error or not; called once. `refused` is set when the
   * host refused the connection on purpose (a TLS certificate that doesn't match its
   * pin): the library reports that code and message instead of UNREACHABLE.
   */
  close(code: number, reason: string, refused?: WireError): void;
}

/** What the library does with a socket. */
export interface SocketHandle {
  /** True while frames can be sent (WebSocket.OPEN). */
  readonly open: boolean;
  /** Sends one text frame; may throw when the socket is not open. */
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** Opens a socket to `url` that reports to `events`. May throw (bad URL); the library reports that as UNREACHABLE. */
export type SocketFactory = (url: string, events: SocketEvents) => SocketHandle;

/** Timer functions, injectable so tests can drive time by hand. */
export interface SessionTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The global setTimeout / clearTimeout. */
export const realTimers: SessionTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as Parameters<typeof clearTimeout>[0]),
};

/** Normal closure; the server treats it as a deliberate goodbye. */
export const CLOSE_NORMAL = 1000;
