// The server's flags as an operator meets them (README, "Server options"): a value
// that cannot work is refused naming the flag or variable that gave it, and the
// defaults are what the table says. Real processes, real ports.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, spawnCliServer } from '../../helpers/cli';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-cli-options-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A port held by a listener of this test until `close()`. */
async function busyPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const base = () => ['--host', '127.0.0.1', '--data', path.join(dir, 'data'), '--log-level', 'silent'];

describe('values that cannot work name their flag', () => {
  it('CHAT_SERVE_SOURCE_MAPS with a value other than 1/0/true/false is refused, not read as off', async () => {
    const run = await runCli([...base(), '--port', '0', '--ws-port', '0'], { env: { ...process.env, CHAT_SERVE_SOURCE_MAPS: 'yes' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: CHAT_SERVE_SOURCE_MAPS=yes is not 1 or 0');
  });

  it('a sign-in timeout or heartbeat longer than a timer can wait (24.8 days) is refused, not turned into an instant one', async () => {
    for (const flag of ['--login-timeout-seconds', '--heartbeat-seconds']) {
      const run = await runCli([...base(), '--port', '0', '--ws-port', '0', flag, '3000000']);
      expect(run.code, flag).toBe(2);
      expect(run.stderr, flag).toContain(`error: Invalid configuration: ${flag}: Too big: expected number to be <=2147483`);
    }
  });

  it('a --metrics port in use is named as --metrics, not as --port / --ws-port', async () => {
    const busy = await busyPort();
    try {
      const run = await runCli([...base(), '--port', '0', '--ws-port', '0', '--metrics', `127.0.0.1:${busy.port}`]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`error: --metrics 127.0.0.1:${busy.port}: port already in use`);
    } finally {
      await busy.close();
    }
  });

  it('a --ws-port in use is named as --ws-port', async () => {
    const busy = await busyPort();
    try {
      const run = await runCli([...base(), '--port', '0', '--ws-port', String(busy.port)]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`error: --ws-port ${busy.port}: port already in use`);
    } finally {
      await busy.close();
    }
  });

  it('a --host that is no address of this machine is named as --host', async () => {
    // 192.0.2.1 (TEST-NET-1, RFC 5737) is never a local address.
    const run = await runCli(['--host', '192.0.2.1', '--data', path.join(dir, 'data'), '--log-level', 'silent', '--port', '0', '--ws-port', '0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: --host 192\.0\.2\.1: cannot listen on this address/m);
  });
});

describe('the default web root', () => {
  it('from the sources is the built dist/renderer or nothing, never the web client source folder', async () => {
    const server = await spawnCliServer([...base(), '--no-port', '--ws-port', '0']);
    try {
      const base = `http://127.0.0.1:${server.wsPort}`;
      // renderer/ holds index.html (which loads ./main.ts), main.ts and vite.config.ts; a build holds none of the .ts files.
      expect((await fetch(`${base}/main.ts`)).status).toBe(404);
      expect((await fetch(`${base}/vite.config.ts`)).status).toBe(404);
      const index = await fetch(`${base}/`);
      if (index.status === 200) expect(await index.text()).not.toContain('main.ts');
      if (!server.stdout.includes('Web client at')) expect(index.status).toBe(404);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
