// The backends the server behaviour suite runs against: always one SQLite node;
// plus a two-node PostgreSQL + Redis cluster when CHAT_TEST_POSTGRES_URL and
// CHAT_TEST_REDIS_URL are set. Client k connects to node(k), so on the cluster
// every interaction between two clients crosses nodes.
import type { ServerOptions } from '../../server/index';
import type * as ClusterHelper from './cluster';
import { startTestServer, type TestServerOptions } from './test-server';

type ClusterModule = typeof ClusterHelper;

export interface BackendNode {
  readonly tcpPort: number;
  readonly wsPort: number;
  /** ws://127.0.0.1:<wsPort>/ws */
  readonly wsUrl: string;
}

export interface RunningBackend {
  /** Node for client `i` (wraps around the node count). Ports may change across restart(). */
  node(i: number): BackendNode;
  /** Graceful stop and start on the same data and ports (single node only). */
  restart?(extra?: Partial<ServerOptions>): Promise<void>;
  /** Stops every node and deletes the backend's data. */
  close(): Promise<void>;
}

export interface Backend {
  readonly name: string;
  /** True when start() returns a backend with restart() (single node only). */
  readonly canRestart: boolean;
  /** Starts a fresh backend (fresh data, the shared USERS); `options` apply to every node, `clock` drives them. */
  start(options?: Partial<ServerOptions>, clock?: TestServerOptions['clock']): Promise<RunningBackend>;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  canRestart: true,
  async start(options = {}, clock) {
    const srv = await startTestServer({ ...options, clock });
    const node: BackendNode = {
      get tcpPort() {
        return srv.tcpPort;
      },
      get wsPort() {
        return srv.wsPort;
      },
      get wsUrl() {
        return srv.wsUrl;
      },
    };
    return {
      node: () => node,
      restart: (extra) => srv.restart(extra),
      close: () => srv.stop(),
    };
  },
};

export const clusterBackend: Backend = {
  name: 'cluster (2 nodes, PostgreSQL + Redis)',
  canRestart: false,
  async start(options = {}, clock) {
    // Imported lazily: the cluster helper loads pg and ioredis, which a SQLite-only run never needs.
    let mod: ClusterModule;
    try {
      mod = await import('./cluster');
    } catch (err) {
      throw new Error(`cluster backend: tests/helpers/cluster.ts could not be loaded (${(err as Error).message})`, { cause: err });
    }
    const cluster = await mod.startCluster({ nodes: 2, options, clock });
    return {
      node: (i) => cluster.nodes[i % cluster.nodes.length]!,
      close: () => cluster.close(),
    };
  },
};

/** True when the environment names both cluster services. */
export function clusterConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.CHAT_TEST_POSTGRES_URL && env.CHAT_TEST_REDIS_URL);
}

/** Every backend this run covers, SQLite first. */
export const backends: readonly Backend[] = clusterConfigured() ? [sqliteBackend, clusterBackend] : [sqliteBackend];

if (!clusterConfigured()) {
  console.info('[backends] cluster backend not run: set CHAT_TEST_POSTGRES_URL and CHAT_TEST_REDIS_URL to include it');
}
