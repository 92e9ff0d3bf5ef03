// "Remember me" across many reloads and a lost connection: the server replaces
// the token at every token sign-in, so the page must keep the newest one each
// time (a replaced token is refused a minute later).
import type { Page } from '@playwright/test';
import { expect, openClient, submitSignIn, test, USERS } from './fixtures';

/** The token the page keeps in localStorage (see renderer/lib/client/browser.ts), or null. */
async function storedToken(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const raw = localStorage.getItem('chat.remember');
    return raw === null ? null : ((JSON.parse(raw) as { token?: string }).token ?? null);
  });
}

test('with remember me, reloads and a lost connection keep the session, each time with a new token', async ({ browser, chat }) => {
  const { context, page } = await openClient(browser, chat);
  await submitSignIn(page, 'dave', USERS.dave, true);
  await expect(page.getByTestId('me')).toHaveText('dave');
  const seen = [await storedToken(page)];
  expect(seen[0]).toMatch(/^[A-Za-z0-9_-]{20,}$/);

  for (let reload = 1; reload <= 3; reload++) {
    await page.reload();
    await expect(page.getByTestId('me')).toHaveText('dave');
    // The token sign-in answered a new token, and the page stored it.
    await expect.poll(() => storedToken(page)).not.toBe(seen.at(-1));
    seen.push(await storedToken(page));
  }

  // The connection drops (server restart): the page signs back in silently with the newest token.
  await chat.stop();
  const banner = page.getByTestId('connection-banner');
  await expect(banner).toContainText(/Reconnecting|Connection lost|offline/i);
  await chat.start();
  await page
    .getByRole('button', { name: 'Retry now' })
    .click({ timeout: 2000 })
    .catch(() => undefined);
  await expect(banner).toBeHidden({ timeout: 30_000 });
  await expect(page.getByTestId('me')).toHaveText('dave');
  await expect(page.getByText(/Signed out by the server|You were signed out/)).toHaveCount(0);
  await expect.poll(() => storedToken(page)).not.toBe(seen.at(-1));
  seen.push(await storedToken(page));

  // And the next reload still signs in silently.
  await page.reload();
  await expect(page.getByTestId('me')).toHaveText('dave');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toHaveCount(0);
  await expect.poll(() => storedToken(page)).not.toBe(seen.at(-1));
  seen.push(await storedToken(page));
  expect(new Set(seen).size).toBe(seen.length);
  await context.close();
});
