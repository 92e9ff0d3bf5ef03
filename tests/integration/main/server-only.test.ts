// The real main bundle (dist/main/index.cjs, built here by scripts/build-main.mjs) in
// `--server-only` mode: the bundled server (pino, better-sqlite3, ws inside the bundle)
// starts from the same flags as `npm run server`, serves a client, and stops on SIGTERM;
// in `--client` mode it is the terminal client, run here in a pseudo-terminal.
// Electron itself is replaced by fixtures/electron-stub.cjs: no Electron binary here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wsSocketFactory } from '../../../main/connection';
import { ChatSession } from '../../../server/client';
import { spawnInPty } from '../../helpers/pty';
import { startTestServer } from '../../helpers/test-server';
import { passwordOf, USERS, writeUsersFile } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';

const root = path.resolve(__dirname, '..', '..', '..');
const bundle = path.join(root, 'dist', 'main', 'index.cjs');
const stub = path.join(__dirname, 'fixtures', 'electron-stub.cjs');
let dir: string;

beforeAll(async () => {
  const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-main.mjs')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (built.status !== 0) throw new Error(`build-main failed: ${built.stderr}`);
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-server-only-'));
  await writeUsersFile(path.join(dir, 'users.txt'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('main bundle', () => {
  it('contains the preload as a CommonJS file that requires only electron', async () => {
    const preload = await readFile(path.join(root, 'dist', 'main', 'preload.cjs'), 'utf8');
    const requires = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(requires).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld("chat"');
    expect(existsSync(path.join(root, 'dist', 'main', 'assets', 'icon.png'))).toBe(true);
  });

  it('--server-only runs the bundled server with the CLI flags and stops on SIGTERM', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '-r',
        stub,
        bundle,
        '--server-only',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--ws-port',
        '0',
        '--data',
        dir,
        '--users',
        path.join(dir, 'users.txt'),
        '--hash-cost',
        '4',
        '--log-level',
        'warn',
        '--no-web-root',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const session = new ChatSession({ createSocket: wsSocketFactory(), backoff: { initialMs: 60_000 } });
    try {
      await waitUntil(() => /WebSocket listening on ws:\/\/127\.0\.0\.1:\d+\/ws/.test(stdout) || child.exitCode !== null, 'the server to listen', 15_000);
      const match = /WebSocket listening on ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(stdout);
      if (!match) throw new Error(`server-only did not start.\nstdout: ${stdout}\nstderr: ${stderr}`);
      expect(stdout).toMatch(/TCP listening on 127\.0\.0\.1:\d+/);
      await session.signIn({ url: `ws://127.0.0.1:${match[1]}/ws`, username: 'alice', password: USERS.alice });
      expect(await session.request({ type: 'whoelse' })).toEqual({ users: [], profiles: [] });

      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
      expect(code).toBe(0);
      expect(stdout).toContain('Stopped.');
      await waitUntil(() => session.state.state === 'reconnecting', 'the client to see the shutdown');
    } finally {
      session.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('--client runs the terminal client with the arguments of npm run client', async () => {
    const server = await startTestServer();
    const term = spawnInPty([server.wsUrl, '--user', 'alice', '--no-remember', '--no-keychain', '--config-dir', path.join(dir, 'client')], {
      entry: ['-r', stub, bundle, '--client'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    try {
      await term.waitFor('Password:');
      term.type(`${passwordOf('alice')}\r`);
      await term.waitFor('alice>');
      term.type('whoelse\r');
      await term.waitFor('No one else is online.');
      term.type('\x03');
      expect((await term.waitForExit()).code).toBe(0);
      expect(await term.text()).toContain('Goodbye.');
    } finally {
      term.dispose();
      await server.stop();
    }
  });
});
