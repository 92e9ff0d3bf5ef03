// Bundles the headless chat server for running without the sources (the container
// image): server/cli.ts → dist/server/cli.cjs, and the SQLite writer thread's entry
// → dist/server/sqlite-writer.cjs, which cli.cjs starts as a worker from its own
// directory. Only native and optional modules stay outside the bundle, so the
// runtime needs node_modules/better-sqlite3 (and nothing from devDependencies).
// Usage: node scripts/build-server.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'server');

/** Loaded at run time from node_modules, or inside try/catch by the libraries that use them. */
const external = ['better-sqlite3', 'sharp', 'pg-native', 'bufferutil', 'utf-8-validate', 'cpu-features', 'ssh2'];

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Stack traces in the server's logs point at the sources; the maps stay on the server.
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
  outdir,
  outExtension: { '.js': '.cjs' },
};

const started = Date.now();
await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: { cli: 'server/cli.ts' },
    // esbuild: only imported when the writer thread runs from TypeScript sources, never from the bundle.
    external: [...external, 'esbuild'],
    // server/cli.ts and the store read import.meta.url; in CJS it is derived from __filename.
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  }),
  esbuild.build({ ...common, entryPoints: { 'sqlite-writer': 'server/store/sqlite/writer-thread.ts' }, external }),
]);
console.log(`build-server: dist/server/cli.cjs and sqlite-writer.cjs built in ${Date.now() - started} ms`);
