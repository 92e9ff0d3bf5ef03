// scripts/ensure-renderer.mjs, which `npm run server` runs first, when several
// nodes start at once from one checkout (README "Several nodes on one
// machine"): one builds the web client, the others wait for it and build
// nothing. Runs the real script in a scratch copy of the layout it expects,
// with a stand-in for vite that records each build and takes a while.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../scripts/ensure-renderer.mjs', import.meta.url));

// Empties dist/renderer like vite's emptyOutDir, takes 1.5 s, then writes index.html.
const FAKE_VITE = `
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
const out = path.join(process.cwd(), 'dist', 'renderer');
appendFileSync(path.join(process.cwd(), 'builds.log'), process.pid + '\\n');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
writeFileSync(path.join(out, 'index.html'), '<!doctype html>');
`;

let root: string | null = null;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = null;
});

function run(cwd: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [path.join(cwd, 'scripts', 'ensure-renderer.mjs')], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

it('three servers started at once from one checkout build the web client once', { timeout: 30_000 }, async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ensure-renderer-'));
  await mkdir(path.join(root, 'scripts'));
  await copyFile(SCRIPT, path.join(root, 'scripts', 'ensure-renderer.mjs'));
  await mkdir(path.join(root, 'node_modules', 'vite', 'bin'), { recursive: true });
  await writeFile(path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), FAKE_VITE);
  await mkdir(path.join(root, 'renderer'));
  await writeFile(path.join(root, 'renderer', 'App.svelte'), '<p>hi</p>');
  await mkdir(path.join(root, 'server', 'protocol'), { recursive: true });
  await writeFile(path.join(root, 'server', 'protocol', 'index.ts'), 'export {};');
  // A build older than its sources, as after a `git pull`.
  await mkdir(path.join(root, 'dist', 'renderer'), { recursive: true });
  await writeFile(path.join(root, 'dist', 'renderer', 'index.html'), 'old');
  const past = new Date(Date.now() - 60_000);
  await utimes(path.join(root, 'dist', 'renderer', 'index.html'), past, past);

  const results = await Promise.all([run(root), run(root), run(root)]);
  expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
  const builds = (await readFile(path.join(root, 'builds.log'), 'utf8')).trim().split('\n');
  expect(builds).toHaveLength(1);
  expect(results.filter((r) => r.stderr.includes('rebuilding')).length).toBe(1);
  expect(await readFile(path.join(root, 'dist', 'renderer', 'index.html'), 'utf8')).toBe('<!doctype html>');

  // Up to date now: nothing more is built, and no lock is left behind.
  expect((await run(root)).stderr).toBe('');
  expect((await readFile(path.join(root, 'builds.log'), 'utf8')).trim().split('\n')).toHaveLength(1);
  await expect(readFile(path.join(root, 'dist', '.renderer-build.lock'))).rejects.toThrow();
});
