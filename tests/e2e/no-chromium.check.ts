// Runs instead of the browser suite when no Chromium is installed, so the run
// reports the skip and its reason instead of failing to launch a browser.
import { test } from '@playwright/test';
import { MISSING_CHROMIUM } from './chromium';

test('browser suite', () => {
  test.skip(true, MISSING_CHROMIUM);
});
