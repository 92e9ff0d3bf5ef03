// Sign-in screen against a real server: what a first visit shows (favicon, the
// server's name and address), success, wrong password, lockout with a live
// countdown, a second session for the same user refused, and unreachable.
import { expect, openClient, signedIn, submitSignIn, test, USERS } from './fixtures';

test('signs in with the right password and shows the chat shell', async ({ browser, chat }) => {
  const { context, page } = await openClient(browser, chat);
  // The server field defaults to the page's own host.
  await expect(page.getByTestId('server')).toHaveValue(`127.0.0.1:${chat.wsPort}`);
  await submitSignIn(page, 'alice', USERS.alice);
  await expect(page.getByTestId('me')).toHaveText('alice');
  await expect(page.getByRole('heading', { level: 1, name: 'Everyone' })).toBeVisible();
  await context.close();
});

test('a first visit: a favicon, and a heading that names the server and where it is', async ({ browser, chat }) => {
  const { context, page } = await openClient(browser, chat);
  const icon = page.locator('link[rel="icon"]');
  const href = await icon.evaluate((link: HTMLLinkElement) => link.href);
  const response = await page.request.get(href);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toBe('image/svg+xml');
  expect(await response.text()).toContain('<svg');

  // The server's announced name in the heading, its address beneath.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in to chat');
  const status = page.getByTestId('server-status');
  await expect(status).toHaveText(`at 127.0.0.1:${chat.wsPort}`);
  await expect(page.getByTestId('first-run')).toHaveCount(0);
  // Another address: checked again, and said plainly when nothing answers there.
  await page.getByTestId('server').fill('127.0.0.1:1');
  await page.getByTestId('server').blur();
  await expect(status).toHaveText('127.0.0.1:1 is not answering. Check the server address below.');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in');
  await context.close();
});

test('a wrong password shows a clear error and stays on the form', async ({ browser, chat }) => {
  const { context, page } = await openClient(browser, chat);
  await submitSignIn(page, 'alice', 'not-her-password');
  await expect(page.getByTestId('signin-error')).toContainText(/invalid username or password/i);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await context.close();
});

test('three wrong passwords lock the account with a live countdown that re-enables the button', async ({ browser, chat }) => {
  const { context, page } = await openClient(browser, chat);
  const button = page.getByRole('button', { name: /^(Sign in|Signing in…|Locked)/ });
  for (let attempt = 1; attempt <= 3; attempt++) {
    await submitSignIn(page, 'bob', `wrong-${attempt}`);
    await expect(page.getByTestId('signin-error')).not.toBeEmpty();
    if (attempt < 3) await expect(page.getByTestId('signin-error')).toContainText(/attempt/i);
  }
  const countdown = page.getByTestId('lock-countdown');
  await expect(countdown).toBeVisible();
  await expect(button).toBeDisabled();
  const first = await countdown.textContent();
  // lockoutSeconds is 3: the countdown must move down before it ends.
  await expect(countdown).not.toHaveText(first ?? '', { timeout: 5000 });
  const toSeconds = (t: string | null) => Number((t ?? '0:00').split(':')[1]);
  expect(toSeconds(await countdown.textContent().catch(() => '0:00'))).toBeLessThan(toSeconds(first));
  // At zero the form is usable again and the right password works.
  await expect(page.getByTestId('signin-error')).toContainText(/lock has expired/i, { timeout: 6000 });
  await page.getByLabel('Password', { exact: true }).fill(USERS.bob);
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('me')).toHaveText('bob');
  await context.close();
});

test('a second sign-in for the same user is refused as "already signed in elsewhere"', async ({ browser, chat }) => {
  const first = await signedIn(browser, chat, 'carol');
  const second = await openClient(browser, chat);
  await submitSignIn(second.page, 'carol', USERS.carol);
  await expect(second.page.getByTestId('signin-error')).toContainText(/already signed in elsewhere/i);
  // The first session is untouched.
  await expect(first.page.getByTestId('me')).toHaveText('carol');
  await first.context.close();
  await second.context.close();
});

test('an unreachable server is reported as such', async ({ browser, chat }) => {
  const { context, page } = await openClient(browser, chat);
  // Port 1 on loopback refuses connections.
  await page.getByTestId('server').fill('127.0.0.1:1');
  await submitSignIn(page, 'alice', USERS.alice);
  await expect(page.getByTestId('signin-error')).toContainText(/unreachable/i);
  await context.close();
});

test('"remember me" restores the session after a reload', async ({ browser, chat }) => {
  const { context, page } = await openClient(browser, chat);
  await submitSignIn(page, 'dave', USERS.dave, true);
  await expect(page.getByTestId('me')).toHaveText('dave');
  // A reload drops the socket; the server notices the close before the token sign-in.
  await page.reload();
  await expect(page.getByTestId('me')).toHaveText('dave');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await context.close();
});

test.describe('a first run: the server has no accounts', () => {
  test.use({ serverOptions: { usersFile: null } });

  test('the sign-in screen says how to create the first account', async ({ browser, chat }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(chat.url);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in to chat');
    const note = page.getByTestId('first-run');
    await expect(note).toContainText('This server has no accounts yet');
    await expect(note).toContainText('npm run server -- adduser NAME');
    await expect(note).toContainText('--users FILE');
    await expect(note).toContainText('--allow-register');
    await context.close();
  });
});

test.describe('a first run with registration allowed', () => {
  test.use({ serverOptions: { usersFile: null, allowRegister: true } });

  test('the form opens on "create an account" and says to be the first', async ({ browser, chat }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(chat.url);
    await expect(page.getByTestId('first-run')).toContainText('Be the first');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Create an account on chat');
    await page.getByLabel('Username').fill('founder');
    await page.getByLabel('Password', { exact: true }).fill('founder-pass-1');
    await page.getByLabel('Repeat password').fill('founder-pass-1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByTestId('me')).toHaveText('founder');
    await context.close();
  });
});
