// Toasts: they sit in their own landmark, never cover the composer or Send (at
// 1280x800 and at 390x844), nor the chat header's buttons (Playwright's clicks
// below would wait for a covered button), and each error is shown once: not
// stacked when it repeats, and not as a toast when the screen shows it in place.
import type { Locator, Page } from '@playwright/test';
import { expect, messageWithText, openDirectChat, sendMessage, signedIn, test } from './fixtures';

async function overlaps(a: Locator, b: Locator): Promise<boolean> {
  const [x, y] = [await a.boundingBox(), await b.boundingBox()];
  if (!x || !y) throw new Error('element without a box');
  return x.x < y.x + y.width && y.x < x.x + x.width && x.y < y.y + y.height && y.y < x.y + x.height;
}

async function expectClearOfComposer(page: Page, toast: Locator): Promise<void> {
  expect(await overlaps(toast, page.getByRole('textbox', { name: /^Message / }))).toBe(false);
  expect(await overlaps(toast, page.getByRole('button', { name: 'Send' }))).toBe(false);
}

async function dismissAll(page: Page): Promise<void> {
  const close = page.getByTestId('toast').getByRole('button', { name: 'Dismiss' });
  for (let i = 0; i < 5 && (await close.count()) > 0; i++) await close.first().click();
  await expect(close).toHaveCount(0);
}

test('toasts sit in a landmark and leave the composer and Send uncovered, wide and narrow', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;
  await openDirectChat(page, 'bob');
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    await page.setViewportSize(viewport);
    // Two toasts at once: "blocked", then "unblocked" (a third "blocked" repeats the first, so it does not stack).
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByRole('button', { name: 'Unblock', exact: true }).click();
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    const toasts = page.getByRole('region', { name: 'Notices' }).getByTestId('toast');
    await expect(toasts.filter({ hasText: 'bob is blocked' })).toHaveCount(1);
    await expect(toasts.filter({ hasText: 'bob is unblocked' })).toHaveCount(1);
    for (const toast of await toasts.all()) await expectClearOfComposer(page, toast);
    await dismissAll(page);
    await page.getByRole('button', { name: 'Unblock', exact: true }).click();
    await dismissAll(page);
  }
  await alice.context.close();
});

test('each error is shown once', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  const page = alice.page;

  // The same failure twice: one toast.
  await page.getByRole('button', { name: /^People/ }).click();
  await page.getByPlaceholder('Find someone by username').fill('nobody');
  await page.getByRole('button', { name: 'Ping', exact: true }).click();
  const failure = page.getByTestId('toast').filter({ hasText: 'Could not ping nobody' });
  await expect(failure).toHaveCount(1);
  await page.getByRole('button', { name: 'Ping', exact: true }).click();
  await page.getByRole('button', { name: 'Ping', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Ping', exact: true })).toBeEnabled();
  await expect(failure).toHaveCount(1);

  // A refused message says so in its row only.
  await bob.page.getByRole('button', { name: /^Blocked/ }).click();
  await bob.page.getByPlaceholder('Username to block').fill('alice');
  await bob.page.getByRole('button', { name: 'Block', exact: true }).click();
  await expect(bob.page.getByTestId('blocked-list')).toContainText('alice');
  await openDirectChat(page, 'bob');
  await sendMessage(page, 'Can you hear me?');
  await expect(messageWithText(page, 'Can you hear me?').getByTestId('delivery-state')).toContainText('has blocked you');
  await expect(page.getByTestId('toast').filter({ hasText: 'has blocked you' })).toHaveCount(0);

  // A form that shows its own error gets no toast besides.
  await page.getByRole('button', { name: /^Groups/ }).click();
  await page.getByLabel('Name').fill('team');
  await page.getByLabel(/Members/).fill('nobody');
  await page.getByRole('button', { name: 'Create group' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Could not create team' })).toBeVisible();
  await expect(page.getByTestId('toast').filter({ hasText: 'Could not create team' })).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});

test('Dismiss keeps the keyboard focus: on the message input in a chat, else on the main region', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;
  await openDirectChat(page, 'bob');
  await page.getByRole('button', { name: 'Block', exact: true }).click();
  await page.getByRole('button', { name: 'Unblock', exact: true }).click();
  const toasts = page.getByTestId('toast');
  await expect(toasts).toHaveCount(2);
  const composer = page.getByRole('textbox', { name: /^Message / });
  // Dismissed from the keyboard, each notice hands the focus to the message input, not to <body>.
  for (const left of [1, 0]) {
    await toasts.first().getByRole('button', { name: 'Dismiss' }).focus();
    await page.keyboard.press('Enter');
    await expect(toasts).toHaveCount(left);
    await expect(composer).toBeFocused();
  }

  // A view without a message input: the main region.
  await page.getByRole('button', { name: /^People/ }).click();
  await page.getByPlaceholder('Find someone by username').fill('nobody');
  await page.getByRole('button', { name: 'Ping', exact: true }).click();
  const failure = toasts.filter({ hasText: 'Could not ping nobody' });
  await failure.getByRole('button', { name: 'Dismiss' }).focus();
  await page.keyboard.press('Enter');
  await expect(failure).toHaveCount(0);
  await expect(page.locator('main#main')).toBeFocused();
  await alice.context.close();
});
