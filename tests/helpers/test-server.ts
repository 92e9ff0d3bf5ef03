// Starts a real server for tests: loopback only, free ports, a fresh data
// directory and credentials file, cheap password hashing, no logs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../server/index';

export const DEFAULT_USERS: Record<string, string> = { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw', dave: 'dave-pw', erin: 'erin-pw' };

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  readonly tcpPort: number;
  readonly wsPort: number;
  readonly wsUrl: string;
  /** Stops gracefully and starts again on the same data dir and ports. */
  restart(extra?: Partial<ServerOptions>): Promise<void>;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

export async function startTestServer(options: Partial<ServerOptions> & { users?: Record<string, string> } = {}): Promise<TestServer> {
  const { users = DEFAULT_USERS, ...rest } = options;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-test-'));
  const usersFile = path.join(dataDir, 'clients.txt');
  await writeFile(
    usersFile,
    Object.entries(users)
      .map(([u, p]) => `${u} ${p}`)
      .join('\n') + '\n',
  );
  const base: ServerOptions = {
    host: '127.0.0.1',
    port: 0,
    wsPort: 0,
    dataDir,
    usersFile,
    hashCost: 4,
    logLevel: 'silent',
    rateLimit: 0,
    ...rest,
  };
  let server = await startServer(base);
  const handle: TestServer = {
    get server() {
      return server;
    },
    dataDir,
    get tcpPort() {
      return server.tcpPort!;
    },
    get wsPort() {
      return server.wsPort!;
    },
    get wsUrl() {
      return `ws://127.0.0.1:${server.wsPort}/ws`;
    },
    async restart(extra = {}) {
      const ports = { port: server.tcpPort ?? 0, wsPort: server.wsPort ?? 0 };
      await server.close();
      server = await startServer({ ...base, ...ports, ...extra });
    },
    async stop() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}
