// Stopping the server (in process and through the CLI's SIGTERM path) and the
// CLI itself: --help, bad flags, adduser. Single SQLite node: these are about
// one process's lifecycle, not about the backend.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema, flagOf } from '../../../server/config';
import { startServer } from '../../../server/index';
import { CLI_TIMEOUT_MS, REPO_ROOT, runCli, SOURCE_CLI, spawnCliServer } from '../../helpers/cli';
import { TcpClient } from '../../helpers/tcp-client';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { accounts, writeUsersFile } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';
import { WsClient } from '../../helpers/ws-client';

/**
 * Starts the CLI server and resolves once it printed both ports. `asNpmScript`:
 * the way `npm run server` starts it, a command list under `sh -c` (a shell that
 * stays between them) with npm's variable naming the script.
 */
async function spawnServer(args: string[], options: { asNpmScript?: boolean } = {}) {
  const child = options.asNpmScript
    ? spawn('sh', ['-c', ': && "$@"', 'sh', process.execPath, ...SOURCE_CLI, ...args], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, npm_lifecycle_event: 'server' },
      })
    : spawn(process.execPath, [...SOURCE_CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (t: string) => out.push(t));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (l) => out.push(l));
  const ports = await new Promise<{ tcp: number; ws: number }>((resolve, reject) => {
    let tcp = 0;
    let ws = 0;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server printed no ports: ${out.join('\n')}`));
    }, CLI_TIMEOUT_MS);
    void exited.then((code) => reject(new Error(`server exited early (${code}): ${out.join('\n')}`)));
    lines.on('line', (line) => {
      tcp ||= Number(/^TCP listening on 127\.0\.0\.1:(\d+)/.exec(line)?.[1] ?? 0);
      ws ||= Number(/^WebSocket listening on ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(line)?.[1] ?? 0);
      if (tcp && ws) {
        clearTimeout(timer);
        resolve({ tcp, ws });
      }
    });
  });
  return { child, ports, out, exited };
}

describe('shutdown (in process)', () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await startTestServer();
  });
  afterEach(async () => {
    await srv.stop();
  });

  it('close(): WS clients get a shutdown event and code 1001, TCP clients the shutdown line and EOF', async () => {
    const ws = await WsClient.connect(srv.wsUrl);
    await ws.login('alice', 'alice-pw');
    const idleWs = await WsClient.connect(srv.wsUrl);
    const tcp = await TcpClient.connect(srv.tcpPort);
    await tcp.login('bob', 'bob-pw');
    const tcpAtPrompt = await TcpClient.connect(srv.tcpPort);
    await tcpAtPrompt.waitPrompt('Username: ');
    await srv.server.close('maintenance');
    expect(await ws.waitEvent('shutdown')).toMatchObject({ reason: 'maintenance' });
    expect((await ws.waitClosed()).code).toBe(1001);
    expect((await idleWs.waitClosed()).code).toBe(1001);
    expect(idleWs.events.map((e) => e.event)).toEqual(['shutdown']);
    await tcp.waitLine('* Server is shutting down: maintenance');
    await tcp.waitClosed();
    await tcpAtPrompt.waitLine('* Server is shutting down: maintenance');
    await tcpAtPrompt.waitClosed();
    // close() is idempotent.
    await srv.server.close();
  });
});

describe('HTTP endpoints (in process)', () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await startTestServer();
  });
  afterEach(async () => {
    await srv.stop();
  });

  it('/healthz reports sessions; WebSocket upgrades elsewhere than /ws are refused', async () => {
    const alice = await WsClient.connect(srv.wsUrl);
    await alice.login('alice', 'alice-pw');
    const res = await fetch(`http://127.0.0.1:${srv.wsPort}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', sessions: 1 });
    await expect(WsClient.connect(`ws://127.0.0.1:${srv.wsPort}/other`)).rejects.toThrow(/404/);
    alice.close();
  });
});

describe('CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'chat-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('SIGTERM: tells clients, exits 0, and queued data is there after starting again', async () => {
    const users = path.join(dir, 'users.txt');
    await writeUsersFile(users, accounts('alice', 'bob', 'carol'));
    const args = [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--ws-port',
      '0',
      '--data',
      path.join(dir, 'data'),
      '--users',
      users,
      '--hash-cost',
      '4',
      '--no-web-root',
      '--log-level',
      'silent',
    ];
    const first = await spawnServer(args);
    const alice = await WsClient.connect(`ws://127.0.0.1:${first.ports.ws}/ws`);
    await alice.login('alice', 'alice-pw');
    expect((await alice.request({ type: 'message', to: 'carol', text: 'kept over restart' })).queued).toBe(true);
    const bob = await TcpClient.connect(first.ports.tcp);
    await bob.login('bob', 'bob-pw');
    first.child.kill('SIGTERM');
    await bob.waitLine('* Server is shutting down: server shutting down (SIGTERM)', 10_000);
    await bob.waitClosed(10_000);
    expect((await alice.waitClosed(10_000)).code).toBe(1001);
    expect(await first.exited).toBe(0);
    expect(first.out.join('\n')).toMatch(/SIGTERM: shutting down\.\.\.[\s\S]*Stopped\./);

    const second = await spawnServer(args);
    try {
      const carol = await TcpClient.connect(second.ports.tcp);
      await carol.login('carol', 'carol-pw');
      await carol.waitLine(/^#1 \[\d\d:\d\d\] alice \(private, offline\): kept over restart$/);
      carol.close();
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });

  it('keeps serving when the reader of its output goes away (npm run server | head -1), and still stops cleanly', async () => {
    const users = path.join(dir, 'users.txt');
    await writeUsersFile(users, accounts('alice'));
    const args = ['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--data', path.join(dir, 'data'), '--users', users, '--hash-cost', '4'];
    const { child, ports, exited } = await spawnServer([...args, '--no-web-root', '--log-level', 'debug']);
    // Both pipes closed on the reader's side: every later line (the log's too) meets EPIPE.
    child.stdout.destroy();
    child.stderr.destroy();
    const alice = await TcpClient.connect(ports.tcp);
    await alice.login('alice', 'alice-pw');
    alice.send('whoelse');
    await alice.waitLine('No one else is online.');
    alice.close();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('stops when `npm run server` gets SIGTERM, which npm passes to its shell only', async () => {
    const data = path.join(dir, 'data');
    const args = ['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--data', data, '--no-web-root'];
    const { child, out, exited } = await spawnServer(args, { asNpmScript: true });
    const pid = Number((await readFile(path.join(data, 'server.pid'), 'utf8')).split('\n')[0]);
    expect(pid).not.toBe(child.pid);
    child.kill('SIGTERM');
    expect(await exited).toBeNull();
    const running = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitUntil(() => !running(), 'the server to stop after its shell died', CLI_TIMEOUT_MS);
    expect(out).toContain('Stopped.');
    // It let go of the data directory: the next server starts on it.
    const next = await spawnServer(args);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });

  it('--help lists every flag, and every configuration option has one', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    const flags = [...run.stdout.matchAll(/--[a-z0-9-]+/g)].map((m) => m[0]);
    for (const key of Object.keys(ConfigSchema.shape)) {
      const flag = flagOf(key);
      expect(flags, `flag for ${key}`).toContain(flag);
    }
    expect(flags).toEqual(expect.arrayContaining(['--no-port', '--no-ws-port', '--no-web-root', '--help']));
    expect(run.stdout).toMatch(/adduser \[options\] <name>/);
    // Help that was asked for is a success, also for a command group.
    for (const args of [
      ['users', '--help'],
      ['users', 'help', 'passwd'],
    ]) {
      const asked = await runCli(args);
      expect(asked.code, args.join(' ')).toBe(0);
      expect(asked.stdout).toMatch(/Usage: chat-server users/);
    }
  });

  it('--metrics HOST:PORT prints an address one can open: localhost for 0.0.0.0', async () => {
    const cli = await spawnCliServer(['--port', '0', '--ws-port', '0', '--no-web-root', '--data', dir, '--log-level', 'silent', '--metrics', '0.0.0.0:0']);
    try {
      const url = /^Metrics at (\S+)$/m.exec(cli.stdout)?.[1] ?? '';
      expect(url).toMatch(/^http:\/\/localhost:\d+\/metrics$/);
      const res = await fetch(url.replace('localhost', '127.0.0.1'));
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^chat_sessions 0$/m);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('bad flags and contradictory options give a clear error and exit 2', async () => {
    // Contradictions are covered in tests/unit/server/config.test.ts; here one of each path through the CLI.
    const cases: [string[], RegExp][] = [
      [['--port', 'abc'], /--port <port>' argument 'abc' is invalid\. must be a port number/],
      [['--bogus'], /unknown option '--bogus'/],
      [['--redis', 'redis://127.0.0.1:1', '--data', dir], /--redis needs --postgres/],
      // Server flags before a subcommand would not reach it: users list would read the default data directory.
      [['--data', dir, 'users', 'list'], /error: --data must come after "users list"/],
      [['-d', dir, 'backup', path.join(dir, 'b.db')], /error: --data must come after "backup"/],
      // A web root without a build would answer 404 to every page behind "Web client at ...".
      [['--web-root', dir, '--data', dir, '--port', '0', '--ws-port', '0'], /--web-root .*: no index\.html there/],
      // A command group without its subcommand is a usage error: its help, on stderr.
      [['users'], /Usage: chat-server users \[options\] \[command\][\s\S]*passwd \[options\] <name>/],
      [['sessions'], /Usage: chat-server sessions/],
      [['groups'], /Usage: chat-server groups/],
    ];
    // One at a time: many tsx start-ups at once can outlast the CLI timeout on a busy machine.
    for (const [args, message] of cases) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  }, 120_000);

  it('adduser reads the password from stdin; the user can sign in; --update revokes saved sign-ins', async () => {
    const data = path.join(dir, 'data');
    const created = await runCli(['adduser', 'frank', '--data', data, '--hash-cost', '4'], { stdin: 'frank-pw\n' });
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toContain('User frank created.');
    // Flags after the subcommand belong to it: the database is in --data, not the default dir.
    expect(existsSync(path.join(data, 'chat.db'))).toBe(true);
    const again = await runCli(['adduser', 'frank', '--data', data, '--hash-cost', '4'], { stdin: 'other\n' });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/taken/);

    const server = await startServer({ host: '127.0.0.1', port: 0, wsPort: 0, dataDir: data, hashCost: 4, logLevel: 'silent', webRoot: null });
    try {
      const c = await WsClient.connect(`ws://127.0.0.1:${server.wsPort}/ws`);
      const { token } = await c.login('frank', 'frank-pw', { remember: true });
      c.close();
      await c.waitClosed();
      // The password changes while the server runs: the saved sign-in stops working.
      const updated = await runCli(['adduser', 'frank', '--update', '--data', data, '--hash-cost', '4'], { stdin: 'new-frank-pw\n' });
      expect(updated.code).toBe(0);
      expect(updated.stdout).toContain('Password of frank updated.');
      const d = await WsClient.connect(`ws://127.0.0.1:${server.wsPort}/ws`);
      expect((await d.expectError({ type: 'login', username: 'frank', token: token! })).code).toBe('INVALID_TOKEN');
      expect((await d.expectError({ type: 'login', username: 'frank', password: 'frank-pw' })).code).toBe('INVALID_CREDENTIALS');
      await d.login('frank', 'new-frank-pw');
      d.close();
    } finally {
      await server.close();
    }
  });
});
