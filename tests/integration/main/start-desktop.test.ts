// `npm start` where Electron's binary cannot be downloaded (the first-start download pointed
// at a closed loopback port, with an empty download cache): it exits 1 with a short
// explanation and the ways forward — a mirror, an existing Electron, or the server and the
// web client — and no stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectron } from '../../electron/electron-binary';

const root = path.resolve(__dirname, '..', '..', '..');
const installed = findElectron().found;
let cache: string;

beforeAll(async () => {
  cache = await mkdtemp(path.join(os.tmpdir(), 'chat-electron-cache-'));
});

afterAll(async () => {
  await rm(cache, { recursive: true, force: true });
});

function start(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ELECTRON_') && !k.startsWith('electron_')));
  return spawnSync(process.execPath, [path.join(root, 'scripts', 'start-desktop.mjs')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...clean, electron_config_cache: cache, ...env },
  });
}

describe.skipIf(installed)(`npm start without Electron${installed ? ' — skipped: an Electron binary is installed, so nothing is downloaded' : ''}`, () => {
  it('a failed download: one-line cause, the fixes, the web client; no stack trace', () => {
    const result = start({ ELECTRON_MIRROR: 'http://127.0.0.1:1/' });
    expect(result.status).toBe(1);
    const out = `${result.stdout}\n${result.stderr}`;
    expect(out).toContain('Cannot start the desktop app: the Electron binary is missing.');
    expect(out).toMatch(/downloaded on first start from http:\/\/127\.0\.0\.1:1\/, and that failed: .+/);
    expect(out).toContain('ELECTRON_MIRROR=');
    expect(out).toContain('ELECTRON_OVERRIDE_DIST_PATH=');
    expect(out).toContain('npm run server');
    expect(out).toContain('http://localhost:4001');
    expect(out).not.toMatch(/^\s+at /m);
  });

  it('an ELECTRON_OVERRIDE_DIST_PATH without Electron in it says so', () => {
    const result = start({ ELECTRON_OVERRIDE_DIST_PATH: path.join(cache, 'no-electron-here') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`ELECTRON_OVERRIDE_DIST_PATH=${path.join(cache, 'no-electron-here')} does not contain`);
    expect(result.stderr).toContain('npm run server');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
