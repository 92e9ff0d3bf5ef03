// Playwright runs the web client (dist/renderer, built by `npm run build:renderer`)
// in Debian's Chromium against a real chat server started in-process per test.
import { defineConfig } from '@playwright/test';
import { chromiumPath, MISSING_CHROMIUM } from './chromium';

// Without Chromium a developer's machine runs only no-chromium.check.ts, which skips with
// the reason; CI must have it.
if (!chromiumPath) {
  if (process.env.CI) throw new Error(MISSING_CHROMIUM.replace('browser suite skipped', 'required in CI'));
  console.warn(MISSING_CHROMIUM);
}

export default defineConfig({
  testDir: '.',
  testMatch: chromiumPath ? '**/*.test.ts' : 'no-chromium.check.ts',
  // One worker: the machine has two cores shared with other suites.
  workers: 1,
  retries: 0,
  reporter: 'list',
  outputDir: '../../test-results/e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    launchOptions: {
      ...(chromiumPath ? { executablePath: chromiumPath } : {}),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
