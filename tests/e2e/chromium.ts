// Finds the Chromium the browser suite drives: CHAT_TEST_CHROMIUM, else Debian's
// /usr/bin/chromium (or chromium-browser). Playwright's own browser download is
// not used: it cannot be fetched on every machine.
import { existsSync } from 'node:fs';

export const CHROMIUM_CANDIDATES = [process.env.CHAT_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (p): p is string => typeof p === 'string' && p.length > 0,
);

export const chromiumPath: string | null = CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null;

export const MISSING_CHROMIUM =
  'Chromium not found (looked at CHAT_TEST_CHROMIUM, /usr/bin/chromium, /usr/bin/chromium-browser): browser suite skipped. Install it (Debian: apt-get install chromium) or set CHAT_TEST_CHROMIUM.';
