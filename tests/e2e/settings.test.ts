// Settings: the theme (system, light, dark) applies at once and survives a
// reload; notification and sound preferences persist, and a notification is
// shown for a message whose conversation is not on screen only when allowed.
import type { Page } from '@playwright/test';
import { conversationButton, expect, openDirectChat, recordNotifications, sendMessage, setTabHidden, signedIn, submitSignIn, test, USERS } from './fixtures';

const bodyBackground = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const LIGHT_BG = 'rgb(246, 247, 249)';
const DARK_BG = 'rgb(18, 21, 27)';

test('the theme follows the system by default, can be forced either way, and is remembered', async ({ browser, chat }) => {
  // The system prefers dark.
  const alice = await signedIn(browser, chat, 'alice', 'dark');
  const page = alice.page;
  expect(await bodyBackground(page)).toBe(DARK_BG);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('radio', { name: 'Match the system' })).toBeChecked();

  await page.getByRole('radio', { name: 'Light' }).check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(await bodyBackground(page)).toBe(LIGHT_BG);

  // A reload (which signs out: no "remember me") keeps it, on the sign-in screen too.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(await bodyBackground(page)).toBe(LIGHT_BG);

  await submitSignIn(page, 'alice', USERS.alice);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('radio', { name: 'Light' })).toBeChecked();
  await page.getByRole('radio', { name: 'Dark' }).check();
  await page.emulateMedia({ colorScheme: 'light' });
  expect(await bodyBackground(page)).toBe(DARK_BG);
  await page.getByRole('radio', { name: 'Match the system' }).check();
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', /./);
  expect(await bodyBackground(page)).toBe(LIGHT_BG);
  await alice.context.close();
});

test('notifications and sound are remembered; a notification shows only when allowed, off screen and while the tab is hidden', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;
  // Count the notifications the page creates (the real constructor still runs).
  const shown = await recordNotifications(alice.context, page, chat.url);
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(bob.page, 'alice');

  // Off by default: nothing shown.
  await sendMessage(bob.page, 'first');
  await expect(conversationButton(page, 'u:bob').getByTestId('unread')).toHaveText('1');
  expect(await shown()).toEqual([]);

  await page.getByRole('button', { name: 'Settings' }).click();
  const notify = page.getByRole('checkbox', { name: 'Show a notification for new messages' });
  const sound = page.getByRole('checkbox', { name: 'Play a sound for new messages' });
  await expect(notify).not.toBeChecked();
  await notify.check();
  await sound.check();
  await expect(notify).toBeChecked();
  expect(JSON.parse((await page.evaluate(() => localStorage.getItem('chat.settings'))) ?? '{}')).toEqual({
    theme: 'system',
    notifications: true,
    sound: true,
    muted: [],
  });

  // While the tab is visible the unread count says it; no system notification.
  await sendMessage(bob.page, 'visible');
  await expect(conversationButton(page, 'u:bob').getByTestId('unread')).toHaveText('2');
  expect(await shown()).toEqual([]);

  await setTabHidden(page, true);
  await sendMessage(bob.page, 'second');
  await expect.poll(shown).toEqual(['bob: second']);
  await setTabHidden(page, false);

  // The conversation on screen does not notify.
  await conversationButton(page, 'u:bob').click();
  await sendMessage(bob.page, 'third');
  await expect(page.getByTestId('message').filter({ hasText: 'third' })).toBeVisible();
  expect(await shown()).toEqual(['bob: second']);

  // Remembered across a reload.
  await page.reload();
  await submitSignIn(page, 'alice', USERS.alice);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(notify).toBeChecked();
  await expect(sound).toBeChecked();
  await sound.uncheck();
  await expect(sound).not.toBeChecked();
  await alice.context.close();
  await bob.context.close();
});

test('notifications the browser refuses stay off: the box unticks and says how to allow them', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;
  // The site's notification permission is "denied", as after the user refused the prompt once.
  const cdp = await alice.context.newCDPSession(page);
  await cdp.send('Browser.setPermission', { permission: { name: 'notifications' }, setting: 'denied', origin: new URL(chat.url).origin });
  await page.getByRole('button', { name: 'Settings' }).click();
  const notify = page.getByRole('checkbox', { name: 'Show a notification for new messages' });
  await notify.click();
  await expect(page.getByRole('alert')).toContainText('Allow them in the browser’s site settings');
  await expect(notify).not.toBeChecked();
  expect(JSON.parse((await page.evaluate(() => localStorage.getItem('chat.settings'))) ?? '{}')).toMatchObject({ notifications: false });
  await alice.context.close();
});
