// The fuses of packaged builds: electron-builder.yml, loaded and schema-checked by
// electron-builder's own code, asks for each hardening fuse; and electron-builder's own fuse
// step, run on a fake Electron binary that carries the fuse sentinel, writes exactly those bytes.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..', '..');
// The copies electron-builder itself uses (app-builder-lib and builder-util are its dependencies).
const fromBuilder = createRequire(path.join(root, 'node_modules', 'electron-builder', 'package.json'));
const { getConfig, validateConfiguration } = fromBuilder('app-builder-lib/out/util/config/config') as {
  getConfig: (projectDir: string, configPath: string | null) => Promise<Record<string, unknown> & { electronFuses?: Record<string, boolean> }>;
  validateConfiguration: (config: unknown, debugLogger: unknown) => Promise<void>;
};
const { PlatformPackager } = fromBuilder('app-builder-lib') as {
  PlatformPackager: {
    prototype: { generateFuseConfig(fuses: unknown): Promise<unknown>; addElectronFuses(context: unknown, fuses: unknown): Promise<unknown> };
  };
};
const { DebugLogger } = fromBuilder('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

/** The marker @electron/fuses looks for; the fuse wire follows it: version, length, one byte per fuse. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's own defaults, in wire order (FuseV1Options), plus a newer fuse this config leaves alone. */
const STOCK_WIRE = {
  RunAsNode: '1',
  EnableCookieEncryption: '0',
  EnableNodeOptionsEnvironmentVariable: '1',
  EnableNodeCliInspectArguments: '1',
  EnableEmbeddedAsarIntegrityValidation: '0',
  OnlyLoadAppFromAsar: '0',
  LoadBrowserProcessSpecificV8Snapshot: '0',
  GrantFileProtocolExtraPrivileges: '1',
  WasmTrapHandlers: '1',
};
const NAMES = Object.keys(STOCK_WIRE);

function fakeElectron(): Buffer {
  const wire = Object.values(STOCK_WIRE).join('');
  return Buffer.concat([
    Buffer.from('\x7fELF junk before'),
    Buffer.from(SENTINEL),
    Buffer.from([1, wire.length]),
    Buffer.from(wire),
    Buffer.from('junk after'),
  ]);
}

function readWire(binary: Buffer): Record<string, string> {
  const at = binary.indexOf(SENTINEL) + SENTINEL.length;
  expect(binary[at]).toBe(1);
  const length = binary[at + 1]!;
  return Object.fromEntries(NAMES.slice(0, length).map((name, i) => [name, String.fromCharCode(binary[at + 2 + i]!)]));
}

let config: Awaited<ReturnType<typeof getConfig>>;
let dir: string;

beforeAll(async () => {
  config = await getConfig(root, path.join(root, 'electron-builder.yml'));
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-fuses-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('packaged build fuses', () => {
  it('electron-builder.yml passes electron-builder’s schema and asks for every hardening fuse', async () => {
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
      resetAdHocDarwinSignature: true,
    });
    expect(config.asar).toBe(true);
    expect(config.protocols).toEqual([{ name: 'Chat link', schemes: ['chat'] }]);
  });

  it.each([
    ['linux', 'Chat'],
    ['win32', 'Chat.exe'],
  ])('electron-builder’s fuse step flips them in a %s binary', async (platform, file) => {
    const appOutDir = path.join(dir, platform);
    await mkdir(appOutDir, { recursive: true });
    const binary = path.join(appOutDir, file);
    await writeFile(binary, fakeElectron());
    const fuses = await PlatformPackager.prototype.generateFuseConfig.call(null, config.electronFuses);
    // The packager's executable name: productFilename (Linux packagers use executableName, the same file here).
    await PlatformPackager.prototype.addElectronFuses.call({ appInfo: { productFilename: 'Chat' } }, { appOutDir, electronPlatformName: platform }, fuses);
    const after = await readFile(binary);
    expect(readWire(after)).toEqual({
      RunAsNode: '0',
      EnableCookieEncryption: '1',
      EnableNodeOptionsEnvironmentVariable: '0',
      EnableNodeCliInspectArguments: '0',
      EnableEmbeddedAsarIntegrityValidation: '1',
      OnlyLoadAppFromAsar: '1',
      LoadBrowserProcessSpecificV8Snapshot: '0',
      GrantFileProtocolExtraPrivileges: '0',
      WasmTrapHandlers: '1',
    });
    // Nothing but the fuse bytes changed.
    expect(after.length).toBe(fakeElectron().length);
    expect(after.subarray(0, after.indexOf(SENTINEL) + SENTINEL.length + 2)).toEqual(fakeElectron().subarray(0, after.indexOf(SENTINEL) + SENTINEL.length + 2));
  });
});
