// Keyboard use of the web client: where focus starts and where it goes after
// sign-in, opening a conversation, creating a group and "New chat"; the skip link; arrow
// keys through the conversation list; Esc closing dialogs; and the message
// history scrolling from the keyboard.
import { conversationButton, expect, openClient, seedConversation, sendMessage, signedIn, test, USERS } from './fixtures';

test('focus follows the task: Username, then the composer after sign-in, opening a conversation and creating a group; New chat: Find someone', async ({
  browser,
  chat,
}) => {
  const { context, page } = await openClient(browser, chat);
  // The cursor starts in Username; the keyboard alone signs in.
  await expect(page.getByLabel('Username')).toBeFocused();
  await page.keyboard.type('alice');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
  await page.keyboard.type(USERS.alice);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('me')).toHaveText('alice');
  await expect(page.getByRole('textbox', { name: 'Message everyone' })).toBeFocused();

  const bob = await signedIn(browser, chat, 'bob');
  await sendMessage(bob.page, 'hello all');
  await expect(conversationButton(page, 'everyone')).toBeVisible();
  await page.getByRole('button', { name: /^People/ }).click();
  await page.getByRole('button', { name: 'Chat with bob' }).click();
  await expect(page.getByRole('textbox', { name: 'Message bob' })).toBeFocused();
  await conversationButton(page, 'everyone').click();
  await expect(page.getByRole('textbox', { name: 'Message everyone' })).toBeFocused();

  await page.getByRole('button', { name: /^Groups/ }).click();
  await page.getByLabel('Name').fill('ops');
  await page.getByLabel(/Members/).fill('bob');
  await page.getByLabel(/Members/).press('Enter');
  await expect(page.getByRole('textbox', { name: 'Message group ops' })).toBeFocused();

  // "New chat" puts the cursor in People's "Find someone"; Enter there opens the chat.
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.getByPlaceholder('Find someone by username')).toBeFocused();
  await page.keyboard.type('bob');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('textbox', { name: 'Message bob' })).toBeFocused();
  await context.close();
  await bob.context.close();
});

test('a skip link leads past the sidebar; arrow keys move through the conversation list', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;
  // Three conversations: Everyone, and one each with bob and carol.
  for (const user of ['bob', 'carol'] as const) {
    const peer = await signedIn(browser, chat, user);
    await peer.page.getByRole('button', { name: /^People/ }).click();
    await peer.page.getByRole('button', { name: 'Chat with alice' }).click();
    await sendMessage(peer.page, `hi from ${user}`);
    await expect(conversationButton(page, `u:${user}`)).toBeVisible();
    await peer.context.close();
  }

  // The skip link is the stop before the sidebar's first control, shows when focused and goes straight to the composer.
  await page.getByRole('button', { name: 'Settings' }).focus();
  await page.keyboard.press('Shift+Tab');
  const skip = page.getByRole('link', { name: 'Skip to message composer' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('textbox', { name: 'Message everyone' })).toBeFocused();

  // The list is one tab stop (the open conversation); arrows, Home and End move within it.
  const list = page.getByRole('list', { name: 'Conversations' });
  await expect(list.locator('button[tabindex="0"]')).toHaveCount(1);
  await conversationButton(page, 'everyone').focus();
  await page.keyboard.press('ArrowDown');
  await expect(conversationButton(page, 'u:carol')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(conversationButton(page, 'u:bob')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(conversationButton(page, 'u:bob')).toBeFocused();
  await page.keyboard.press('Home');
  await expect(conversationButton(page, 'everyone')).toBeFocused();
  await page.keyboard.press('End');
  await expect(conversationButton(page, 'u:bob')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(conversationButton(page, 'u:carol')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'carol' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Message carol' })).toBeFocused();

  // Elsewhere the skip link goes to the view.
  await page.getByRole('button', { name: /^People/ }).click();
  await page.getByRole('button', { name: 'Settings' }).focus();
  await page.keyboard.press('Shift+Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('main')).toBeFocused();
  await alice.context.close();
});

test('Esc closes a dialog and focus returns to what opened it', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const opener = alice.page.getByRole('button', { name: 'Offline messages' });
  await opener.focus();
  await alice.page.keyboard.press('Enter');
  const dialog = alice.page.getByRole('dialog', { name: 'Offline messages' });
  await expect(dialog).toBeVisible();
  await alice.page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
  await alice.context.close();
});

test('the message history is reachable and scrolls with the keyboard', async ({ browser, chat }) => {
  await seedConversation(chat, 'bob', 'alice', 120, 'line');
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;
  await page.getByRole('button', { name: /^People/ }).click();
  await page.getByPlaceholder('Find someone by username').fill('bob');
  await page.getByRole('button', { name: 'Start chat' }).click();
  const composer = page.getByRole('textbox', { name: 'Message bob' });
  await expect(composer).toBeFocused();
  const list = page.getByRole('log', { name: 'Messages in bob' });
  await expect(list).toHaveAttribute('data-loaded', '50');
  // Shift+Tab from the composer reaches the history (its "Load older messages" button may come first); End and Page Up scroll it.
  // Retried from the composer: a page of history arriving meanwhile re-renders the list.
  const focusedList = () => list.evaluate((el) => el === document.activeElement);
  await expect
    .poll(async () => {
      await composer.focus();
      for (let i = 0; i < 4 && !(await focusedList()); i++) await page.keyboard.press('Shift+Tab');
      return focusedList();
    })
    .toBe(true);
  await page.keyboard.press('End');
  await expect(list.locator('[data-testid="message"]').last()).toBeInViewport();
  const bottom = await list.evaluate((el) => el.scrollTop);
  await page.keyboard.press('PageUp');
  await expect.poll(() => list.evaluate((el) => el.scrollTop)).toBeLessThan(bottom - 100);
  await alice.context.close();
});
