// `npm start [-- args]`: finds (or downloads) the Electron binary, builds the renderer
// and the main bundle, then runs the desktop app with the extra args passed through,
// e.g. `npm start -- --server-only --port 4000`. Set CHAT_SKIP_BUILD=1 to reuse dist/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronDir = path.join(root, 'node_modules', 'electron');
const extraArgs = process.argv.slice(2);
/** Longest the Electron download may take before we give up, in ms. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60 * 1000;

function executableName() {
  if (process.platform === 'win32') return 'electron.exe';
  if (process.platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  return 'electron';
}

/** The Electron executable, or null. Mirrors node_modules/electron/index.js without throwing. */
function locateElectron() {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathFile = path.join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  if (override) {
    const candidate = path.join(override, relative ?? executableName());
    return existsSync(candidate) ? candidate : null;
  }
  if (!relative) return null;
  const candidate = path.join(electronDir, 'dist', relative);
  return existsSync(candidate) ? candidate : null;
}

function electronVersion() {
  try {
    return JSON.parse(readFileSync(path.join(electronDir, 'package.json'), 'utf8')).version;
  } catch {
    return '(unknown version)';
  }
}

function fail(lines) {
  console.error(['', ...lines, ''].join('\n'));
  process.exit(1);
}

/** The download's error in one line: install.js prints a stack trace, which helps nobody here. */
function summarise(stderr) {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at ') && !/^[-=^~]+$/.test(l));
  const detail = lines.find((l) => /E[A-Z]{3,}|ENOTFOUND|certificate|status|404|403|timed? ?out/i.test(l));
  return detail ?? lines[0] ?? 'no error message';
}

let electron = locateElectron();
let downloadError = null;
if (!electron && !process.env.ELECTRON_OVERRIDE_DIST_PATH) {
  // `npm install` skips Electron's download on purpose (package.json allowScripts) so it
  // never fails without access to GitHub; fetch it now, once, with Electron's own script.
  console.log(`Electron binary not installed yet: downloading Electron ${electronVersion()} (once) ...`);
  const result = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], {
    cwd: electronDir,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    timeout: DOWNLOAD_TIMEOUT_MS,
  });
  if (result.status === 0) electron = locateElectron();
  else downloadError = result.error ? result.error.message : summarise(result.stderr ?? '');
}
if (!electron) {
  const mirror = process.env.ELECTRON_MIRROR;
  fail([
    'Cannot start the desktop app: the Electron binary is missing.',
    ...(process.env.ELECTRON_OVERRIDE_DIST_PATH
      ? [`  ELECTRON_OVERRIDE_DIST_PATH=${process.env.ELECTRON_OVERRIDE_DIST_PATH} does not contain ${executableName()}.`]
      : [
          `  It is downloaded on first start from ${mirror ?? 'GitHub (github.com/electron/electron/releases)'}, and that failed: ${downloadError ?? 'the binary was not found afterwards'}.`,
          '  This machine probably cannot reach the Electron download host.',
        ]),
    'To fix it, either:',
    '  - point to a reachable mirror:   ELECTRON_MIRROR=https://mirror.example.org/electron/ npm start',
    '  - or use an Electron you already have:   ELECTRON_OVERRIDE_DIST_PATH=/path/to/electron-dir npm start',
    `    (the directory holding the ${executableName()} executable of Electron ${electronVersion()})`,
    'Meanwhile the web client works without Electron:',
    '  npm run server    then open http://localhost:4001 in a browser',
  ]);
}

function run(label, args) {
  console.log(`> ${label}`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail([`${label} failed (exit code ${result.status ?? result.signal}).`]);
}

if (process.env.CHAT_SKIP_BUILD !== '1') {
  run('vite build --config renderer/vite.config.ts', [
    path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
    'build',
    '--config',
    'renderer/vite.config.ts',
  ]);
  run('node scripts/build-main.mjs', [path.join(root, 'scripts', 'build-main.mjs')]);
}

const child = spawn(electron, [root, ...extraArgs], { cwd: root, stdio: 'inherit' });
// Forward Ctrl+C / kill to the app so it logs out and stops its server cleanly.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
