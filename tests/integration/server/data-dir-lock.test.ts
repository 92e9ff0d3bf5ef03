// One server per data directory: a second CLI server on a directory another live
// server holds is refused (exit 1, naming the directory and the pid); a lock left
// by a killed server is taken over; the admin commands run beside the server.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, spawnCliServer, type CliServer } from '../../helpers/cli';

describe('data directory lock', () => {
  let dir = '';
  const servers: CliServer[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'chat-lock-'));
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const serve = (): string[] => ['--data', dir, '--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--no-web-root', '--log-level', 'silent'];
  const lockFile = (): string => path.join(dir, 'server.pid');

  it('a second server on the same directory exits 1 naming it and the pid; admin commands still run; a clean stop removes the lock', async () => {
    const first = await spawnCliServer(serve());
    servers.push(first);
    expect(readFileSync(lockFile(), 'utf8').trim()).toBe(String(first.child.pid));
    const second = await runCli(serve());
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`error: another server (pid ${first.child.pid}) is using ${dir}`);
    expect(second.stdout).not.toMatch(/listening/);
    // The admin commands take no lock: they work while the server runs.
    const list = await runCli(['users', 'list', '--data', dir]);
    expect(list.code).toBe(0);
    expect(await first.stop()).toBe(0);
    expect(existsSync(lockFile())).toBe(false);
  });

  it("after a kill -9 the dead server's lock is taken over", async () => {
    const first = await spawnCliServer(serve());
    servers.push(first);
    first.child.kill('SIGKILL');
    await first.stop();
    expect(existsSync(lockFile())).toBe(true);
    const next = await spawnCliServer(serve());
    servers.push(next);
    expect(readFileSync(lockFile(), 'utf8').trim()).toBe(String(next.child.pid));
    expect(await next.stop()).toBe(0);
  });
});
