// Screenshots of the main views in light and dark, for a person to review:
// test-results/e2e/screenshots/<view>-<scheme>.png. Each step also checks the
// view really rendered its content.
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, messageWithText, openClient, openDirectChat, screenshotDir, sendMessage, signedIn, test } from './fixtures';

async function shot(page: Page, name: string): Promise<void> {
  // Toasts are transient; keep them out of the picture.
  for (const close of await page.getByTestId('toast').getByRole('button', { name: 'Dismiss' }).all()) {
    await close.click().catch(() => undefined);
  }
  await expect(page.getByTestId('toast')).toHaveCount(0);
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

for (const scheme of ['light', 'dark'] as const) {
  test(`main views (${scheme})`, async ({ browser, chat }) => {
    const signIn = await openClient(browser, chat, scheme);
    await signIn.page.getByLabel('Username').fill('alice');
    await shot(signIn.page, `sign-in-${scheme}`);
    await signIn.context.close();

    const bob = await signedIn(browser, chat, 'bob');
    const alice = await signedIn(browser, chat, 'alice', scheme);
    await sendMessage(bob.page, 'Good morning, everyone!');
    await openDirectChat(alice.page, 'bob');
    await sendMessage(alice.page, 'Hey Bob! Did you see the release notes?');
    await openDirectChat(bob.page, 'alice');
    await sendMessage(bob.page, 'Yes, looks great.\nShipping on Friday?');
    await sendMessage(alice.page, 'Friday it is!');
    await expect(messageWithText(alice.page, 'Friday it is!').getByTestId('delivery-state')).toBeVisible();
    await openDirectChat(alice.page, 'carol');
    await sendMessage(alice.page, 'Carol, ping me when you are back');
    await openDirectChat(alice.page, 'bob');
    await expect(messageWithText(alice.page, 'Yes, looks great.\nShipping on Friday?')).toBeVisible();
    await shot(alice.page, `chat-${scheme}`);

    await alice.page.getByRole('button', { name: /^People/ }).click();
    await alice.page.getByRole('button', { name: 'Ping bob' }).click();
    await expect(alice.page.getByTestId('ping-result')).toBeVisible();
    await shot(alice.page, `people-${scheme}`);

    await alice.page.getByRole('button', { name: /^Groups/ }).click();
    await alice.page.getByLabel('Name').fill('design');
    await alice.page.getByLabel(/Members/).fill('bob carol');
    await alice.page.getByRole('button', { name: 'Create group' }).click();
    await expect(alice.page.getByRole('heading', { level: 1, name: '# design' })).toBeVisible();
    await alice.page.getByRole('button', { name: /^Groups/ }).click();
    await expect(alice.page.locator('[data-testid="group"][data-group="design"]')).toBeVisible();
    await shot(alice.page, `groups-${scheme}`);

    await alice.page.getByRole('button', { name: /^Blocked/ }).click();
    await alice.page.getByPlaceholder('Username to block').fill('dave');
    await alice.page.getByRole('button', { name: 'Block', exact: true }).click();
    await expect(alice.page.getByTestId('blocked-list')).toContainText('dave');
    await shot(alice.page, `blocked-${scheme}`);

    await alice.context.close();
    await bob.context.close();
  });
}
