// Screenshots of the main views in light and dark, wide and narrow, for a person
// to review: test-results/e2e/screenshots/<view>-<scheme>.png. Each step also
// checks the view really rendered its content. With CHAT_DOCS_SCREENSHOTS=1
// (`npm run screenshots`) the ones the README shows are also written to
// docs/screenshots/.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { conversationButton, expect, messageWithText, openClient, openDirectChat, screenshotDir, sendMessage, signedIn, test } from './fixtures';

const docsDir = path.resolve(screenshotDir, '../../../docs/screenshots');
/** Shots the README embeds: file name in test-results → file name in docs/screenshots. */
const FOR_DOCS: Record<string, string> = {
  'sign-in-light': 'sign-in.png',
  'chat-light': 'chat-light.png',
  'chat-dark': 'chat-dark.png',
  'narrow-list-light': 'narrow-list.png',
  'narrow-chat-dark': 'narrow-chat.png',
  'settings-dark': 'settings.png',
};

async function shot(page: Page, name: string): Promise<void> {
  // Toasts are transient; keep them out of the picture.
  for (let i = 0; i < 5 && (await page.getByTestId('toast').count()) > 0; i++) {
    await page.getByTestId('toast').first().getByRole('button', { name: 'Dismiss' }).click();
  }
  await expect(page.getByTestId('toast')).toHaveCount(0);
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  const docsName = FOR_DOCS[name];
  if (process.env.CHAT_DOCS_SCREENSHOTS && docsName) {
    await mkdir(docsDir, { recursive: true });
    await copyFile(file, path.join(docsDir, docsName));
  }
}

for (const scheme of ['light', 'dark'] as const) {
  test(`main views (${scheme})`, async ({ browser, chat }) => {
    const signIn = await openClient(browser, chat, scheme);
    await signIn.page.setViewportSize({ width: 1280, height: 800 });
    await expect(signIn.page.getByRole('heading', { level: 1 })).toHaveText('Sign in to chat');
    await signIn.page.getByLabel('Username').fill('alice');
    await shot(signIn.page, `sign-in-${scheme}`);
    await signIn.context.close();

    const bob = await signedIn(browser, chat, 'bob');
    const carol = await signedIn(browser, chat, 'carol');
    const alice = await signedIn(browser, chat, 'alice', scheme);
    const page = alice.page;
    await page.setViewportSize({ width: 1280, height: 800 });
    await sendMessage(bob.page, 'Good morning, everyone!');
    await openDirectChat(page, 'bob');
    await sendMessage(page, 'Hey Bob! Did you see the release notes?');
    await openDirectChat(bob.page, 'alice');
    await sendMessage(bob.page, 'Yes, looks great.\nShipping on Friday?');
    await sendMessage(page, 'Friday it is!');
    await expect(messageWithText(page, 'Friday it is!').getByTestId('delivery-state')).toBeVisible();
    await openDirectChat(carol.page, 'alice');
    await sendMessage(carol.page, 'Lunch at noon?');
    await expect(conversationButton(page, 'u:carol').getByTestId('unread')).toHaveText('1');
    await openDirectChat(page, 'bob');
    await expect(messageWithText(page, 'Yes, looks great.\nShipping on Friday?')).toBeVisible();
    await shot(page, `chat-${scheme}`);

    await page.getByRole('button', { name: /^People/ }).click();
    await page.getByRole('button', { name: 'Ping bob' }).click();
    await expect(page.getByTestId('ping-result').first()).toBeVisible();
    await shot(page, `people-${scheme}`);

    await page.getByRole('button', { name: /^Groups/ }).click();
    await page.getByLabel('Name').fill('design');
    await page.getByLabel(/Members/).fill('bob carol');
    await page.getByRole('button', { name: 'Create group' }).click();
    await expect(page.getByRole('heading', { level: 1, name: '# design' })).toBeVisible();
    await page.getByRole('button', { name: /^Groups/ }).click();
    await expect(page.locator('[data-testid="group"][data-group="design"]')).toBeVisible();
    await shot(page, `groups-${scheme}`);

    await page.getByRole('button', { name: /^Blocked/ }).click();
    await page.getByPlaceholder('Username to block').fill('dave');
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await expect(page.getByTestId('blocked-list')).toContainText('dave');
    await shot(page, `blocked-${scheme}`);

    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByRole('radio', { name: 'Match the system' })).toBeChecked();
    await shot(page, `settings-${scheme}`);

    // A phone-sized window: the list, then a conversation.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Back to conversations' }).click();
    await expect(page.getByRole('list', { name: 'Conversations' })).toBeVisible();
    await shot(page, `narrow-list-${scheme}`);
    await conversationButton(page, 'u:bob').click();
    await expect(messageWithText(page, 'Friday it is!')).toBeVisible();
    await shot(page, `narrow-chat-${scheme}`);

    for (const c of [alice, bob, carol]) await c.context.close();
  });
}
