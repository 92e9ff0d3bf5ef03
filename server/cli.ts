// Command line of the chat server (`npm run server -- ...`, and the desktop
// app's `--server-only`). Parses flags into ServerOptions, starts the server,
// prints where it listens and stops cleanly on SIGINT/SIGTERM.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, defaultDataDir, metricsTarget, optionsFromEnv, resolveConfig, type ServerOptions } from './config';
import * as admin from './ops/admin';
import { dropOutputToClosedPipe } from './ops/closed-output';
import { startedByNpmServerScript, whenParentExits } from './ops/npm-parent';
import { isProtocolError, Username } from './protocol';
import { AccountService, accountPolicyOf } from './services/accounts';
import { AuditService } from './services/audit';
import { createStore } from './store/create-store';
import { DataDirInUseError, startServerHoldingDataDir, type RunningServer } from './index';

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

function count(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number >= 0');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

/**
 * The built web client, when there is one: dist/renderer beside the sources
 * (server/cli.ts), or beside the server bundle (dist/server/cli.cjs → dist/renderer).
 * From the sources, `../renderer` is the web client's own source folder: its index.html
 * loads main.ts, which no browser runs, so serving it would be a blank page and the sources.
 */
function defaultWebRoot(): string | null {
  try {
    const file = fileURLToPath(import.meta.url);
    const here = path.dirname(file);
    const bundled = !file.endsWith('.ts');
    const root = bundled ? path.resolve(here, '..', 'renderer') : path.resolve(here, '..', 'dist', 'renderer');
    return existsSync(path.join(root, 'index.html')) ? root : null;
  } catch {
    return null;
  }
}

/** An explicit --web-root must hold a built web client; otherwise every page would be a 404 behind "Web client at ...". */
function webRootFlag(dir: string): string {
  const root = path.resolve(dir);
  if (!existsSync(path.join(root, 'index.html'))) {
    throw new ConfigError(`--web-root ${root}: no index.html there (build the web client with: npm run build:renderer)`);
  }
  return root;
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
  commandQueue?: number;
  idleSeconds?: number;
  heartbeatSeconds?: number;
  loginTimeoutSeconds?: number;
  signInBudgetPerAddress?: number;
  signInBudgetTotal?: number;
  maxHashQueue?: number;
  maxConnectionsPerAddress?: number;
  maxUnauthenticatedPerAddress?: number;
  maxUnauthenticated?: number;
  tokenDays?: number;
  editMinutes?: number;
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
  tlsCert?: string;
  tlsKey?: string;
  allowedOrigin?: string[];
  name?: string;
  metrics?: string;
  auditDays?: number;
  maxUploadMib?: number;
  quotaMib?: number;
  blobStore?: 'default' | 's3';
  s3Bucket?: string;
  s3Endpoint?: string;
  s3Region?: string;
  uploadGraceHours?: number;
  fileLinkMinutes?: number;
  fileGcMinutes?: number;
  publicUrl?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
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
  set('commandQueue', flags.commandQueue);
  set('idleSeconds', flags.idleSeconds);
  set('heartbeatSeconds', flags.heartbeatSeconds);
  set('loginTimeoutSeconds', flags.loginTimeoutSeconds);
  set('signInBudgetPerAddress', flags.signInBudgetPerAddress);
  set('signInBudgetTotal', flags.signInBudgetTotal);
  set('maxHashQueue', flags.maxHashQueue);
  set('maxConnectionsPerAddress', flags.maxConnectionsPerAddress);
  set('maxUnauthenticatedPerAddress', flags.maxUnauthenticatedPerAddress);
  set('maxUnauthenticated', flags.maxUnauthenticated);
  set('tokenDays', flags.tokenDays);
  set('editMinutes', flags.editMinutes);
  set('maxSendQueueBytes', flags.maxSendQueueBytes);
  set('store', flags.store);
  set('postgresUrl', flags.postgres);
  set('postgresSchema', flags.postgresSchema);
  set('redisUrl', flags.redis);
  set('redisKeyPrefix', flags.redisPrefix);
  set('sessionTtlSeconds', flags.sessionTtlSeconds);
  set('clusterHeartbeatSeconds', flags.clusterHeartbeatSeconds);
  if (flags.webRoot === false) o.webRoot = null;
  else if (flags.webRoot !== undefined) o.webRoot = webRootFlag(flags.webRoot);
  set('logLevel', flags.logLevel);
  set('logFormat', flags.logFormat);
  set('serveSourceMaps', flags.serveSourceMaps);
  set('tlsCert', flags.tlsCert && path.resolve(flags.tlsCert));
  set('tlsKey', flags.tlsKey && path.resolve(flags.tlsKey));
  set('allowedOrigins', flags.allowedOrigin);
  set('serverName', flags.name);
  set('metrics', flags.metrics);
  set('auditDays', flags.auditDays);
  set('maxUploadBytes', flags.maxUploadMib === undefined ? undefined : Math.round(flags.maxUploadMib * 1024 * 1024));
  set('quotaBytes', flags.quotaMib === undefined ? undefined : Math.round(flags.quotaMib * 1024 * 1024));
  set('blobStore', flags.blobStore);
  set('s3Bucket', flags.s3Bucket);
  set('s3Endpoint', flags.s3Endpoint);
  set('s3Region', flags.s3Region);
  set('uploadGraceHours', flags.uploadGraceHours);
  set('fileLinkMinutes', flags.fileLinkMinutes);
  set('fileGcMinutes', flags.fileGcMinutes);
  set('publicUrl', flags.publicUrl);
  return o;
}

function describeListen(host: string, port: number, scheme: string, suffix = ''): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}${shown}:${port}${suffix}`;
}

/** Reads a password: hidden prompt (twice) on a terminal, else the first line of stdin. Throws ConfigError (exit 2) without one. */
async function readPassword(name: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const rl = createInterface({ input });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    throw new ConfigError('No password on standard input: pipe it in (echo ... |) or run on a terminal for a hidden prompt');
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
  if (first !== second) throw new ConfigError('The passwords do not match');
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
    .option('--command-queue <n>', 'commands per connection that may wait for the ones before them; more get COMMAND_QUEUE_FULL (default 64)', integer)
    .option('--idle-seconds <s>', 'close TCP connections silent this long (default 300)', positive)
    .option('--heartbeat-seconds <s>', 'WebSocket ping interval; a missed pong closes the connection (default 30)', positive)
    .option('--login-timeout-seconds <s>', 'close connections not signed in (HTTP: no request sent) after this long (default 30)', positive)
    .option('--sign-in-budget-per-address <n>', 'failed sign-in attempts per minute from one address before RATE_LIMITED, 0 = no limit (default 30)', count)
    .option('--sign-in-budget-total <n>', 'failed sign-in attempts per minute on this node before SERVER_BUSY, 0 = no limit (default 600)', count)
    .option('--max-hash-queue <n>', 'password hashes that may wait for a slot before SERVER_BUSY, 0 = no bound (default 100)', count)
    .option('--max-connections-per-address <n>', 'open connections from one address, 0 = no cap (default 256)', count)
    .option('--max-unauthenticated-per-address <n>', 'connections from one address not signed in yet, 0 = no cap (default 64)', count)
    .option('--max-unauthenticated <n>', 'connections not signed in yet, all addresses together, 0 = no cap (default 1024)', count)
    .option('--token-days <days>', 'lifetime of saved sign-in tokens (default 30)', positive)
    .option('--edit-minutes <n>', 'how long after sending authors may edit a message, 0 = no limit (default 1440; env CHAT_EDIT_MINUTES)', nonNegative)
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
    .option('--tls-cert <file>', 'PEM certificate: TLS on both ports, TCP and HTTPS/WSS (with --tls-key; env CHAT_TLS_CERT; SIGHUP reloads it)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (env CHAT_TLS_KEY)')
    .option(
      '--allowed-origin <origin>',
      "a web origin (https://host[:port]) whose pages may open WebSockets here, besides the server's own; repeatable (env CHAT_ALLOWED_ORIGINS, comma-separated)",
      collect,
    )
    .option('--name <name>', 'server name shown to clients (default chat)')
    .option('--max-upload-mib <MiB>', 'largest file upload; larger ones get 413 (default 25)', positive)
    .option('--quota-mib <MiB>', "most one user's uploads (sent or waiting) may add up to, 0 = unlimited (default 1024; env CHAT_QUOTA_MIB)", nonNegative)
    .option('--blob-store <kind>', 'where upload bytes live: default (data directory, or PostgreSQL with --postgres) or s3 (env CHAT_BLOB_STORE)')
    .option('--s3-bucket <name>', 'bucket of --blob-store s3; credentials from the AWS environment (env CHAT_S3_BUCKET)')
    .option('--s3-endpoint <url>', 'an S3-compatible service, e.g. http://127.0.0.1:9000 (default AWS S3; env CHAT_S3_ENDPOINT)')
    .option('--s3-region <region>', 'region of the bucket (default from AWS_REGION, else us-east-1; env CHAT_S3_REGION)')
    .option('--upload-grace-hours <h>', 'uploads no message carries are deleted after this long (default 24)', nonNegative)
    .option('--file-link-minutes <m>', 'lifetime of signed download links in messages (default 60)', positive)
    .option('--file-gc-minutes <m>', 'how often unsent uploads are garbage-collected (default 15)', positive)
    .option('--public-url <url>', 'http(s)://host[:port] of the HTTP port as clients reach it, for links on TCP lines (env CHAT_PUBLIC_URL)')
    .option('--audit-days <days>', 'days the audit log keeps entries, 0 = forever (default 365; env CHAT_AUDIT_DAYS)', nonNegative)
    .option(
      '--metrics <where>',
      'Prometheus metrics: off (default), on (/metrics on the HTTP port: public!) or HOST:PORT (own listener, e.g. 127.0.0.1:9464; env CHAT_METRICS)',
    );
}

interface AdminFlags {
  data?: string;
  postgres?: string;
  postgresSchema?: string;
  hashCost?: number;
  json?: boolean;
}

/** The store options every admin command takes (the same as the server's), and --json. */
function addAdminOptions(cmd: Command, json = false): Command {
  cmd
    .option('-d, --data <dir>', `data directory of the SQLite store (default ${defaultDataDir()}; env CHAT_DATA_DIR)`)
    .option('--postgres <url>', "the cluster's PostgreSQL (env CHAT_POSTGRES_URL)")
    .option('--postgres-schema <name>', 'PostgreSQL schema (default public)')
    .option('--hash-cost <log2N>', 'scrypt cost for new passwords (default 17)', integer);
  if (json) cmd.option('--json', 'one JSON object per line instead of a table');
  return cmd;
}

/** `admin:<OS user>`: who ran an admin command, for the audit log. */
function adminActor(): string {
  try {
    return `admin:${os.userInfo().username}`;
  } catch {
    return 'admin';
  }
}

/**
 * Opens the store the flags name, runs one admin operation, prints its lines, closes the store.
 * Only `creates` (users add) may start a new SQLite database: any other command on a directory
 * without one names a mistyped --data instead of creating an empty database and answering from it.
 */
async function runAdmin(flags: AdminFlags, operation: (ctx: admin.AdminContext) => Promise<string[]>, { creates = false } = {}): Promise<void> {
  const config = resolveConfig(
    toOptions(
      { data: flags.data, postgres: flags.postgres, postgresSchema: flags.postgresSchema, hashCost: flags.hashCost, logLevel: 'silent' },
      process.env,
      null,
    ),
  );
  if (config.store === 'sqlite' && !creates) {
    // Loaded here: better-sqlite3 is native, and --help or a cluster command needs none of it.
    const { SQLITE_FILE_NAME } = await import('./store/sqlite/index');
    const file = path.join(config.dataDir, SQLITE_FILE_NAME);
    if (!existsSync(file)) throw new ConfigError(`No database at ${file}: is --data right? Nothing was created.`);
  }
  const store = await createStore(config);
  try {
    const now = Date.now;
    const accounts = new AccountService(store, accountPolicyOf(config), now);
    const audit = new AuditService(store.admin, { error: (details: object, message: string) => console.error(`warning: ${message}`, details) }, now);
    const lines = await operation({ store, accounts, audit, actor: adminActor(), now, json: flags.json === true });
    for (const line of lines) console.log(line);
  } catch (err) {
    if (err instanceof admin.AdminError) throw new ConfigError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

/** `<parent> list`: a table (or --json lines) from `operation`. */
function addAdminList(parent: Command, description: string, operation: (ctx: admin.AdminContext) => Promise<string[]>): void {
  addAdminOptions(parent.command('list').description(description), true).action((f: AdminFlags) => runAdmin(f, operation));
}

/** `<parent> <verb> <name>`: `operation` on one account, session or group. */
function addAdminOnName(parent: Command, verb: string, description: string, operation: (ctx: admin.AdminContext, name: string) => Promise<string[]>): void {
  addAdminOptions(parent.command(`${verb} <name>`).description(description)).action((name: string, f: AdminFlags) =>
    runAdmin(f, (ctx) => operation(ctx, name)),
  );
}

/** The admin commands: users, sessions, groups, audit (README, "Administration"). */
function addAdminCommands(program: Command): void {
  const users = program.command('users').description('accounts: list, add, passwd, lock, unlock, delete, rename (works while the server runs)');
  addAdminList(users, 'every account: created, last sign-in, online, locked', admin.listUsers);
  addAdminOptions(users.command('add <name>').description('create an account (password from a hidden prompt, or the first line of stdin)')).action(
    (name: string, f: AdminFlags) => runAdmin(f, (ctx) => admin.addUser(ctx, name, readPassword), { creates: true }),
  );
  addAdminOnName(users, 'passwd', "set a new password (prompt or stdin); revokes saved sign-ins and ends the user's session", (ctx, name) =>
    admin.setPassword(ctx, name, readPassword),
  );
  addAdminOnName(users, 'lock', 'lock the account until unlocked; revokes saved sign-ins, ends the session', admin.lockUser);
  addAdminOnName(users, 'unlock', "clear an administrator's lock and failed sign-ins", admin.unlockUser);
  addAdminOnName(users, 'delete', 'delete the account (sent messages stay in their recipients’ history)', admin.deleteUser);
  addAdminOptions(users.command('rename <name> <new-name>').description('rename the account everywhere; ends its session')).action(
    (name: string, to: string, f: AdminFlags) => runAdmin(f, (ctx) => admin.renameUser(ctx, name, to, (n) => Username.safeParse(n).success)),
  );

  const sessions = program.command('sessions').description('signed-in sessions: list, end');
  addAdminList(sessions, 'who is signed in, on which node, from where', admin.listSessions);
  addAdminOnName(sessions, 'end', "disconnect the user's session and revoke their saved sign-ins", admin.endSession);

  const groups = program.command('groups').description('groups: list, delete');
  addAdminList(groups, 'every group with its owner and members', admin.listGroups);
  addAdminOnName(groups, 'delete', 'delete a group; its members are told', admin.deleteGroup);

  addAdminOptions(program.command('audit').description('read the audit log, newest first'), true)
    .option('--user <name>', 'only entries about this account')
    .option('--action <action>', 'only this action (sign-in, sign-in-failed, lockout, ...)')
    .option('--since <when>', 'only entries since a date (2026-11-30T14:00Z) or a duration ago (30m, 12h, 7d)')
    .option('--limit <n>', 'at most this many entries (default 50)', positiveInteger)
    .action((f: AdminFlags & { user?: string; action?: string; since?: string; limit?: number }) =>
      runAdmin(f, (ctx) =>
        admin.readAudit(ctx, {
          limit: f.limit ?? 50,
          ...(f.user !== undefined ? { username: f.user } : {}),
          ...(f.action !== undefined ? { action: f.action } : {}),
          ...(f.since !== undefined ? { since: admin.parseSince(f.since, ctx.now()) } : {}),
        }),
      ),
    );
}

/**
 * Runs the CLI with `argv` (without node and script). Resolves once the server
 * has stopped (or the subcommand finished). Exits the process on signals.
 */
export async function runCli(argv: string[], defaults: { webRoot?: string | null } = {}): Promise<void> {
  dropOutputToClosedPipe(process.stdout);
  dropOutputToClosedPipe(process.stderr);
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
      const accounts = new AccountService(store, accountPolicyOf(config));
      const audit = new AuditService(store.admin, { error: (details: object, message: string) => console.error(`warning: ${message}`, details) });
      const existing = flags.update ? await store.accounts.getUser(name) : null;
      // The name is checked before the password is asked for: nobody types one in vain.
      if (!existing) {
        await accounts.assertNameAvailable(name);
      }
      const password = await readPassword(existing?.username ?? name);
      if (existing) {
        // Named in any case: answers and the audit log use the spelling the account was registered with.
        await accounts.setPassword(existing.username, password);
        await audit.record({ action: 'password-changed', actor: adminActor(), username: existing.username });
        console.log(`Password of ${existing.username} updated.`);
      } else {
        await accounts.create(name, password);
        await audit.record({ action: 'user-added', actor: adminActor(), username: name });
        console.log(`User ${name} created.`);
      }
    } finally {
      await store.close();
    }
  });

  addAdminCommands(program);

  // `--data DIR users list` would give --data to the server and run the command on the
  // default data directory: an empty list, or an account or backup in the wrong place.
  program.hook('preAction', (_program, action) => {
    if (action === program) return;
    const misplaced = program.options
      .filter((option) => program.getOptionValueSource(option.attributeName()) === 'cli')
      .map((option) => option.long ?? option.flags);
    if (misplaced.length === 0) return;
    const name = [action.parent?.parent ? action.parent.name() : null, action.name()].filter(Boolean).join(' ');
    throw new ConfigError(`${misplaced.join(', ')} must come after "${name}" (e.g. ${name} ... ${misplaced[0]} ...), or the command would not see it`);
  });

  program
    .command('backup <file>')
    .description('write a consistent copy of the SQLite database to FILE; safe while the server runs')
    .option('-d, --data <dir>', `data directory of the server (default ${defaultDataDir()}; env CHAT_DATA_DIR)`)
    .option('--force', 'replace FILE if it exists')
    // Taken only to refuse it with the way that works: the admin commands accept it, so operators pass it here too.
    .option('--postgres <url>', 'a cluster: refused, back it up with pg_dump (env CHAT_POSTGRES_URL)')
    .action(async (file: string, flags: { data?: string; force?: boolean; postgres?: string }) => {
      const config = resolveConfig({
        ...optionsFromEnv(process.env),
        ...(flags.data ? { dataDir: path.resolve(flags.data) } : {}),
        ...(flags.postgres ? { postgresUrl: flags.postgres } : {}),
      });
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
    const { code, exitCode } = err as { code?: string; exitCode?: number };
    // `--help` and `help` asked for it; a command group without its subcommand (`users`) gets its
    // help on stderr as a usage error, which a script must be able to tell from success.
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || (code === 'commander.help' && exitCode === 0)) return;
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

/** Whether any standard stream is a terminal, i.e. a hangup can mean the terminal went away. */
function onATerminal(): boolean {
  return process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true;
}

/**
 * A listener that could not start, named by the flag that chose it: a port in use, or an
 * address this machine does not have (--host, or the host of --metrics HOST:PORT). Null for
 * any other error.
 */
function describeListenError(e: NodeJS.ErrnoException & { port?: number; address?: string; hostname?: string }, options: ServerOptions): string | null {
  let config;
  try {
    config = resolveConfig(options);
  } catch {
    return null;
  }
  const metrics = metricsTarget(config);
  const onMetrics = (port: number | undefined, host: string | undefined) =>
    metrics.kind === 'listen' && (port === undefined || port === metrics.port) && (host === undefined || host === metrics.host);
  if (e.code === 'EADDRINUSE') {
    const inUse = `port already in use (${e.message})`;
    if (onMetrics(e.port, e.address) && e.port !== config.port && e.port !== config.wsPort) {
      return `--metrics ${config.metrics}: ${inUse}. Pick another port, or 0 for any free port.`;
    }
    if (e.port !== undefined && e.port === config.port) return `--port ${e.port}: ${inUse}. Pick another, or 0 for any free port.`;
    if (e.port !== undefined && e.port === config.wsPort) return `--ws-port ${e.port}: ${inUse}. Pick another, or 0 for any free port.`;
    return `${inUse}. Pick another with --port / --ws-port, or 0 for any free port.`;
  }
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'EAI_NONAME') {
    const host = e.address ?? e.hostname;
    const cannot = `cannot listen on this address (${e.message})`;
    if (metrics.kind === 'listen' && host === metrics.host && host !== config.host) return `--metrics ${config.metrics}: ${cannot}`;
    // Only the listen address: the same codes come from a PostgreSQL or Redis host that does not resolve.
    if (host === config.host) return `--host ${config.host}: ${cannot}. Give an address of this machine, or 0.0.0.0 for all of them.`;
  }
  return null;
}

async function serve(options: ServerOptions): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServerHoldingDataDir(options);
  } catch (err) {
    if (err instanceof DataDirInUseError) {
      console.error(`error: ${err.message}. Stop it first, or give this one another --data directory.`);
      process.exitCode = 1;
      return;
    }
    if (err instanceof ConfigError) throw err;
    const e = err as NodeJS.ErrnoException;
    const listenError = describeListenError(e, options);
    if (listenError !== null) {
      console.error(`error: ${listenError}`);
      process.exitCode = 1;
      return;
    }
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
    // Ctrl+C ends npm's shell too: that is the same stop, not a second one.
    if (startedByNpmServerScript())
      whenParentExits(() => {
        if (!stopping) stop('npm ended');
      });
  });
  // SIGHUP re-reads the certificate (renewals), keeping every session. Without TLS, on a
  // terminal it keeps its default meaning (closing the terminal ends the server); without a
  // terminal it can only be a reload request (`systemctl reload`, `docker kill -s HUP`), which
  // must not stop a service that has nothing to reload.
  if (server.tlsFingerprint !== null) {
    process.on('SIGHUP', () => {
      server.reloadTls().then(
        (fingerprint) => console.log(`SIGHUP: TLS certificate reloaded (SHA-256 ${fingerprint}).`),
        (err: unknown) => console.error(`SIGHUP: TLS certificate not reloaded, the current one stays: ${err instanceof Error ? err.message : String(err)}`),
      );
    });
  } else if (!onATerminal()) {
    process.on('SIGHUP', () => console.log('SIGHUP: no TLS certificate to reload (started without --tls-cert); nothing changed.'));
  }
  const tlsOn = server.tlsFingerprint !== null;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  if (server.tcpPort !== null) {
    // openssl takes host:port in one argument, an IPv6 address in brackets; nc takes them apart.
    const tryIt = tlsOn ? `openssl s_client -quiet -connect ${describeListen(config.host, server.tcpPort, '')}` : `nc ${shownHost} ${server.tcpPort}`;
    console.log(`TCP listening on ${describeListen(config.host, server.tcpPort, '')}${tlsOn ? ' with TLS' : ''}  (try: ${tryIt})`);
  }
  if (server.wsPort !== null) {
    console.log(`WebSocket listening on ${describeListen(config.host, server.wsPort, tlsOn ? 'wss://' : 'ws://', '/ws')}`);
    if (config.webRoot) console.log(`Web client at ${describeListen(config.host, server.wsPort, tlsOn ? 'https://' : 'http://', '/')}`);
  }
  if (tlsOn) {
    console.log(`TLS certificate SHA-256 fingerprint: ${server.tlsFingerprint}`);
    // The pid of this process, not of a wrapper (npm, a shell) that would die of SIGHUP instead.
    console.log(`Renewed certificate files are read again on SIGHUP: kill -HUP ${process.pid}`);
  }
  const metricsAt = metricsTarget(config);
  // Through describeListen, as the other lines: 0.0.0.0 is shown as localhost, IPv6 in brackets.
  if (metricsAt.kind === 'listen' && server.metricsPort !== null)
    console.log(`Metrics at ${describeListen(metricsAt.host, server.metricsPort, 'http://', '/metrics')}`);
  else if (config.metrics === 'on' && server.wsPort !== null) {
    console.log(`Metrics at ${describeListen(config.host, server.wsPort, tlsOn ? 'https://' : 'http://', '/metrics')}`);
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
