// Public entry of the chat server: startServer() wires config, store, bus,
// services and both transports. The CLI (cli.ts), the desktop app's bundled
// server and the tests all start the server through this function only.
import type net from 'node:net';
import tls from 'node:tls';
import { createBus } from './bus/create-bus';
import { metricsTarget, resolveConfig, type ServerConfig, type ServerOptions } from './config';
import { ChatCore } from './core';
import { createLogger, type Logger } from './log';
import { Metrics } from './metrics';
import { ControlLoop } from './ops/control';
import { DataDirInUseError, lockDataDir } from './ops/data-dir-lock';
import { prepareAccounts, type StartupNotice } from './ops/startup';
import { createStore } from './store/create-store';
import { timeStoreWrites } from './store/timed';
import type { ListenerOptions } from './transport/listener';
import { listenTcp } from './transport/tcp';
import { loadTlsMaterial, secureContextOptions, TlsConfigError, type TlsMaterial } from './transport/tls';
import { listenMetrics, type MetricsListener } from './transport/probes';
import { listenWs, type WsListener } from './transport/ws';

export interface RunningServer {
  readonly config: ServerConfig;
  /** Actual TCP port (resolved when 0 was asked), or null when TCP is off. */
  readonly tcpPort: number | null;
  /** Actual HTTP/WebSocket port, or null when off. */
  readonly wsPort: number | null;
  /** Port of the metrics listener (`--metrics HOST:PORT`), or null when there is none. */
  readonly metricsPort: number | null;
  readonly log: Logger;
  /** SHA-256 fingerprint (`AB:CD:...`) of the certificate served now, or null without TLS. */
  readonly tlsFingerprint: string | null;
  /**
   * Reads --tls-cert and --tls-key again and serves them to new handshakes; connections
   * already open keep theirs (SIGHUP in the CLI). Resolves with the new fingerprint.
   * Rejects with TlsConfigError, keeping the current certificate, when the files are
   * unusable or TLS is off.
   */
  reloadTls(): Promise<string>;
  /** What the operator should know (no accounts yet, a readable --users file); also logged. */
  readonly notices: readonly StartupNotice[];
  /**
   * Graceful stop: tells clients the server is shutting down, stops accepting,
   * closes connections, flushes and closes the store. Idempotent.
   */
  close(reason?: string): Promise<void>;
}

export type { ServerOptions, ServerConfig, StartupNotice };
export { DataDirInUseError, TlsConfigError };

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
  // Checked before anything is opened: a bad certificate is a configuration error.
  let tlsMaterial: TlsMaterial | null = config.tlsCert && config.tlsKey ? loadTlsMaterial(config.tlsCert, config.tlsKey) : null;
  const log = logger ?? createLogger(config.logLevel, config.logFormat);
  const metrics = new Metrics();
  const store = timeStoreWrites(await createStore(config, log), (operation, seconds) => metrics.storeCommit.observe({ operation }, seconds));
  let bus;
  try {
    bus = await createBus(config, log, (ms) => metrics.busLag.observe(ms / 1000));
    await bus.start();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  const core = new ChatCore(config, store, bus, log, clock, metrics);

  let notices: StartupNotice[];
  let tcp: net.Server | null = null;
  let ws: WsListener | null = null;
  let metricsListener: MetricsListener | null = null;
  const metricsAt = metricsTarget(config);
  const control = new ControlLoop(
    store.admin,
    bus.nodeId,
    core.services.registry,
    {
      endSession: (user, reason) => core.endSessionOf(user, reason),
      groupDeleted: (name, members) => core.groupDeleted(name, members),
      everyPoll: () => core.refreshAccounts(),
    },
    log,
    { auditRetentionMs: config.auditDays > 0 ? config.auditDays * 86_400_000 : null },
    clock,
  );
  // Attachment links on TCP lines point at the HTTP port, which starts after TCP.
  let httpPort: number | null = null;
  const fileLinkBase = (localAddress: string): string => config.publicUrl ?? (httpPort === null ? '' : `http://${urlHost(localAddress)}:${httpPort}`);
  try {
    notices = await prepareAccounts(config, store, core.services.accounts, log);
    await control.start();
    const common: Omit<ListenerOptions, 'port'> = {
      host: config.host,
      inbound: core,
      log,
      maxSendQueueBytes: config.maxSendQueueBytes,
      allowRegister: config.allowRegister,
      serverName: config.serverName,
      tls: tlsMaterial,
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
        allowedOrigins: config.allowedOrigins,
        serveMetrics: metricsAt.kind === 'public',
        firstRequestMs: config.loginTimeoutSeconds * 1000,
      });
      httpPort = portOf(ws.server);
    }
    if (metricsAt.kind === 'listen') metricsListener = await listenMetrics({ host: metricsAt.host, port: metricsAt.port, inbound: core, log });
  } catch (err) {
    tcp?.close();
    await ws?.close();
    await metricsListener?.close();
    await control.stop();
    await bus.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }

  const tcpPort = tcp ? portOf(tcp) : null;
  const wsPort = ws ? portOf(ws.server) : null;
  const metricsPort = metricsListener ? portOf(metricsListener.server) : null;
  log.info(
    { tcpPort, wsPort, metricsPort, tls: tlsMaterial?.fingerprint ?? false, store: config.store, cluster: Boolean(config.redisUrl), node: bus.nodeId },
    'server started',
  );

  let closing: Promise<void> | null = null;
  const activeBus = bus;
  return {
    config,
    tcpPort,
    wsPort,
    metricsPort,
    log,
    notices,
    get tlsFingerprint() {
      return tlsMaterial?.fingerprint ?? null;
    },
    reloadTls() {
      // Promise-shaped so a future source of certificates (ACME, a secret store) can be asynchronous.
      return Promise.resolve().then(() => {
        if (!config.tlsCert || !config.tlsKey) throw new TlsConfigError('TLS is off: start with --tls-cert and --tls-key');
        const next = loadTlsMaterial(config.tlsCert, config.tlsKey);
        const context = secureContextOptions(next);
        for (const listener of [tcp, ws?.server]) if (listener instanceof tls.Server) listener.setSecureContext(context);
        tlsMaterial = next;
        log.info({ tls: next.fingerprint }, 'tls certificate reloaded');
        return next.fingerprint;
      });
    },
    close(reason = 'server shutting down') {
      closing ??= (async () => {
        // Stop accepting first, then tell and end every session, then flush storage.
        const tcpClosed = tcp ? new Promise<void>((done) => tcp.close(() => done())) : Promise.resolve();
        await core.shutdown(reason);
        await Promise.race([tcpClosed, new Promise((done) => setTimeout(done, 2_000).unref())]);
        await ws?.close();
        await metricsListener?.close();
        await control.stop();
        await activeBus.close().catch((err: unknown) => log.warn({ err }, 'closing bus failed'));
        await store.close();
        log.info('server stopped');
        log.flush?.();
      })();
      return closing;
    },
  };
}

/**
 * startServer() for a process that owns its data directory (the CLI's server,
 * the desktop app's host mode). With the SQLite store it first locks the data
 * directory (ops/data-dir-lock.ts): two servers on one database would each
 * think they hold a user's only session. Rejects with DataDirInUseError while
 * another live server holds it; the lock is given back once the server stopped
 * (or failed to start). Other stores are shared by design (a cluster).
 */
export async function startServerHoldingDataDir(options: ServerOptions, logger?: Logger): Promise<RunningServer> {
  const config = resolveConfig(options);
  const release = config.store === 'sqlite' ? lockDataDir(config.dataDir) : null;
  let server: RunningServer;
  try {
    server = await startServer(options, logger);
  } catch (err) {
    release?.();
    throw err;
  }
  if (!release) return server;
  const close = server.close.bind(server);
  return Object.assign(server, { close: (reason?: string) => close(reason).finally(release) });
}
