// Finds the Electron executable the way node_modules/electron/index.js does, without
// throwing: the binary is downloaded on first `npm start`, and may be missing.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const electronDir = path.join(repoRoot, 'node_modules', 'electron');

export type ElectronLookup = { found: true; executablePath: string } | { found: false; reason: string };

export function findElectron(): ElectronLookup {
  const pathFile = path.join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = path.join(override, relative ?? (process.platform === 'win32' ? 'electron.exe' : 'electron'));
    return existsSync(candidate)
      ? { found: true, executablePath: candidate }
      : { found: false, reason: `ELECTRON_OVERRIDE_DIST_PATH=${override} has no ${path.basename(candidate)}` };
  }
  if (!relative) {
    return {
      found: false,
      reason:
        'node_modules/electron/path.txt is missing (the binary is downloaded by `npm start` or `node node_modules/electron/install.js`; no access to the Electron download host here)',
    };
  }
  const candidate = path.join(electronDir, 'dist', relative);
  return existsSync(candidate) ? { found: true, executablePath: candidate } : { found: false, reason: `${candidate} does not exist` };
}

/** The one line printed when the suite skips. */
export function skipMessage(reason: string): string {
  return `Electron binary not installed on this machine: ${reason} — skipped`;
}
