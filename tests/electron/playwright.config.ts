// Playwright's Electron suite: launches the real desktop app (dist/main/index.cjs) with
// a temporary profile against a real server started in the test. Without an Electron
// binary every test skips with the reason, and the run still exits 0.
// On Linux without a display run it under xvfb: `xvfb-run -a npm run test:electron`.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.test.ts',
  globalSetup: './global-setup.ts',
  // One worker: each test starts an Electron app and a server; the machine is small.
  workers: 1,
  retries: 0,
  reporter: 'list',
  outputDir: '../../test-results/electron',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: { trace: 'retain-on-failure' },
});
