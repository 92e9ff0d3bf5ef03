// Host mode: runs the chat server inside the desktop app so others on the LAN can
// join, on ports the person picks, with its data under userData/server.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode, ProtocolError } from '../server/protocol';
import type { RunningServer, ServerOptions } from '../server/index';
import type { HostStatus } from './ipc/contract';

export type StartServer = (options: ServerOptions) => Promise<RunningServer>;

export interface HostOptions {
  startServer: StartServer;
  /** Data directory of the bundled server (userData/server). */
  dataDir: string;
  /** Built web client served to browsers that join (dist/renderer), or null. */
  webRoot: string | null;
  /** Extra server options (tests bind to 127.0.0.1 and lower the hash cost). */
  serverOptions?: Partial<ServerOptions>;
  /** Default: os.networkInterfaces. */
  networkInterfaces?: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
}

/** IPv4 addresses of non-internal interfaces, sorted: what others type to reach this machine. */
export function lanAddresses(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string[] {
  const out = new Set<string>();
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family === 'IPv4' && !info.internal) out.add(info.address);
    }
  }
  return [...out].sort();
}

/**
 * Starts and stops the bundled server. Operations are serialised: a start during a stop
 * waits for it. MUST be stopped before the app exits (lifecycle.ts does that).
 */
export class HostController {
  private server: RunningServer | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: HostOptions) {}

  status(): HostStatus {
    const server = this.server;
    return {
      running: server !== null,
      tcpPort: server?.tcpPort ?? null,
      wsPort: server?.wsPort ?? null,
      addresses: server ? lanAddresses(this.options.networkInterfaces?.()) : [],
    };
  }

  /**
   * Starts the server on `port` (TCP) and `wsPort` (HTTP/WebSocket + web client); 0 picks
   * free ports. Already running on the same ports: returns the status; on other ports:
   * restarts. A port in use rejects with BAD_REQUEST naming it.
   */
  start(ports: { port: number; wsPort: number }): Promise<HostStatus> {
    return this.serialise(async () => {
      const current = this.server;
      if (current && (ports.port === 0 || current.tcpPort === ports.port) && (ports.wsPort === 0 || current.wsPort === ports.wsPort)) {
        return this.status();
      }
      if (current) await this.closeServer('Host restarting on other ports');
      const usersFile = path.join(this.options.dataDir, 'users.txt');
      try {
        this.server = await this.options.startServer({
          port: ports.port,
          wsPort: ports.wsPort,
          dataDir: this.options.dataDir,
          webRoot: this.options.webRoot,
          // A server hosted from the app starts empty: people on the LAN create their own
          // accounts. An optional seed-format credentials file next to the database adds more.
          allowRegister: true,
          ...(existsSync(usersFile) ? { usersFile } : {}),
          ...this.options.serverOptions,
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (code === 'EADDRINUSE') throw new ProtocolError(ErrorCode.BAD_REQUEST, `Port ${ports.port} or ${ports.wsPort} is already in use`);
        if (code === 'EACCES') throw new ProtocolError(ErrorCode.BAD_REQUEST, `Not allowed to listen on port ${ports.port} or ${ports.wsPort}`);
        throw err;
      }
      return this.status();
    });
  }

  /** Stops the server gracefully (clients get a shutdown event). Idempotent. */
  stop(): Promise<HostStatus> {
    return this.serialise(async () => {
      await this.closeServer('Host stopped');
      return this.status();
    });
  }

  private async closeServer(reason: string): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await server.close(reason);
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
