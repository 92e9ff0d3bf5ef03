// Builds the web client (dist/renderer) when it is missing or older than its
// sources, so `npm run server` serves a current web client right after
// `npm install`, with no manual build step. Fast no-op when up to date.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'renderer', 'index.html');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(full));
    else latest = Math.max(latest, statSync(full).mtimeMs);
  }
  return latest;
}

let builtAt = 0;
try {
  builtAt = statSync(built).mtimeMs;
} catch {
  // not built yet
}
const sourcesAt = Math.max(newest(path.join(root, 'renderer')), newest(path.join(root, 'server', 'protocol')));
if (builtAt >= sourcesAt) process.exit(0);

console.error(builtAt === 0 ? 'Building the web client (first run)...' : 'Web client sources changed; rebuilding...');
const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const result = spawnSync(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  // The server still works without the web client (TCP and WebSocket API).
  console.error('warning: the web client could not be built; the server starts without it.');
}
