// Profiles in the web client against a real server: alice sets a display name
// and uploads a picture in Settings; bob, already chatting with her, sees both
// change live beside her messages and in his conversation list; carol, signing
// in later, sees them in the people directory. The Settings view stays clean
// under axe with a picture set.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import type { AxeResults } from 'axe-core';
import sharp from 'sharp';
import { conversationButton, expect, messageWithText, openDirectChat, sendMessage, signedIn, submitSignIn, test, USERS } from './fixtures';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious or critical axe violations on the page as it is, in both themes. */
async function axeProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
    const results = await page.evaluate(async () => {
      const { axe } = window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResults> } };
      return JSON.parse(JSON.stringify(await axe.run(document, { resultTypes: ['violations'] }))) as AxeResults;
    });
    for (const v of results.violations) {
      if (v.impact === 'serious' || v.impact === 'critical') problems.push(`${scheme}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
    }
  }
  return problems;
}

test('a display name and a picture set in Settings show beside messages and in lists, for others too', async ({ browser, chat }) => {
  test.setTimeout(90_000);
  const bob = await signedIn(browser, chat, 'bob');
  // bypassCSP lets axe's source run in alice's page.
  const context = await browser.newContext({ viewport: { width: 1200, height: 780 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(chat.url);
  await submitSignIn(page, 'alice', USERS.alice);
  await expect(page.getByTestId('me')).toHaveText('alice');

  await openDirectChat(page, 'bob');
  await sendMessage(page, 'Hello from alice');
  await expect(conversationButton(bob.page, 'u:alice')).toBeVisible();
  await openDirectChat(bob.page, 'alice');
  const row = messageWithText(bob.page, 'Hello from alice');
  await expect(row.locator('.from')).toHaveText('alice');
  await expect(row.locator('span[data-testid="avatar"]')).toHaveText('A');

  // Settings: the Profile section sets the display name ...
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByTestId('settings-view');
  await expect(settings.getByRole('heading', { name: 'Profile' })).toBeVisible();
  await settings.getByLabel('Display name').fill('  Alice Liddell ');
  await settings.getByRole('button', { name: 'Save name' }).click();
  await expect(settings.getByTestId('profile-status')).toHaveText('Display name saved.');
  await expect(settings.getByTestId('profile-name')).toHaveText('Alice Liddell');
  // ... and uploads a picture through the existing file upload.
  const png = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 220, g: 120, b: 20 } } })
    .png()
    .toBuffer();
  await settings.getByTestId('avatar-file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
  await expect(settings.getByTestId('profile-status')).toHaveText('Picture saved.');
  const mine = settings.getByRole('img', { name: 'Alice Liddell (@alice)' });
  await expect(mine).toBeVisible();
  await expect.poll(() => mine.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  await expect(settings.getByRole('button', { name: 'Remove picture' })).toBeVisible();
  expect(await axeProblems(page)).toEqual([]);

  // bob's view follows at once: the name (with @alice beside it) and the picture beside her message ...
  await expect(row.locator('.from')).toHaveText('Alice Liddell');
  await expect(row.getByTestId('sender-handle')).toHaveText('@alice');
  const picture = row.locator('img[data-testid="avatar"]');
  await expect(picture).toHaveAttribute('alt', 'Alice Liddell (@alice)');
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  // ... and in his conversation list.
  const listed = conversationButton(bob.page, 'u:alice');
  await expect(listed).toContainText('Alice Liddell');
  await expect(listed.locator('img[data-testid="avatar"]')).toHaveCount(1);
  // Replying to her names her the same way.
  await row.hover();
  await row.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(bob.page.getByTestId('reply-bar')).toContainText('Replying to Alice Liddell: Hello from alice');
  await bob.page.getByRole('button', { name: 'Cancel reply' }).click();
  // Her next message is announced to screen readers under that name too.
  await page.getByRole('button', { name: /^Chats/ }).click();
  await openDirectChat(page, 'bob');
  await sendMessage(page, 'Call me Alice Liddell');
  await expect(bob.page.locator('[aria-live="polite"][aria-atomic="true"]')).toHaveText('Alice Liddell: Call me Alice Liddell');
  await page.getByRole('button', { name: 'Settings' }).click();

  // carol signs in later and finds her in the people directory, name and picture.
  const carol = await signedIn(browser, chat, 'carol');
  await carol.page.getByRole('button', { name: /^People/ }).click();
  const entry = carol.page.locator('[data-testid="directory-person"][data-user="alice"]');
  await expect(entry).toContainText('Alice Liddell @alice');
  await expect.poll(() => entry.locator('img[data-testid="avatar"]').evaluate((img: HTMLImageElement) => img.naturalWidth > 0)).toBe(true);

  // Removing the picture brings the initials back, for bob too.
  await settings.getByRole('button', { name: 'Remove picture' }).click();
  await expect(settings.getByTestId('profile-status')).toHaveText('Picture removed.');
  await expect(row.locator('span[data-testid="avatar"]')).toHaveText('AL');

  await carol.context.close();
  await bob.context.close();
  await context.close();
});
