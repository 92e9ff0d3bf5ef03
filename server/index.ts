// Public entry of the chat server: startServer() wires config, store, bus,
// services and both transports. The CLI (cli.ts), the desktop app's bundled
// server and the tests all start the server through this function only.
import type { ServerConfig, ServerOptions } from './config';

export interface RunningServer {
  readonly config: ServerConfig;
  /** Actual TCP port (resolved when 0 was asked), or null when TCP is off. */
  readonly tcpPort: number | null;
  /** Actual HTTP/WebSocket port, or null when off. */
  readonly wsPort: number | null;
  /**
   * Graceful stop: tells clients the server is shutting down, stops accepting,
   * closes connections, flushes and closes the store. Idempotent.
   */
  close(reason?: string): Promise<void>;
}

export type { ServerOptions, ServerConfig };

export declare function startServer(options: ServerOptions): Promise<RunningServer>;
