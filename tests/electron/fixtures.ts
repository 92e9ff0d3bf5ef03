// Fixtures for the Electron suite: a real chat server per test (fresh SQLite dir and
// users file) and the real desktop app launched with a temporary --user-data-dir,
// outside network blocked (host resolver maps everything but loopback to nowhere).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { _electron, test as base, type ElectronApplication, type Page } from '@playwright/test';
import type { RunningServer } from '../../server/index';
import { startTestServer } from '../helpers/test-server';
import { USERS } from '../helpers/users';
import { findElectron, repoRoot, skipMessage } from './electron-binary';

export { USERS };

const electron = findElectron();
export const electronMissing = electron.found ? null : skipMessage(electron.reason);

export interface Fixtures {
  server: RunningServer;
  app: ElectronApplication;
  page: Page;
  /** The temporary profile (--user-data-dir) the app runs with. */
  profile: string;
  /** Extra command-line arguments for the app (e.g. a chat:// link). */
  launchArgs: string[];
}

/** The arguments the fixture launches Electron with, for tests that start a second instance. */
export function appArgs(profile: string, extra: string[] = []): string[] {
  const args = [
    // The repo root as the app: Electron reads package.json ("main": dist/main/index.cjs, name, version).
    repoRoot,
    `--user-data-dir=${profile}`,
    // No outside network from the page: only loopback resolves.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
    ...extra,
  ];
  // Chromium refuses to run as root with its OS sandbox (CI containers often are root).
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return args;
}

export const electronExecutable = electron.found ? electron.executablePath : null;

export const test = base.extend<Fixtures>({
  launchArgs: [[], { option: true }],
  // eslint-disable-next-line no-empty-pattern
  profile: async ({}, use) => {
    const profile = await mkdtemp(path.join(os.tmpdir(), 'chat-electron-profile-'));
    await use(profile);
    await rm(profile, { recursive: true, force: true });
  },
  // eslint-disable-next-line no-empty-pattern
  server: async ({}, use) => {
    const server = await startTestServer();
    await use(server.server);
    await server.stop();
  },
  app: async ({ profile, launchArgs }, use) => {
    if (!electron.found) throw new Error(electronMissing ?? 'no electron');
    const app = await _electron.launch({
      executablePath: electron.executablePath,
      args: appArgs(profile, launchArgs),
      cwd: repoRoot,
      env: { ...process.env, CHAT_LOG_LEVEL: 'warn', ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 30_000,
    });
    await use(app);
    await app.close().catch(() => undefined);
  },
  page: async ({ app }, use) => {
    const page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
    await use(page);
  },
});

export { expect } from '@playwright/test';
