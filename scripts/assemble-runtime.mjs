// Assembles what the chat server needs at run time, and nothing else, into one
// directory: the server bundle (npm run build:server), the web client without
// source maps (npm run build:renderer), better-sqlite3's native module with the
// two small packages that load it, sharp with its prebuilt libvips, and the
// container health check. The
// Dockerfile copies the result into its runtime image; the systemd unit runs it
// from /opt/chat-server; the deployment tests start servers from it.
// Usage: node scripts/assemble-runtime.mjs OUT_DIR [--renderer DIR]
// (--renderer: another built web client than dist/renderer; the tests use a small one.)
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const rendererFlag = args.indexOf('--renderer');
const rendererOverride = rendererFlag === -1 ? null : args.splice(rendererFlag, 2)[1];
const out = args.length === 1 ? path.resolve(args[0]) : null;
if (!out || (rendererFlag !== -1 && !rendererOverride)) {
  console.error('usage: node scripts/assemble-runtime.mjs OUT_DIR [--renderer DIR]');
  process.exit(2);
}

async function required(relative, hint) {
  const full = path.join(root, relative);
  try {
    await stat(full);
  } catch {
    console.error(`assemble-runtime: ${relative} is missing: ${hint}`);
    process.exit(1);
  }
  return full;
}

const serverDir = await required('dist/server/cli.cjs', 'run "npm run build:server" first').then(path.dirname);
const rendererDir = rendererOverride
  ? await required(path.join(path.relative(root, path.resolve(rendererOverride)), 'index.html'), 'no web client there').then(path.dirname)
  : await required('dist/renderer/index.html', 'run "npm run build:renderer" first').then(path.dirname);
const sqliteDir = await required('node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'run "npm ci" first (it builds better-sqlite3)').then((f) =>
  path.resolve(path.dirname(f), '..', '..'),
);

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const noMaps = (src) => !src.endsWith('.map');
await cp(path.join(serverDir, 'cli.cjs'), path.join(out, 'dist/server/cli.cjs'));
await cp(path.join(serverDir, 'sqlite-writer.cjs'), path.join(out, 'dist/server/sqlite-writer.cjs'));
// Source maps of the web client stay out: they would publish the sources (see --serve-source-maps).
await cp(rendererDir, path.join(out, 'dist/renderer'), { recursive: true, filter: noMaps });
// better-sqlite3 loads its addon through `bindings`, which needs `file-uri-to-path`.
const sqliteOut = path.join(out, 'node_modules/better-sqlite3');
for (const part of ['package.json', 'LICENSE', 'lib', 'build/Release/better_sqlite3.node']) {
  await cp(path.join(sqliteDir, part), path.join(sqliteOut, part), { recursive: true });
}
for (const pkg of ['bindings', 'file-uri-to-path']) {
  await cp(path.join(root, 'node_modules', pkg), path.join(out, 'node_modules', pkg), { recursive: true });
}
// sharp (image thumbnails, EXIF orientation) with its prebuilt libvips (@img/*, installed
// by npm for this platform) and the two small packages it loads them with.
for (const pkg of ['sharp', '@img', 'detect-libc', 'semver']) {
  await cp(path.join(root, 'node_modules', pkg), path.join(out, 'node_modules', pkg), { recursive: true });
}
await cp(path.join(root, 'server/deploy/healthcheck.mjs'), path.join(out, 'healthcheck.mjs'));
await cp(path.join(root, 'README.md'), path.join(out, 'README.md'));
const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
await writeFile(path.join(out, 'package.json'), `${JSON.stringify({ name: 'chat-server', version, private: true, type: 'commonjs' }, null, 2)}\n`);
console.log(`assemble-runtime: server, web client, better-sqlite3 and sharp in ${out}`);
