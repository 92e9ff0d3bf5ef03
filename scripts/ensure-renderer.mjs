// Builds the web client (dist/renderer) when it is missing or older than its
// sources, so `npm run server` serves a current web client right after
// `npm install`, with no manual build step. Fast no-op when up to date.
//
// One build at a time per checkout: README's "Several nodes on one machine"
// starts two or three `npm run server` at once, and each build empties
// dist/renderer before writing it, under the feet of the others (and of a node
// already serving it). The first process takes a lock directory and builds;
// the others wait for it, then find the build current and do nothing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const built = path.join(dist, 'renderer', 'index.html');
const lock = path.join(dist, '.renderer-build.lock');
/** A lock older than this was left by a build that was killed: taken over. */
const STALE_LOCK_MS = 5 * 60_000;
/** How long to wait for another process's build before building anyway. */
const WAIT_LIMIT_MS = 10 * 60_000;
const POLL_MS = 200;

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(full));
    else latest = Math.max(latest, statSync(full).mtimeMs);
  }
  return latest;
}

function builtAt() {
  try {
    return statSync(built).mtimeMs;
  } catch {
    return 0; // not built yet
  }
}

function current() {
  return builtAt() >= Math.max(newest(path.join(root, 'renderer')), newest(path.join(root, 'server', 'protocol')));
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Takes the build lock; false when waiting for it ran out (then the build goes ahead without it). */
function takeLock() {
  mkdirSync(dist, { recursive: true });
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      return true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
    } catch {
      continue; // released meanwhile
    }
    if (Date.now() > deadline) return false;
    sleep(POLL_MS);
  }
}

function build() {
  console.error(builtAt() === 0 ? 'Building the web client (first run)...' : 'Web client sources changed; rebuilding...');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    // The server still works without the web client (TCP and WebSocket API).
    console.error('warning: the web client could not be built; the server starts without it.');
  }
}

if (!current()) {
  const locked = takeLock();
  try {
    // Another process may have built it while this one waited.
    if (!current()) build();
  } finally {
    if (locked) rmSync(lock, { recursive: true, force: true });
  }
}
