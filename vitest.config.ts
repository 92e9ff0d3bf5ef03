import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node. Browser (e2e) and Electron suites use Playwright's own runner.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // global.gc for tests that bound live memory: garbage not yet collected must not count.
    execArgv: ['--expose-gc'],
    // Servers the suites spawn as processes import the shared test accounts, whose passwords are short ("bob-pw").
    env: { CHAT_MIN_PASSWORD_LENGTH: '6' },
  },
});
