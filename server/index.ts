// Public entry of the chat server: startServer() wires config, store, bus,
// services and both transports. The CLI (cli.ts), the desktop app's bundled
// server and the tests all start the server through this function only.
import type net from 'node:net';
import { createBus } from './bus/create-bus';
import { resolveConfig, type ServerConfig, type ServerOptions } from './config';
import { ChatCore } from './core';
import { createLogger, type Logger } from './log';
import { prepareAccounts, type StartupNotice } from './ops/startup';
import { createStore } from './store/create-store';
import type { ListenerOptions } from './transport/listener';
import { listenTcp } from './transport/tcp';
import { listenWs, type WsListener } from './transport/ws';

export interface RunningServer {
  readonly config: ServerConfig;
  /** Actual TCP port (resolved when 0 was asked), or null when TCP is off. */
  readonly tcpPort: number | null;
  /** Actual HTTP/WebSocket port, or null when off. */
  readonly wsPort: number | null;
  readonly log: Logger;
  /** What the operator should know (no accounts yet, a readable --users file); also logged. */
  readonly notices: readonly StartupNotice[];
  /**
   * Graceful stop: tells clients the server is shutting down, stops accepting,
   * closes connections, flushes and closes the store. Idempotent.
   */
  close(reason?: string): Promise<void>;
}

export type { ServerOptions, ServerConfig, StartupNotice };

function portOf(server: net.Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('listener has no port');
  return address.port;
}

/** An address as a URL host: IPv4-mapped IPv6 as plain IPv4, other IPv6 in brackets. */
function urlHost(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.)/, '');
  return plain.includes(':') ? `[${plain}]` : plain;
}

/**
 * Starts a server node. Rejects (after releasing what it opened) when the
 * configuration is invalid, the store cannot be opened or a port is taken.
 * `logger` defaults to pino at config.logLevel on stderr; `clock` (ms since the
 * epoch, default Date.now) drives timestamps, lockouts, token expiry and the rate limit.
 */
export async function startServer(options: ServerOptions, logger?: Logger, clock: () => number = Date.now): Promise<RunningServer> {
  const config = resolveConfig(options);
  const log = logger ?? createLogger(config.logLevel, config.logFormat);
  const store = await createStore(config, log);
  let bus;
  try {
    bus = await createBus(config, log);
    await bus.start();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  const core = new ChatCore(config, store, bus, log, clock);

  let notices: StartupNotice[];
  let tcp: net.Server | null = null;
  let ws: WsListener | null = null;
  // Attachment links on TCP lines point at the HTTP port, which starts after TCP.
  let httpPort: number | null = null;
  const fileLinkBase = (localAddress: string): string => config.publicUrl ?? (httpPort === null ? '' : `http://${urlHost(localAddress)}:${httpPort}`);
  try {
    notices = await prepareAccounts(config, store, core.services.accounts, log);
    const common: Omit<ListenerOptions, 'port'> = {
      host: config.host,
      inbound: core,
      log,
      maxSendQueueBytes: config.maxSendQueueBytes,
      allowRegister: config.allowRegister,
      serverName: config.serverName,
    };
    if (config.port !== null) {
      tcp = await listenTcp({ ...common, port: config.port, idleMs: config.idleSeconds * 1000, fileLinkBase });
    }
    if (config.wsPort !== null) {
      ws = await listenWs({
        ...common,
        port: config.wsPort,
        heartbeatMs: config.heartbeatSeconds * 1000,
        webRoot: config.webRoot,
        serveSourceMaps: config.serveSourceMaps,
      });
      httpPort = portOf(ws.server);
    }
  } catch (err) {
    tcp?.close();
    await ws?.close();
    await bus.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }

  const tcpPort = tcp ? portOf(tcp) : null;
  const wsPort = ws ? portOf(ws.server) : null;
  log.info({ tcpPort, wsPort, store: config.store, cluster: Boolean(config.redisUrl), node: bus.nodeId }, 'server started');

  let closing: Promise<void> | null = null;
  const activeBus = bus;
  return {
    config,
    tcpPort,
    wsPort,
    log,
    notices,
    close(reason = 'server shutting down') {
      closing ??= (async () => {
        // Stop accepting first, then tell and end every session, then flush storage.
        const tcpClosed = tcp ? new Promise<void>((done) => tcp.close(() => done())) : Promise.resolve();
        await core.shutdown(reason);
        await Promise.race([tcpClosed, new Promise((done) => setTimeout(done, 2_000).unref())]);
        await ws?.close();
        await activeBus.close().catch((err: unknown) => log.warn({ err }, 'closing bus failed'));
        await store.close();
        log.info('server stopped');
        log.flush?.();
      })();
      return closing;
    },
  };
}
