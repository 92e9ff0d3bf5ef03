// Starts a cluster of real server nodes for tests: every node shares one fresh
// PostgreSQL schema and one random Redis key prefix, listens on free loopback
// ports, hashes cheaply and logs nothing. Nodes run in this process
// (startServer) or, where a test must SIGKILL one, as child processes (the CLI).
// Needs CHAT_TEST_POSTGRES_URL and CHAT_TEST_REDIS_URL: gate callers with
// describeWithServices(..., ['postgres', 'redis'], ...) from ./services.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer, type ServerOptions } from '../../server/index';
import { createTestKeyPrefix, createTestSchema } from './services';
import { USERS, writeUsersFile } from './users';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(REPO_ROOT, 'server', 'cli.ts');
/** How long a child node may take to print its ports (tsx compiles on start). */
const SPAWN_TIMEOUT_MS = 20_000;

export interface ClusterNode {
  readonly tcpPort: number;
  readonly wsPort: number;
  /** ws://127.0.0.1:<wsPort>/ws */
  readonly wsUrl: string;
  /** Graceful stop (clients get the shutdown event). Idempotent. */
  close(): Promise<void>;
}

export interface InProcessNode extends ClusterNode {
  readonly server: RunningServer;
}

export interface ChildNode extends ClusterNode {
  readonly child: ChildProcess;
  /** Kills the process with SIGKILL (no cleanup at all) and waits for it to exit. */
  kill(): Promise<void>;
}

export interface Cluster {
  /** In-process nodes, in start order. */
  nodes: InProcessNode[];
  readonly postgresUrl: string;
  readonly redisUrl: string;
  /** The shared PostgreSQL schema and Redis key prefix. */
  readonly schema: string;
  readonly keyPrefix: string;
  /** Starts one more in-process node on the same schema and prefix. */
  addNode(extra?: Partial<ServerOptions>): Promise<InProcessNode>;
  /** Starts a node as a child process through the CLI (`node --import tsx server/cli.ts ...`). */
  spawnNode(extraArgs?: string[]): Promise<ChildNode>;
  /** Stops every node (in-process and child), then drops the schema and the Redis keys. */
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** In-process nodes to start (at least 1). */
  nodes: number;
  /** Accounts imported by the first node. Default: USERS of ./users. */
  users?: Record<string, string>;
  /** Extra server options for every in-process node. */
  options?: Partial<ServerOptions>;
  /** The in-process nodes' clock (see TestServerOptions.clock). Default Date.now. */
  clock?: () => number;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`startCluster needs ${name}; gate the suite with describeWithServices(..., ['postgres', 'redis'], ...)`);
  return value;
}

/**
 * Starts `nodes` in-process server nodes sharing a fresh schema and prefix.
 * The first node imports `users` before the others start, so the import runs
 * once (concurrent imports of one file from several nodes would race).
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new Error('startCluster: nodes must be a positive integer');
  const postgresUrl = requiredEnv('CHAT_TEST_POSTGRES_URL');
  const redisUrl = requiredEnv('CHAT_TEST_REDIS_URL');
  const schema = await createTestSchema(postgresUrl);
  const keys = createTestKeyPrefix(redisUrl);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chat-cluster-'));
  const usersFile = path.join(dir, 'users.txt');
  await writeUsersFile(usersFile, options.users ?? USERS);

  const base: ServerOptions = {
    host: '127.0.0.1',
    port: 0,
    wsPort: 0,
    postgresUrl,
    postgresSchema: schema.schema,
    redisUrl,
    redisKeyPrefix: keys.prefix,
    hashCost: 4,
    // The shared test accounts have short passwords ("bob-pw"); suites about the password policy set their own.
    minPasswordLength: 6,
    logLevel: 'silent',
    rateLimit: 0,
    webRoot: null,
    // Unused with PostgreSQL, but keeps any stray file out of the user's data dir.
    dataDir: dir,
    ...options.options,
  };
  const inProcess: InProcessNode[] = [];
  const children: ChildNode[] = [];

  async function addNode(extra: Partial<ServerOptions> = {}): Promise<InProcessNode> {
    const server = await startServer({ ...base, ...extra }, undefined, options.clock);
    let closed: Promise<void> | null = null;
    const node: InProcessNode = {
      server,
      tcpPort: server.tcpPort!,
      wsPort: server.wsPort!,
      wsUrl: `ws://127.0.0.1:${server.wsPort}/ws`,
      close: () => (closed ??= server.close()),
    };
    inProcess.push(node);
    return node;
  }

  async function spawnNode(extraArgs: string[] = []): Promise<ChildNode> {
    const node = await spawnCliNode([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--ws-port',
      '0',
      '--postgres',
      postgresUrl,
      '--postgres-schema',
      schema.schema,
      '--redis',
      redisUrl,
      '--redis-prefix',
      keys.prefix,
      '--hash-cost',
      '4',
      '--rate-limit',
      '0',
      '--no-web-root',
      '--log-level',
      'warn',
      ...extraArgs,
    ]);
    children.push(node);
    return node;
  }

  let closing: Promise<void> | null = null;
  const cluster: Cluster = {
    nodes: inProcess,
    postgresUrl,
    redisUrl,
    schema: schema.schema,
    keyPrefix: keys.prefix,
    addNode,
    spawnNode,
    close: () =>
      (closing ??= (async () => {
        await Promise.allSettled([...inProcess, ...children].map((n) => n.close()));
        await schema.drop();
        await keys.clear();
        await rm(dir, { recursive: true, force: true });
      })()),
  };

  try {
    await addNode({ usersFile });
    await Promise.all(Array.from({ length: options.nodes - 1 }, () => addNode()));
  } catch (err) {
    await cluster.close().catch(() => undefined);
    throw err;
  }
  return cluster;
}

/**
 * Runs the CLI in a child process and resolves once it printed both ports:
 * "TCP listening on 127.0.0.1:PORT ..." and "WebSocket listening on ws://127.0.0.1:PORT/ws".
 */
export async function spawnCliNode(args: string[]): Promise<ChildNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr.setEncoding('utf8').on('data', (text: string) => output.push(text));
  const lines = createInterface({ input: child.stdout });
  let tcpPort: number | null = null;
  let wsPort: number | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`CLI node printed no ports within ${SPAWN_TIMEOUT_MS} ms`)), SPAWN_TIMEOUT_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`CLI node exited early (${code ?? signal}): ${output.join('').slice(-2000)}`));
      });
      lines.on('line', (line) => {
        output.push(`${line}\n`);
        const tcp = /^TCP listening on [^\s]*:(\d+)/.exec(line);
        const ws = /^WebSocket listening on ws:\/\/[^\s]*:(\d+)\/ws/.exec(line);
        if (tcp) tcpPort = Number(tcp[1]);
        if (ws) wsPort = Number(ws[1]);
        if (tcpPort !== null && wsPort !== null) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const alive = () => child.exitCode === null && child.signalCode === null;
  let stopping: Promise<void> | null = null;
  return {
    child,
    tcpPort: tcpPort!,
    wsPort: wsPort!,
    wsUrl: `ws://127.0.0.1:${wsPort}/ws`,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    close: () =>
      (stopping ??= (async () => {
        if (!alive()) return;
        child.kill('SIGTERM');
        // A node that does not stop within 10 s is killed; the wait stays bounded.
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      })()),
  };
}
