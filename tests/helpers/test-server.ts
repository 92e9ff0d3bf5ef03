// The one way suites start a real server: loopback only, free ports (or the
// given ones), a fresh data directory with the shared users file, cheap password
// hashing, no logs. Integration, browser and Electron suites all use it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../server/index';
import type { Logger } from '../../server/log';
import { USERS, writeUsersFile } from './users';

export interface TestServerOptions extends Partial<ServerOptions> {
  /** Accounts to import (name → password). Default: USERS. */
  users?: Readonly<Record<string, string>>;
  /** The server's clock (ms since the epoch). Default Date.now; tests move it instead of sleeping. */
  clock?: () => number;
  /** Where the server logs (e.g. captureLog's, to check what it logged). Default: none (`logLevel` silent). */
  logger?: Logger;
}

export interface TestServer {
  /** The running server; throws while paused. */
  readonly server: RunningServer;
  readonly dataDir: string;
  readonly tcpPort: number;
  readonly wsPort: number;
  /** ws://127.0.0.1:<wsPort>/ws */
  readonly wsUrl: string;
  /** http://127.0.0.1:<wsPort>/ — the web client. */
  readonly httpUrl: string;
  /** Stops gracefully and starts again on the same data dir and ports. */
  restart(extra?: Partial<ServerOptions>): Promise<void>;
  /** Stops gracefully (clients see the shutdown), keeping data and ports for resume(). */
  pause(reason?: string): Promise<void>;
  /** Starts again after pause(), on the same data dir and ports. */
  resume(): Promise<void>;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

/** A clock for TestServerOptions.clock: real time plus what advance() added. */
export function testClock(): { now: () => number; advance(ms: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { users = USERS, clock, logger, ...rest } = options;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-test-'));
  const usersFile = path.join(dataDir, 'clients.txt');
  await writeUsersFile(usersFile, users);
  const base: ServerOptions = {
    host: '127.0.0.1',
    port: 0,
    wsPort: 0,
    dataDir,
    usersFile,
    hashCost: 4,
    // The shared test accounts have short passwords ("bob-pw"); suites about the password policy set their own.
    minPasswordLength: 6,
    logLevel: 'silent',
    rateLimit: 0,
    webRoot: null,
    ...rest,
  };
  const launch = (extra: Partial<ServerOptions>) => startServer({ ...base, ...extra }, logger, clock);
  let server: RunningServer | null = await launch({});
  let ports = { port: server.tcpPort ?? 0, wsPort: server.wsPort ?? 0 };
  const running = (): RunningServer => {
    if (!server) throw new Error('the test server is paused');
    return server;
  };
  return {
    get server() {
      return running();
    },
    dataDir,
    get tcpPort() {
      return ports.port;
    },
    get wsPort() {
      return ports.wsPort;
    },
    get wsUrl() {
      return `ws://127.0.0.1:${ports.wsPort}/ws`;
    },
    get httpUrl() {
      return `http://127.0.0.1:${ports.wsPort}/`;
    },
    async restart(extra = {}) {
      await running().close();
      server = await launch({ ...ports, ...extra });
    },
    async pause(reason) {
      await running().close(reason);
      server = null;
    },
    async resume() {
      server ??= await launch(ports);
      ports = { port: server.tcpPort ?? 0, wsPort: server.wsPort ?? 0 };
    },
    async stop() {
      await server?.close();
      server = null;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
