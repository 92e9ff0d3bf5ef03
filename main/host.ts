// Host mode: runs the chat server inside the desktop app so others on the LAN can
// join, on ports the person picks, with its data under userData/server, over TLS with
// a self-signed certificate of its own (host-certificate.ts), and advertises it on the
// LAN (mDNS/DNS-SD, discovery.ts, fingerprint included) while it runs.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode, ProtocolError } from '../server/protocol';
import type { RunningServer, ServerOptions } from '../server/index';
import type { Advertisement } from './discovery';
import { ensureHostCertificate } from './host-certificate';
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
  /** Announces the running server on the LAN (LanAdvertiser); none: not advertised. */
  advertiser?: HostAdvertiser;
  /** The DNS-SD instance name. Default "Chat on <hostname>" (set by the caller). */
  instanceName?: string;
  /** Folder of the TLS certificate (made on the first start). Default: `<dataDir>/tls`. */
  tlsDir?: string;
  /** Names for the certificate besides localhost. Default: this computer's host name. */
  hostnames?: readonly string[];
  /** Advertising failed; the server keeps running. */
  onWarning?: (message: string, err?: unknown) => void;
}

/** What HostController needs of LanAdvertiser. */
export interface HostAdvertiser {
  start(ad: Advertisement): Promise<void>;
  stop(): Promise<void>;
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
  private advertisedAs: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: HostOptions) {}

  status(): HostStatus {
    const server = this.server;
    return {
      running: server !== null,
      tcpPort: server?.tcpPort ?? null,
      wsPort: server?.wsPort ?? null,
      addresses: server ? lanAddresses(this.options.networkInterfaces?.()) : [],
      advertisedAs: server ? this.advertisedAs : null,
      tlsFingerprint: server?.tlsFingerprint ?? null,
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
      // The server speaks only TLS, with a certificate of its own made once and kept: people
      // on the LAN compare and pin its fingerprint, so it must not change between starts.
      const certificate = await ensureHostCertificate(this.options.tlsDir ?? path.join(this.options.dataDir, 'tls'), this.options.hostnames ?? [os.hostname()]);
      try {
        this.server = await this.options.startServer({
          port: ports.port,
          wsPort: ports.wsPort,
          dataDir: this.options.dataDir,
          webRoot: this.options.webRoot,
          // A server hosted from the app starts empty: people on the LAN create their own
          // accounts. An optional seed-format credentials file next to the database adds more.
          allowRegister: true,
          tlsCert: certificate.certFile,
          tlsKey: certificate.keyFile,
          ...(existsSync(usersFile) ? { usersFile } : {}),
          ...this.options.serverOptions,
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (code === 'EADDRINUSE') throw new ProtocolError(ErrorCode.BAD_REQUEST, `Port ${ports.port} or ${ports.wsPort} is already in use`);
        if (code === 'EACCES') throw new ProtocolError(ErrorCode.BAD_REQUEST, `Not allowed to listen on port ${ports.port} or ${ports.wsPort}`);
        if (code === 'DATA_DIR_IN_USE') throw new ProtocolError(ErrorCode.BAD_REQUEST, (err as Error).message);
        throw err;
      }
      await this.advertise(this.server);
      return this.status();
    });
  }

  private async advertise(server: RunningServer): Promise<void> {
    const advertiser = this.options.advertiser;
    if (!advertiser || server.wsPort === null) return;
    const name = this.options.instanceName ?? 'Chat';
    try {
      // The fingerprint lets the app pin the certificate from the first connection on.
      await advertiser.start({ name, wsPort: server.wsPort, tcpPort: server.tcpPort, tlsFingerprint: server.tlsFingerprint });
      this.advertisedAs = name;
    } catch (err) {
      this.options.onWarning?.('Could not advertise the server on the LAN', err);
    }
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
    if (this.advertisedAs !== null) {
      this.advertisedAs = null;
      // Goodbye packets first, so browsers drop the entry before the port closes.
      await this.options.advertiser?.stop().catch((err: unknown) => this.options.onWarning?.('Could not withdraw the LAN advertisement', err));
    }
    if (server) await server.close(reason);
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
