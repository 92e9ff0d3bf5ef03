// The hosted-runner workflow for the real desktop app (it cannot run on this machine): valid
// YAML with the three OSes, Electron's binary installed for real, the _electron suite under
// xvfb on Linux and required (not skipped), installers built and uploaded, and every npm
// script and file it names existing in this repository.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import globalSetup from '../../electron/global-setup';
import { findElectron } from '../../electron/electron-binary';

const root = path.resolve(__dirname, '..', '..', '..');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; strategy: { matrix: { os: string[] } }; env?: Record<string, string>; steps: Step[] }>;
}

const workflow = parse(readFileSync(path.join(root, '.github', 'workflows', 'desktop.yml'), 'utf8')) as Workflow;
const job = Object.values(workflow.jobs)[0]!;
const steps = job.steps;
const runs = steps.map((s) => s.run ?? '');
const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('.github/workflows/desktop.yml', () => {
  it('runs one job per OS on hosted runners, on pushes and pull requests', () => {
    expect(Object.keys(workflow.jobs)).toHaveLength(1);
    expect(job.strategy.matrix.os).toEqual(['ubuntu-latest', 'macos-latest', 'windows-latest']);
    expect(job['runs-on']).toBe('${{ matrix.os }}');
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
  });

  it('installs dependencies from the lockfile, then Electron’s binary for real', () => {
    const ci = runs.indexOf('npm ci');
    const electron = runs.indexOf('node node_modules/electron/install.js');
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(electron).toBeGreaterThan(ci);
    expect(existsSync(path.join(root, 'node_modules', 'electron', 'install.js'))).toBe(true);
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']).toBeDefined();
  });

  it('runs the Electron suite under xvfb on Linux and directly elsewhere, after the binary is there', () => {
    const linux = steps.find((s) => s.run === 'xvfb-run -a npm run test:electron')!;
    const others = steps.find((s) => s.run === 'npm run test:electron')!;
    expect(linux.if).toBe("runner.os == 'Linux'");
    expect(others.if).toBe("runner.os != 'Linux'");
    expect(steps.find((s) => s.if === "runner.os == 'Linux'" && s.run?.includes('apt-get install'))?.run).toContain('xvfb');
    expect(steps.indexOf(linux)).toBeGreaterThan(runs.indexOf('node node_modules/electron/install.js'));
    expect(job.env?.CHAT_TEST_REQUIRE_ELECTRON).toBe('1');
  });

  const installed = findElectron().found;
  it.skipIf(installed)(
    `where the suite is required, a missing binary fails instead of skipping${installed ? ' — skipped: an Electron binary is installed' : ''}`,
    () => {
      const before = process.env.CHAT_TEST_REQUIRE_ELECTRON;
      process.env.CHAT_TEST_REQUIRE_ELECTRON = '1';
      try {
        expect(() => globalSetup()).toThrow(/CHAT_TEST_REQUIRE_ELECTRON=1 but there is no Electron binary/);
      } finally {
        if (before === undefined) delete process.env.CHAT_TEST_REQUIRE_ELECTRON;
        else process.env.CHAT_TEST_REQUIRE_ELECTRON = before;
      }
    },
  );

  it('builds the installers and uploads them from electron-builder’s output folder', () => {
    const dist = runs.indexOf('npm run dist');
    expect(dist).toBeGreaterThan(runs.indexOf('npm run test:electron'));
    expect(scripts.dist).toContain('electron-builder --config electron-builder.yml');
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.name?.startsWith('installers-'))!;
    const output = /output:\s*(\S+)/.exec(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'))![1]!;
    const paths = upload.with!.path!.trim().split('\n');
    for (const ext of ['AppImage', 'deb', 'exe', 'dmg']) expect(paths).toContain(`${output}/*.${ext}`);
    expect(upload.with!['if-no-files-found']).toBe('error');
  });

  it('every npm script it runs exists', () => {
    const used = runs.flatMap((r) => [...r.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(scripts, `npm run ${name}`).toHaveProperty([name]);
  });
});
