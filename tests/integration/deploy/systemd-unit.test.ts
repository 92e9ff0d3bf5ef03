// The systemd unit's service commands run as systemd runs them, without systemd
// (none runs here): ExecStart's command exec'd directly with the unit's
// Environment= (Type=exec: the process started is $MAINPID), from the runtime
// scripts/assemble-runtime.mjs puts together, then ExecReload with $MAINPID
// substituted (`systemctl reload chat-server`). Only the install paths are mapped
// to temporary ones, and the certificate and ports come from the environment
// file an operator would write (/etc/chat-server/chat-server.env).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnCliServer, type CliServer } from '../../helpers/cli';
import { parseSystemdUnit } from '../../helpers/deploy';
import { makeTestCert } from '../../helpers/tls';
import { waitUntil } from '../../helpers/wait';

const unit = parseSystemdUnit(readFileSync(path.join(REPO_ROOT, 'server/deploy/chat-server.service'), 'utf8')).get('Service')!;
const value = (key: string): string => {
  const v = unit.get(key)?.at(-1);
  if (v === undefined) throw new Error(`the unit has no ${key}=`);
  return v;
};

function peerFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let dir: string;
let runtime: string;
const started: CliServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-systemd-'));
  await mkdir(path.join(dir, 'web'));
  await writeFile(path.join(dir, 'web', 'index.html'), '<!doctype html><title>chat</title>');
  const build = spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  runtime = path.join(dir, 'opt', 'chat-server');
  const assemble = spawnSync(process.execPath, ['scripts/assemble-runtime.mjs', runtime, '--renderer', path.join(dir, 'web')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  expect(assemble.status, assemble.stderr).toBe(0);
}, 90_000);

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts ExecStart as systemd would: argv exec'd directly, the unit's Environment= plus the operator's `env`. */
async function startAsSystemd(name: string, env: Record<string, string>): Promise<CliServer> {
  const [program, ...args] = value('ExecStart').split(/\s+/);
  // systemd runs the program itself; node is this test's node, the install directory a temporary one.
  expect(program).toBe('/usr/bin/node');
  const entry = args.map((a) => a.replace('/opt/chat-server', runtime));
  const unitEnv = Object.fromEntries(
    unit
      .get('Environment')!
      .flatMap((line) => line.split(/\s+/))
      .map((assignment) => assignment.split('=', 2) as [string, string]),
  );
  const server = await spawnCliServer([], {
    entry,
    cwd: '/',
    env: { PATH: process.env.PATH, ...unitEnv, CHAT_DATA_DIR: path.join(dir, name), CHAT_PORT: '0', CHAT_WS_PORT: '0', ...env },
  });
  started.push(server);
  return server;
}

/** `systemctl reload`: ExecReload with $MAINPID replaced by the main process's pid, run to completion. */
function reload(mainPid: number): void {
  const [program, ...args] = value('ExecReload')
    .replace(/\$\{?MAINPID\}?/g, String(mainPid))
    .split(/\s+/);
  const run = spawnSync(program!, args, { encoding: 'utf8' });
  expect(run.status, `${program} ${args.join(' ')}: ${run.stderr}`).toBe(0);
}

describe('systemd unit: ExecReload', () => {
  it('reaches the node server itself, which reloads its TLS certificate and keeps serving', async () => {
    const certs = path.join(dir, 'certs');
    await mkdir(certs);
    const live = await makeTestCert(certs, 'live');
    const server = await startAsSystemd('tls-data', { CHAT_TLS_CERT: live.certFile, CHAT_TLS_KEY: live.keyFile });
    // The process systemd tracks is the server: the pid it tells operators to signal is the one started.
    expect(Number(/kill -HUP (\d+)/.exec(server.stdout)?.[1])).toBe(server.child.pid);
    const open = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.tcpPort!, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    expect(await peerFingerprint(server.wsPort!)).toBe(live.fingerprint);

    const renewed = await makeTestCert(certs, 'renewed');
    await rename(renewed.certFile, live.certFile);
    await rename(renewed.keyFile, live.keyFile);
    reload(server.child.pid!);
    await waitUntil(() => server.stdout.includes(`TLS certificate reloaded (SHA-256 ${renewed.fingerprint})`), 'the reload message', 15_000);
    expect(await peerFingerprint(server.wsPort!)).toBe(renewed.fingerprint);
    expect(await peerFingerprint(server.tcpPort!)).toBe(renewed.fingerprint);
    expect(alive(server.child.pid!)).toBe(true);
    expect(open.destroyed).toBe(false);
    open.destroy();
  });

  it('without TLS a reload changes nothing and the service keeps running', async () => {
    const server = await startAsSystemd('plain-data', {});
    reload(server.child.pid!);
    await waitUntil(() => server.stdout.includes('SIGHUP: no TLS certificate to reload'), 'the reload notice', 15_000);
    expect(alive(server.child.pid!)).toBe(true);
    const answers = await new Promise<string>((resolve, reject) => {
      const s = net.connect(server.tcpPort!, '127.0.0.1');
      s.setEncoding('utf8').once('data', (text: string) => {
        resolve(text);
        s.destroy();
      });
      s.once('error', reject);
    });
    expect(answers).toContain('Welcome to chat');
    expect(await server.stop()).toBe(0);
  });
});
