// Server configuration: defaults, then environment (CHAT_*), then flags.
// resolveConfig() validates the merged result, rejects contradictions and
// returns a frozen object; nothing else reads process.env for settings.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH } from './protocol/limits';
import { describeIssue } from './protocol/validate';

/** OWASP-strength scrypt cost (N = 2^17, r = 8, p = 1). */
export const PRODUCTION_HASH_COST = 17;

export const ConfigSchema = z.strictObject({
  /** Address both listeners bind to. Default 0.0.0.0 so others on the LAN can join; tests use 127.0.0.1. */
  host: z.string().min(1).default('0.0.0.0'),
  /** Plain TCP line protocol port; 0 picks a free one; null disables TCP. Default 4000. */
  port: z.number().int().min(0).max(65535).nullable().default(4000),
  /** HTTP port for WebSocket, the web client and /healthz; 0 picks a free one; null disables. Default 4001. */
  wsPort: z.number().int().min(0).max(65535).nullable().default(4001),
  /** Data directory for the SQLite database. Default: the user's data dir. */
  dataDir: z.string().min(1).default(defaultDataDir()),
  /** Credentials file in the seed's format (`username password` per line) imported at start. */
  usersFile: z.string().min(1).nullable().default(null),
  /** Let clients create accounts. Default false. */
  allowRegister: z.boolean().default(false),
  /** Failed sign-ins before the account locks. Default 3. */
  maxAttempts: z.number().int().min(1).max(100).default(3),
  /** How long a lock lasts, in seconds. Default 60. */
  lockoutSeconds: z.number().min(0.01).max(86_400).default(60),
  /** Failed sign-ins per name inside one hour before it locks for an hour (ASVS V2.2.1: at most 100). Default 100. */
  maxFailuresPerHour: z.number().int().min(1).max(100_000).default(100),
  /** Shortest password that may be set, in characters (NIST SP 800-63B: 8). Default 8. */
  minPasswordLength: z.number().int().min(1).max(MAX_PASSWORD_LENGTH).default(8),
  /** log2 of scrypt's N. Default 17 (OWASP). Lower values are for tests only. */
  hashCost: z.number().int().min(4).max(20).default(PRODUCTION_HASH_COST),
  /** Sign-in token lifetime, in days. Default 30. */
  tokenDays: z.number().min(0.001).max(3650).default(30),
  /** Commands per second a connection may send on average; 0 disables the limit. Default 20. */
  rateLimit: z.number().min(0).default(20),
  /** Burst allowance of the rate limit, in commands. Default 40. */
  rateBurst: z.number().int().min(1).default(40),
  /** Seconds a connection may stay silent before it is closed (TCP) or pinged (WS). Default 300 / 30. */
  idleSeconds: z.number().min(0.1).default(300),
  /** WebSocket heartbeat interval, in seconds. Default 30. */
  heartbeatSeconds: z.number().min(0.05).default(30),
  /** Seconds to sign in before an unauthenticated connection is closed. Default 60. */
  loginTimeoutSeconds: z.number().min(0.1).default(60),
  /** Bytes queued for a slow client before it is disconnected. Default 4 MiB. */
  maxSendQueueBytes: z
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /** Store backend: sqlite (default), memory (benchmarks, loses everything on exit) or postgres. */
  store: z.enum(['sqlite', 'memory', 'postgres']).default('sqlite'),
  /** PostgreSQL connection URL (implies store = postgres). */
  postgresUrl: z.string().min(1).nullable().default(null),
  /** PostgreSQL schema to use (tests isolate runs with it). Default public. */
  postgresSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('public'),
  /** Redis connection URL for cross-node presence and delivery. */
  redisUrl: z.string().min(1).nullable().default(null),
  /**
   * Cluster: how long a node's session claims outlive its last heartbeat, in
   * seconds; a dead node's users can sign in on another node within this. Default 8.
   */
  sessionTtlSeconds: z.number().min(0.05).max(3600).default(8),
  /** Cluster: how often a node refreshes its claims and sweeps dead nodes, in seconds; below sessionTtlSeconds. Default 2. */
  clusterHeartbeatSeconds: z.number().min(0.01).max(600).default(2),
  /** Prefix of every Redis key and channel (tests isolate runs with it). Default "chat:". */
  redisKeyPrefix: z.string().min(1).max(64).default('chat:'),
  /** Directory with the built web client to serve over HTTP; null serves none. */
  webRoot: z.string().nullable().default(null),
  /** pino log level. Default info. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Log lines: readable (pretty), JSON, or auto (readable when stderr is a terminal). Default auto. */
  logFormat: z.enum(['auto', 'pretty', 'json']).default('auto'),
  /** Serve the web client's *.map source maps (a development aid; they expose the sources). Default false. */
  serveSourceMaps: z.boolean().default(false),
  /** Name announced to clients. */
  serverName: z.string().min(1).max(64).default('chat'),
});

export type ServerConfig = Readonly<z.infer<typeof ConfigSchema>>;
export type ServerOptions = z.input<typeof ConfigSchema>;

export function defaultDataDir(): string {
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'chat-server');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'chat-server');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'chat-server');
}

/** Reads CHAT_* variables into options (flags override them). */
export function optionsFromEnv(env: NodeJS.ProcessEnv): ServerOptions {
  const out: Record<string, unknown> = {};
  const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  const set = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  set('postgresUrl', env.CHAT_POSTGRES_URL || undefined);
  set('redisUrl', env.CHAT_REDIS_URL || undefined);
  set('dataDir', env.CHAT_DATA_DIR || undefined);
  set('logLevel', env.CHAT_LOG_LEVEL || undefined);
  set('logFormat', env.CHAT_LOG_FORMAT || undefined);
  set('serveSourceMaps', env.CHAT_SERVE_SOURCE_MAPS ? env.CHAT_SERVE_SOURCE_MAPS === '1' || env.CHAT_SERVE_SOURCE_MAPS === 'true' : undefined);
  set('minPasswordLength', num(env.CHAT_MIN_PASSWORD_LENGTH));
  set('port', num(env.CHAT_PORT));
  set('wsPort', num(env.CHAT_WS_PORT));
  return out;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates and freezes options. Throws ConfigError with a readable message. */
export function resolveConfig(options: ServerOptions): ServerConfig {
  const parsed = ConfigSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${describeIssue(parsed.error)}`);
  const config = { ...parsed.data };
  if (config.postgresUrl) config.store = 'postgres';
  if (config.store === 'postgres' && !config.postgresUrl) throw new ConfigError('--store postgres needs --postgres URL');
  if (config.redisUrl && config.store !== 'postgres') {
    throw new ConfigError('--redis needs --postgres: several nodes must share one database');
  }
  if (config.port !== null && config.port !== 0 && config.port === config.wsPort) {
    throw new ConfigError(`--port and --ws-port must differ (both are ${config.port})`);
  }
  if (config.clusterHeartbeatSeconds >= config.sessionTtlSeconds) {
    throw new ConfigError(
      `--cluster-heartbeat-seconds (${config.clusterHeartbeatSeconds}) must be below --session-ttl-seconds (${config.sessionTtlSeconds}): claims are refreshed every heartbeat`,
    );
  }
  if (config.port === null && config.wsPort === null) throw new ConfigError('At least one of --port and --ws-port is needed');
  return Object.freeze(config);
}
