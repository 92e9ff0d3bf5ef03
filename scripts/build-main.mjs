// Bundles the Electron main process (with the chat server inside) and the preload with
// esbuild, both to CommonJS: main/index.ts → dist/main/index.cjs and main/preload.ts →
// dist/main/preload.cjs (a sandboxed preload must be one CJS file requiring only 'electron'),
// and the SQLite writer thread's entry → dist/main/sqlite-writer.cjs, which index.cjs starts
// as a worker_threads Worker from its own directory.
// Also copies main/assets (icons) to dist/main/assets. Usage: node scripts/build-main.mjs [--watch]
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'main');
const watch = process.argv.includes('--watch');

/**
 * Native or optional modules stay outside the bundle and are required at run time from
 * node_modules (electron-builder unpacks the native ones from the asar). ws's optional
 * speed-ups and pg's native binding are loaded inside try/catch by their libraries.
 */
const external = ['electron', 'better-sqlite3', 'sharp', 'keytar', 'pg-native', 'bufferutil', 'utf-8-validate', 'cpu-features', 'ssh2'];

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

const builds = [
  {
    ...common,
    entryPoints: { index: 'main/index.ts' },
    outdir,
    outExtension: { '.js': '.cjs' },
    // esbuild: the SQLite store bundles its writer thread in memory when run from sources; never in the bundle.
    external: [...external, 'esbuild'],
    // server/cli.ts reads import.meta.url (to find dist/renderer); in CJS it is derived from __filename.
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  },
  {
    ...common,
    // Runs in a worker thread; better-sqlite3 stays external like in index.cjs.
    entryPoints: { 'sqlite-writer': 'server/store/sqlite/writer-thread.ts' },
    outdir,
    outExtension: { '.js': '.cjs' },
    external,
  },
  {
    ...common,
    entryPoints: { preload: 'main/preload.ts' },
    outdir,
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
    // The sandboxed preload has no Node: refuse to build if anything pulled in a node: module.
    plugins: [
      {
        name: 'preload-only-electron',
        setup(build) {
          build.onResolve({ filter: /^node:|^(fs|path|os|child_process|net|crypto)$/ }, (args) => ({
            errors: [{ text: `The sandboxed preload may only require 'electron', not '${args.path}' (from ${args.importer})` }],
          }));
        },
      },
    ],
  },
];

async function copyAssets() {
  await mkdir(outdir, { recursive: true });
  await cp(path.join(root, 'main', 'assets'), path.join(outdir, 'assets'), {
    recursive: true,
    filter: (src) => !src.endsWith('.mjs'),
  });
}

if (watch) {
  await copyAssets();
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log('build-main: watching main/ and server/ for changes');
} else {
  const started = Date.now();
  await Promise.all([...builds.map((options) => esbuild.build(options)), copyAssets()]);
  console.log(`build-main: dist/main/index.cjs, sqlite-writer.cjs and preload.cjs built in ${Date.now() - started} ms`);
}
