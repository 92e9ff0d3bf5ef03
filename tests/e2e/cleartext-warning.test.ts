// Sign-in over an unencrypted connection to another machine: the web client
// says so and asks before the password leaves the page. "Another machine" is
// a name that is not loopback (chat.test), which this browser resolves to the
// test server on 127.0.0.1 (Chromium's --host-resolver-rules), so nothing
// leaves the machine.
import { chromium, type Browser } from '@playwright/test';
import { chromiumPath } from './chromium';
import { expect, submitSignIn, test, USERS } from './fixtures';

let remoteBrowser: Browser;

test.beforeAll(async () => {
  remoteBrowser = await chromium.launch({
    ...(chromiumPath ? { executablePath: chromiumPath } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP chat.test 127.0.0.1',
    ],
  });
});
test.afterAll(async () => {
  await remoteBrowser.close();
});

/** Signed-in sessions on the server, from its health endpoint. */
async function sessionsOn(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  return ((await response.json()) as { sessions: number }).sessions;
}

test('warns before sending a password over ws:// to another machine, and signs in only when told to', async ({ chat }) => {
  const context = await remoteBrowser.newContext({ viewport: { width: 1200, height: 780 } });
  const page = await context.newPage();
  await page.goto(`http://chat.test:${chat.wsPort}/`);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // The page came over plain http from another machine: its address says ws:// explicitly.
  await expect(page.getByTestId('server')).toHaveValue(`ws://chat.test:${chat.wsPort}`);

  await submitSignIn(page, 'alice', USERS.alice);
  const warning = page.getByRole('alertdialog', { name: 'This connection is not encrypted' });
  await expect(warning).toBeVisible();
  await expect(warning).toContainText(`ws://chat.test:${chat.wsPort} is another computer reached over plain ws://`);
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeFocused();
  // Nothing was sent: still signed out, and the server has no session.
  expect(await sessionsOn(chat.wsPort)).toBe(0);

  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(warning).toBeHidden();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(await sessionsOn(chat.wsPort)).toBe(0);

  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(warning).toBeVisible();
  await page.getByRole('button', { name: 'Send my password unencrypted' }).click();
  await expect(page.getByTestId('me')).toHaveText('alice');
  await context.close();
});

test('no warning on this machine (loopback)', async ({ browser, chat }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(chat.url);
  await submitSignIn(page, 'bob', USERS.bob);
  await expect(page.getByTestId('me')).toHaveText('bob');
  await expect(page.getByTestId('cleartext-warning')).toHaveCount(0);
  await context.close();
});
