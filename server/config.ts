// Server configuration: defaults, then environment (CHAT_*), then flags.
// resolveConfig() validates the merged result, rejects contradictions and
// returns a frozen object; nothing else reads process.env for settings.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_EDIT_MINUTES, MAX_PASSWORD_LENGTH } from './protocol/limits';
import { describeIssue } from './protocol/validate';

/** OWASP-strength scrypt cost (N = 2^17, r = 8, p = 1). */
export const PRODUCTION_HASH_COST = 17;

/**
 * Longest delay a timer (setTimeout, setInterval) can wait: past 2^31 - 1 ms
 * (about 24.8 days) Node fires it at once, so a longer sign-in timeout would
 * close every connection immediately and a longer heartbeat would ping every
 * millisecond. Options that set a timer are at most this.
 */
const MAX_TIMER_SECONDS = 2_147_483;

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
  /** How long after sending a message its author may edit it, in minutes; 0 = no limit. Default 1440 (a day). */
  editMinutes: z.number().min(0).max(5_256_000).default(DEFAULT_EDIT_MINUTES),
  /** Sign-in token lifetime, in days. Default 30. */
  tokenDays: z.number().min(0.001).max(3650).default(30),
  /** Commands per second a connection may send on average; 0 disables the limit. Default 20. */
  rateLimit: z.number().min(0).default(20),
  /** Burst allowance of the rate limit, in commands. Default 40. */
  rateBurst: z.number().int().min(1).default(40),
  /**
   * Commands of one connection that may wait to start before new ones get
   * COMMAND_QUEUE_FULL. Consecutive sends run pipelined and do not wait; at
   * most 8x this many of them (or, with a rate limit, what 30 s at the limit
   * allow: burst + 30 x rate, when more) are in flight. Default 64.
   */
  commandQueue: z.number().int().min(1).max(100_000).default(64),
  /** Seconds a connection may stay silent before it is closed (TCP) or pinged (WS). Default 300 / 30. */
  idleSeconds: z.number().min(0.1).default(300),
  /** WebSocket heartbeat interval, in seconds (at most MAX_TIMER_SECONDS). Default 30. */
  heartbeatSeconds: z.number().min(0.05).max(MAX_TIMER_SECONDS).default(30),
  /**
   * Seconds to sign in before an unauthenticated connection is closed, and for a
   * connection to the HTTP port to send its first request (at most MAX_TIMER_SECONDS). Default 30.
   */
  loginTimeoutSeconds: z.number().min(0.1).max(MAX_TIMER_SECONDS).default(30),
  /**
   * Sign-in attempts per minute from one address (IP), checked before any hash
   * work; an attempt that succeeds is given back, so this counts failures and
   * attempts in flight. Burst = the same number. 0 = no limit. Default 30.
   */
  signInBudgetPerAddress: z.number().int().min(0).default(30),
  /** The same budget for all addresses together (per minute). 0 = no limit. Default 600. */
  signInBudgetTotal: z.number().int().min(0).default(600),
  /** Password hashes (sign-ins, registrations) that may wait for a hashing slot; more get SERVER_BUSY. 0 = no bound. Default 100. */
  maxHashQueue: z.number().int().min(0).default(100),
  /** Open connections from one address (both transports together). 0 = no cap. Default 256. */
  maxConnectionsPerAddress: z.number().int().min(0).default(256),
  /** Connections from one address that have not signed in yet. 0 = no cap. Default 64. */
  maxUnauthenticatedPerAddress: z.number().int().min(0).default(64),
  /** Connections that have not signed in yet, from all addresses together. 0 = no cap. Default 1024. */
  maxUnauthenticated: z.number().int().min(0).default(1024),
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
  /** PEM certificate file: TLS on both ports (needs tlsKey). Default null: no TLS. */
  tlsCert: z.string().min(1).nullable().default(null),
  /** PEM private key file of tlsCert. Default null. */
  tlsKey: z.string().min(1).nullable().default(null),
  /**
   * Origins (`scheme://host[:port]`) whose pages may open a WebSocket, besides upgrades with
   * no Origin (native clients) or one naming the host the request was sent to. Default none.
   */
  allowedOrigins: z.array(z.string().min(1)).default([]),
  /**
   * Prometheus metrics: 'off' (default), 'on' (GET /metrics on the HTTP port,
   * beside /healthz) or 'HOST:PORT' (a listener of their own, e.g.
   * 127.0.0.1:9464, which also answers /healthz and /readyz). Off by default:
   * the figures (user counts, traffic) are not for the public port.
   */
  metrics: z
    .string()
    .regex(/^(off|on|(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5})$/, 'expected off, on or HOST:PORT')
    .default('off'),
  /** Days the audit log keeps entries; 0 keeps them forever. Default 365. */
  auditDays: z.number().min(0).max(36_500).default(365),
  /** Largest file upload (POST /api/files), in bytes; larger ones get 413. Default 25 MiB. */
  maxUploadBytes: z
    .number()
    .int()
    .min(1)
    .default(25 * 1024 * 1024),
  /**
   * Most bytes one user's uploads may add up to: those a message carries and
   * those still waiting to be sent (inside the grace period); 0 = no quota.
   * Default 1 GiB.
   */
  quotaBytes: z
    .number()
    .int()
    .min(0)
    .default(1024 * 1024 * 1024),
  /** Where upload bytes live: 'default' (the data directory, or PostgreSQL on a cluster) or 's3' (an S3-compatible bucket). */
  blobStore: z.enum(['default', 's3']).default('default'),
  /** Bucket of --blob-store s3 (must exist). Default null. */
  s3Bucket: z.string().min(3).max(63).nullable().default(null),
  /** Endpoint URL of an S3-compatible service (MinIO, R2, ...); null = AWS S3 itself. Default null. */
  s3Endpoint: z.string().url().nullable().default(null),
  /** Region of the bucket; null = the AWS SDK's own lookup (AWS_REGION, profile). Default null. */
  s3Region: z.string().min(1).nullable().default(null),
  /** Hours an upload no message carries is kept before garbage collection deletes it. Default 24. */
  uploadGraceHours: z.number().min(0).default(24),
  /** Minutes between garbage collections of unsent uploads (fractions allowed). Default 15. */
  fileGcMinutes: z.number().min(0.0001).default(15),
  /** Minutes a signed download link (in messages, TCP lines) keeps working. Default 60. */
  fileLinkMinutes: z
    .number()
    .min(0.01)
    .max(7 * 24 * 60)
    .default(60),
  /**
   * Base URL of the HTTP port as clients reach it (e.g. https://chat.example.com), used for
   * the download links on TCP lines. Default: the address the TCP client connected to, with --ws-port.
   */
  publicUrl: z
    .string()
    .regex(/^https?:\/\/[^/?#]+$/, 'must be http(s)://host[:port] without a path')
    .nullable()
    .default(null),
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

/** The environment variable of each option that has one: optionsFromEnv reads them, configuration errors name them. */
const ENV_VARIABLES = {
  port: 'CHAT_PORT',
  wsPort: 'CHAT_WS_PORT',
  dataDir: 'CHAT_DATA_DIR',
  postgresUrl: 'CHAT_POSTGRES_URL',
  redisUrl: 'CHAT_REDIS_URL',
  logLevel: 'CHAT_LOG_LEVEL',
  logFormat: 'CHAT_LOG_FORMAT',
  serveSourceMaps: 'CHAT_SERVE_SOURCE_MAPS',
  tlsCert: 'CHAT_TLS_CERT',
  tlsKey: 'CHAT_TLS_KEY',
  allowedOrigins: 'CHAT_ALLOWED_ORIGINS',
  metrics: 'CHAT_METRICS',
  auditDays: 'CHAT_AUDIT_DAYS',
  publicUrl: 'CHAT_PUBLIC_URL',
  quotaBytes: 'CHAT_QUOTA_MIB',
  blobStore: 'CHAT_BLOB_STORE',
  s3Bucket: 'CHAT_S3_BUCKET',
  s3Endpoint: 'CHAT_S3_ENDPOINT',
  s3Region: 'CHAT_S3_REGION',
  minPasswordLength: 'CHAT_MIN_PASSWORD_LENGTH',
  editMinutes: 'CHAT_EDIT_MINUTES',
} as const satisfies Partial<Record<keyof ServerOptions, string>>;

/** Options whose variable is taken as it is written (empty: not set). */
const ENV_TEXT_OPTIONS = [
  'postgresUrl',
  'redisUrl',
  'dataDir',
  'logLevel',
  'logFormat',
  'tlsCert',
  'tlsKey',
  'metrics',
  'publicUrl',
  'blobStore',
  's3Bucket',
  's3Endpoint',
  's3Region',
] as const;
/** Options whose variable is a number. */
const ENV_NUMBER_OPTIONS = ['auditDays', 'minPasswordLength', 'editMinutes', 'port', 'wsPort'] as const;

/** Reads CHAT_* variables into options (flags override them). */
export function optionsFromEnv(env: NodeJS.ProcessEnv): ServerOptions {
  const out: Record<string, unknown> = {};
  // A value that is no number is named here: the schema would only see NaN and call the option missing.
  const num = (name: string) => {
    const v = env[name];
    if (v === undefined || v.trim() === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new ConfigError(`${name}=${v} is not a number`);
    return n;
  };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  const text = (key: keyof typeof ENV_VARIABLES) => env[ENV_VARIABLES[key]] || undefined;
  for (const key of ENV_TEXT_OPTIONS) set(key, text(key));
  for (const key of ENV_NUMBER_OPTIONS) set(key, num(ENV_VARIABLES[key]));
  const sourceMaps = text('serveSourceMaps')?.trim().toLowerCase();
  // Refused rather than read as "off": CHAT_SERVE_SOURCE_MAPS=yes must not quietly do nothing.
  if (sourceMaps !== undefined && !['1', 'true', '0', 'false'].includes(sourceMaps)) {
    throw new ConfigError(`${ENV_VARIABLES.serveSourceMaps}=${env[ENV_VARIABLES.serveSourceMaps]} is not 1 or 0 (true or false)`);
  }
  set('serveSourceMaps', sourceMaps === undefined ? undefined : sourceMaps === '1' || sourceMaps === 'true');
  const allowed = text('allowedOrigins');
  set('allowedOrigins', allowed ? allowed.split(/[\s,]+/).filter(Boolean) : undefined);
  const quotaMib = num(ENV_VARIABLES.quotaBytes);
  set('quotaBytes', quotaMib === undefined ? undefined : Math.round(quotaMib * 1024 * 1024));
  return out;
}

/** Where metrics are served: nowhere, on the public HTTP port, or on a listener of their own. */
export type MetricsTarget = { kind: 'off' } | { kind: 'public' } | { kind: 'listen'; host: string; port: number };

export function metricsTarget(config: ServerConfig): MetricsTarget {
  if (config.metrics === 'off') return { kind: 'off' };
  if (config.metrics === 'on') return { kind: 'public' };
  const colon = config.metrics.lastIndexOf(':');
  const host = config.metrics.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { kind: 'listen', host, port: Number(config.metrics.slice(colon + 1)) };
}

/**
 * `host:port` of a PostgreSQL or Redis URL, for error messages: never the user name or
 * password the URL may carry. `defaultPort` stands in when the URL names none.
 */
export function serviceAddress(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || defaultPort}`;
  } catch {
    return 'the configured URL';
  }
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * An --allowed-origin entry as browsers send it in the Origin header: `scheme://host[:port]`,
 * lower-case, default port left out. Throws ConfigError for anything with a path, query or
 * credentials, or a scheme other than http(s).
 */
export function normalizeOrigin(entry: string): string {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new ConfigError(`--allowed-origin "${entry}" is not an origin like https://chat.example.com`);
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare) {
    throw new ConfigError(`--allowed-origin "${entry}" must be scheme://host[:port] with http or https and nothing after the host`);
  }
  return url.origin;
}

/** Flags whose name is not the kebab case of their option's key. */
const RENAMED_FLAGS: Readonly<Record<string, string>> = {
  dataDir: '--data',
  usersFile: '--users',
  postgresUrl: '--postgres',
  redisUrl: '--redis',
  redisKeyPrefix: '--redis-prefix',
  serverName: '--name',
  allowedOrigins: '--allowed-origin',
  maxUploadBytes: '--max-upload-mib',
  quotaBytes: '--quota-mib',
};

/** The command-line flag of option `key` (`maxAttempts` → `--max-attempts`, `dataDir` → `--data`). */
export function flagOf(key: string): string {
  return RENAMED_FLAGS[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * A schema error as the operator set the value: `--max-attempts: Too small: ... (maxAttempts)`,
 * the environment variable named beside the flag where there is one; the option's key last,
 * for callers of the API.
 */
function describeConfigIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const key = issue?.path[0];
  if (issue === undefined || typeof key !== 'string' || issue.code === 'unrecognized_keys') return describeIssue(error);
  const flag = flagOf(key);
  const env = (ENV_VARIABLES as Readonly<Record<string, string>>)[key];
  return `${flag}${env ? ` (env ${env})` : ''}: ${issue.message} (${key})`;
}

/** Validates and freezes options. Throws ConfigError with a readable message. */
export function resolveConfig(options: ServerOptions): ServerConfig {
  const parsed = ConfigSchema.safeParse(options, { reportInput: true });
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${describeConfigIssue(parsed.error)}`);
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
  if (config.blobStore === 's3' && config.s3Bucket === null) throw new ConfigError('--blob-store s3 needs --s3-bucket NAME');
  if (config.blobStore !== 's3' && (config.s3Endpoint !== null || config.s3Bucket !== null)) {
    throw new ConfigError('--s3-bucket and --s3-endpoint go with --blob-store s3');
  }
  if (config.port === null && config.wsPort === null) throw new ConfigError('At least one of --port and --ws-port is needed');
  if ((config.tlsCert === null) !== (config.tlsKey === null)) throw new ConfigError('--tls-cert and --tls-key go together: give both or neither');
  config.allowedOrigins = config.allowedOrigins.map(normalizeOrigin);
  const metrics = metricsTarget(config);
  if (metrics.kind === 'public' && config.wsPort === null) throw new ConfigError('--metrics on serves /metrics on the HTTP port: it needs --ws-port');
  if (metrics.kind === 'listen' && metrics.port > 65535) throw new ConfigError(`--metrics ${config.metrics}: the port must be 0-65535`);
  return Object.freeze(config);
}
