// Command line of the chat server (`npm run server -- ...`, and the desktop
// app's `--server-only`). Parses flags into ServerOptions, starts the server,
// prints where it listens and stops cleanly on SIGINT/SIGTERM.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, defaultDataDir, optionsFromEnv, resolveConfig, type ServerOptions } from './config';
import { isProtocolError } from './protocol';
import { AccountService, accountPolicyOf } from './services/accounts';
import { createStore } from './store/create-store';
import { startServer, type RunningServer } from './index';

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535 (0 picks a free one)');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

/**
 * The built web client, when there is one: dist/renderer beside the sources
 * (server/cli.ts), or beside the server bundle (dist/server/cli.cjs).
 */
function defaultWebRoot(): string | null {
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const candidates = [path.resolve(here, '..', 'dist', 'renderer'), path.resolve(here, '..', 'renderer')];
    return candidates.find((root) => existsSync(path.join(root, 'index.html'))) ?? null;
  } catch {
    return null;
  }
}

interface Flags {
  host?: string;
  port?: number | false;
  wsPort?: number | false;
  data?: string;
  users?: string;
  allowRegister?: boolean;
  maxAttempts?: number;
  lockoutSeconds?: number;
  maxFailuresPerHour?: number;
  minPasswordLength?: number;
  hashCost?: number;
  rateLimit?: number;
  rateBurst?: number;
  idleSeconds?: number;
  heartbeatSeconds?: number;
  loginTimeoutSeconds?: number;
  tokenDays?: number;
  maxSendQueueBytes?: number;
  store?: 'sqlite' | 'memory' | 'postgres';
  postgres?: string;
  postgresSchema?: string;
  redis?: string;
  redisPrefix?: string;
  sessionTtlSeconds?: number;
  clusterHeartbeatSeconds?: number;
  webRoot?: string | false;
  logLevel?: string;
  logFormat?: string;
  serveSourceMaps?: boolean;
  name?: string;
}

function toOptions(flags: Flags, env: NodeJS.ProcessEnv, webRoot: string | null): ServerOptions {
  const o: Record<string, unknown> = { ...optionsFromEnv(env), webRoot };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) o[key] = value;
  };
  set('host', flags.host);
  set('port', flags.port === false ? null : flags.port);
  set('wsPort', flags.wsPort === false ? null : flags.wsPort);
  set('dataDir', flags.data && path.resolve(flags.data));
  set('usersFile', flags.users && path.resolve(flags.users));
  set('allowRegister', flags.allowRegister);
  set('maxAttempts', flags.maxAttempts);
  set('lockoutSeconds', flags.lockoutSeconds);
  set('maxFailuresPerHour', flags.maxFailuresPerHour);
  set('minPasswordLength', flags.minPasswordLength);
  set('hashCost', flags.hashCost);
  set('rateLimit', flags.rateLimit);
  set('rateBurst', flags.rateBurst);
  set('idleSeconds', flags.idleSeconds);
  set('heartbeatSeconds', flags.heartbeatSeconds);
  set('loginTimeoutSeconds', flags.loginTimeoutSeconds);
  set('tokenDays', flags.tokenDays);
  set('maxSendQueueBytes', flags.maxSendQueueBytes);
  set('store', flags.store);
  set('postgresUrl', flags.postgres);
  set('postgresSchema', flags.postgresSchema);
  set('redisUrl', flags.redis);
  set('redisKeyPrefix', flags.redisPrefix);
  set('sessionTtlSeconds', flags.sessionTtlSeconds);
  set('clusterHeartbeatSeconds', flags.clusterHeartbeatSeconds);
  if (flags.webRoot === false) o.webRoot = null;
  else set('webRoot', flags.webRoot && path.resolve(flags.webRoot));
  set('logLevel', flags.logLevel);
  set('logFormat', flags.logFormat);
  set('serveSourceMaps', flags.serveSourceMaps);
  set('serverName', flags.name);
  return o;
}

function describeListen(host: string, port: number, scheme: string, suffix = ''): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}${shown}:${port}${suffix}`;
}

/** Reads a password: hidden prompt (twice) on a terminal, else the first line of stdin. */
async function readPassword(name: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const rl = createInterface({ input });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    throw new Error('No password on standard input');
  }
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input, output: process.stdout, terminal: true });
      // Echo nothing while the password is typed.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        if (s.includes(question)) process.stdout.write(question);
      };
      rl.question(question, (answer) => {
        rl.close();
        process.stdout.write('\n');
        resolve(answer);
      });
    });
  const first = await ask(`Password for ${name}: `);
  const second = await ask('Repeat the password: ');
  if (first !== second) throw new Error('The passwords do not match');
  return first;
}

function addServerOptions(cmd: Command): Command {
  return cmd
    .option('--host <address>', 'address to listen on (default 0.0.0.0: all interfaces)')
    .option('-p, --port <port>', 'TCP line-protocol port (default 4000; 0 = any free port)', port)
    .option('--no-port', 'disable the TCP line protocol')
    .option('-w, --ws-port <port>', 'HTTP port for WebSocket (/ws), the web client and /healthz (default 4001; 0 = any free port)', port)
    .option('--no-ws-port', 'disable WebSocket and the web client')
    .option('-d, --data <dir>', `data directory for the SQLite database (default ${defaultDataDir()})`)
    .option('-u, --users <file>', 'credentials file to import at start: one "username password" per line')
    .option('--allow-register', 'let clients create accounts')
    .option('--max-attempts <n>', 'failed sign-ins before the account locks (default 3)', integer)
    .option('--lockout-seconds <s>', 'how long a lock lasts (default 60)', positive)
    .option('--max-failures-per-hour <n>', 'failed sign-ins per name in one hour before it locks for an hour (default 100)', integer)
    .option('--min-password-length <n>', 'shortest password that may be set, in characters (default 8; env CHAT_MIN_PASSWORD_LENGTH)', integer)
    .option('--hash-cost <log2N>', 'scrypt cost as log2 of N (default 17, OWASP); lower only for tests', integer)
    .option('--rate-limit <perSecond>', 'commands per second per connection, 0 = unlimited (default 20)', nonNegative)
    .option('--rate-burst <n>', 'burst allowance of the rate limit (default 40)', integer)
    .option('--idle-seconds <s>', 'close TCP connections silent this long (default 300)', positive)
    .option('--heartbeat-seconds <s>', 'WebSocket ping interval; a missed pong closes the connection (default 30)', positive)
    .option('--login-timeout-seconds <s>', 'close connections that have not signed in after this long (default 60)', positive)
    .option('--token-days <days>', 'lifetime of saved sign-in tokens (default 30)', positive)
    .option('--max-send-queue-bytes <n>', 'unsent output a slow client may have before it is disconnected (default 4194304)', integer)
    .option('--store <kind>', 'sqlite (default), memory (loses everything on exit) or postgres')
    .option('--postgres <url>', 'PostgreSQL URL: share state between several nodes (env CHAT_POSTGRES_URL)')
    .option('--postgres-schema <name>', 'PostgreSQL schema (default public)')
    .option('--redis <url>', 'Redis URL: cross-node delivery and presence (env CHAT_REDIS_URL)')
    .option('--redis-prefix <prefix>', 'prefix of Redis keys and channels (default chat:)')
    .option('--session-ttl-seconds <s>', "cluster: a dead node's users can sign in elsewhere within this (default 8)", positive)
    .option('--cluster-heartbeat-seconds <s>', 'cluster: claim refresh and dead-node sweep interval, below the TTL (default 2)', positive)
    .option('--web-root <dir>', 'directory of the built web client to serve (default dist/renderer when built)')
    .option('--no-web-root', 'do not serve the web client')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info; env CHAT_LOG_LEVEL)')
    .option('--log-format <format>', 'auto (readable on a terminal, JSON otherwise), pretty or json (env CHAT_LOG_FORMAT)')
    .option('--serve-source-maps', "serve the web client's .map files (development only; env CHAT_SERVE_SOURCE_MAPS=1)")
    .option('--name <name>', 'server name shown to clients (default chat)');
}

/**
 * Runs the CLI with `argv` (without node and script). Resolves once the server
 * has stopped (or the subcommand finished). Exits the process on signals.
 */
export async function runCli(argv: string[], defaults: { webRoot?: string | null } = {}): Promise<void> {
  const program = new Command('chat-server')
    .description('Chat server: plain TCP line protocol (nc-friendly) and WebSocket (JSON), one core.')
    .showHelpAfterError('(run with --help for every option)')
    // Without this, commander gives flags written after `adduser` (e.g. --data)
    // to the top-level command, and adduser silently uses the default data dir.
    .enablePositionalOptions()
    .exitOverride();
  addServerOptions(program);
  program.action(async (flags: Flags) => {
    const options = toOptions(flags, process.env, defaults.webRoot !== undefined ? defaults.webRoot : defaultWebRoot());
    await serve(options);
  });

  addServerOptions(
    program
      .command('adduser <name>')
      .description('create an account (password read from a hidden prompt, or from the first line of stdin)')
      .option('--update', 'set a new password if the user exists (revokes their saved sign-ins)'),
  ).action(async (name: string, flags: Flags & { update?: boolean }) => {
    const config = resolveConfig(toOptions(flags, process.env, null));
    const store = await createStore(config);
    try {
      const accounts = new AccountService(store.accounts, accountPolicyOf(config));
      const password = await readPassword(name);
      if (flags.update && (await store.accounts.getUser(name))) {
        await accounts.setPassword(name, password);
        console.log(`Password of ${name} updated.`);
      } else {
        await accounts.create(name, password);
        console.log(`User ${name} created.`);
      }
    } finally {
      await store.close();
    }
  });

  program
    .command('backup <file>')
    .description('write a consistent copy of the SQLite database to FILE; safe while the server runs')
    .option('-d, --data <dir>', `data directory of the server (default ${defaultDataDir()}; env CHAT_DATA_DIR)`)
    .option('--force', 'replace FILE if it exists')
    .action(async (file: string, flags: { data?: string; force?: boolean }) => {
      const config = resolveConfig({ ...optionsFromEnv(process.env), ...(flags.data ? { dataDir: path.resolve(flags.data) } : {}) });
      if (config.store !== 'sqlite') {
        throw new ConfigError('backup copies the SQLite store; this configuration uses PostgreSQL: use pg_dump (see the README, "Backups")');
      }
      // Loaded here: better-sqlite3 is native, and no other command needs it at start.
      const { backupSqlite, BackupError } = await import('./ops/backup');
      try {
        const result = backupSqlite(config.dataDir, file, { overwrite: flags.force === true });
        console.log(`Backup of ${result.source} written to ${result.file} (${result.bytes} bytes).`);
      } catch (err) {
        if (err instanceof BackupError) throw new ConfigError(err.message);
        throw err;
      }
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return;
    if (code?.startsWith('commander.')) {
      process.exitCode = 2;
      return;
    }
    if (err instanceof ConfigError || isProtocolError(err)) {
      console.error(`error: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

async function serve(options: ServerOptions): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServer(options);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      console.error(`error: port already in use (${e.message}). Pick another with --port / --ws-port, or 0 for any free port.`);
      process.exitCode = 1;
      return;
    }
    if (err instanceof ConfigError) throw err;
    console.error(`error: could not start the server: ${e.message}`);
    process.exitCode = 1;
    return;
  }
  const { config } = server;
  // Handlers first, then the lines a supervisor or test waits for: a SIGTERM sent
  // as soon as they appear must find the graceful path.
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        console.error(`${signal} again: exiting now.`);
        process.exit(1);
      }
      stopping = true;
      console.log(`${signal}: shutting down...`);
      server.close(`server shutting down (${signal})`).then(
        () => {
          console.log('Stopped.');
          resolve();
        },
        (err: unknown) => {
          console.error('error while stopping:', err);
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  if (server.tcpPort !== null)
    console.log(
      `TCP listening on ${describeListen(config.host, server.tcpPort, '')}  (try: nc ${config.host === '0.0.0.0' ? 'localhost' : config.host} ${server.tcpPort})`,
    );
  if (server.wsPort !== null) {
    console.log(`WebSocket listening on ${describeListen(config.host, server.wsPort, 'ws://', '/ws')}`);
    if (config.webRoot) console.log(`Web client at ${describeListen(config.host, server.wsPort, 'http://', '/')}`);
  }
  console.log(`Data: ${config.store === 'sqlite' ? config.dataDir : config.store}. Press Ctrl+C to stop.`);
  for (const notice of server.notices) console.error(`${notice.level === 'warn' ? 'warning' : 'note'}: ${notice.text}`);
  await stopped;
}

// Run when executed directly (tsx server/cli.ts, or the bundle dist/server/cli.cjs), not when imported by Electron main.
const invoked = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (invoked && /server[\\/]cli\.(ts|js|mjs|cjs)$/.test(invoked)) {
  runCli(process.argv.slice(2)).then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      console.error(err instanceof Error ? `error: ${err.message}` : err);
      process.exit(1);
    },
  );
}
