// Before the Electron suite: build the main bundle (and the renderer when dist/renderer
// is missing) — but only when there is an Electron binary to run them with. Where the suite
// is required (CHAT_TEST_REQUIRE_ELECTRON=1, the desktop workflow), a missing binary fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findElectron, repoRoot, skipMessage } from './electron-binary';

function run(label: string, args: string[]): void {
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`${label} failed (exit ${result.status ?? result.signal})`);
}

export default function globalSetup(): void {
  const electron = findElectron();
  if (!electron.found) {
    if (process.env.CHAT_TEST_REQUIRE_ELECTRON === '1') {
      throw new Error(`CHAT_TEST_REQUIRE_ELECTRON=1 but there is no Electron binary: ${electron.reason}`);
    }
    console.log(skipMessage(electron.reason));
    return;
  }
  if (!existsSync(path.join(repoRoot, 'dist', 'renderer', 'index.html'))) {
    run('vite build', [path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts']);
  }
  run('build-main', [path.join(repoRoot, 'scripts', 'build-main.mjs')]);
}
