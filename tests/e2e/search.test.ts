// Message search in the web client: the shortcuts open it, results show their
// conversation and highlighted words, a click opens the conversation scrolled
// to the message (loading older pages as needed), and markup in a message is
// only ever text.
import { conversationButton, expect, messageWithText, scriptedClient, seedConversation, signedIn, test } from './fixtures';

test('finds a message, highlights the words, and opens the conversation at that message', async ({ browser, chat }) => {
  // 300 messages between alice and bob: "msg 37" is far older than the first page of 50.
  await seedConversation(chat, 'alice', 'bob', 300, 'msg');
  const alice = await signedIn(browser, chat, 'alice');
  const { page } = alice;

  await page.keyboard.press('Control+Shift+F');
  const panel = page.getByTestId('message-search');
  await expect(panel).toBeVisible();
  const input = panel.getByRole('combobox', { name: 'Words to find' });
  await expect(input).toBeFocused();
  await input.fill('MSG 37');
  const results = panel.getByTestId('search-result');
  await expect(results).toHaveCount(1);
  await expect(results.first().getByTestId('search-conversation')).toHaveText('bob');
  await expect(results.first().getByTestId('search-snippet')).toHaveText('msg 37');
  await expect(results.first().locator('mark')).toHaveText(['msg', '37']);

  await results.first().click();
  await expect(panel).toBeHidden();
  await expect(conversationButton(page, 'u:bob')).toHaveAttribute('aria-current', 'true');
  const target = messageWithText(page, 'msg 37');
  await expect(target).toBeInViewport();
  await expect(target).toHaveAttribute('data-revealed', 'true');
  // Older pages were loaded to reach it.
  await expect(page.getByTestId('message-list')).toHaveAttribute('data-loaded', '300');

  // "/" outside a text field opens it too; Esc closes it.
  await page.getByTestId('message-list').focus();
  await page.keyboard.press('/');
  await expect(panel).toBeVisible();
  await input.fill('nothing-like-this');
  await expect(panel.getByTestId('search-status')).toHaveText('No messages match “nothing-like-this”.');
  // "More results" adds the next page, chooses its first row and leaves the keyboard in the search box.
  await input.fill('msg');
  await expect(results).toHaveCount(20);
  await panel.getByRole('button', { name: 'More results' }).click();
  await expect(results).toHaveCount(40);
  await expect(input).toBeFocused();
  await expect(input).toHaveAttribute('aria-activedescendant', (await results.nth(20).getAttribute('id')) ?? '');
  await input.fill('(');
  await expect(panel.getByTestId('search-status')).toContainText('at least one word');
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await alice.context.close();
});

test('opening an old result leaves newer messages unread until the reader scrolls down to them', async ({ browser, chat }) => {
  await seedConversation(chat, 'alice', 'bob', 300, 'msg');
  const alice = await signedIn(browser, chat, 'alice');
  const { page } = alice;
  const bob = await scriptedClient(chat, 'bob');
  await bob.send({ type: 'message', to: 'alice', text: 'fresh one' });
  await bob.send({ type: 'message', to: 'alice', text: 'fresh two' });
  const badge = conversationButton(page, 'u:bob').getByTestId('unread');
  await expect(badge).toHaveText('2');

  await page.keyboard.press('Control+Shift+F');
  const input = page.getByTestId('message-search').getByRole('combobox', { name: 'Words to find' });
  await input.fill('msg 37');
  await expect(page.getByTestId('search-result')).toHaveCount(1);
  await input.press('Enter');
  await expect(messageWithText(page, 'msg 37')).toBeInViewport();
  await expect(messageWithText(page, 'msg 37')).toHaveAttribute('data-revealed', 'true');
  await expect(badge).toHaveText('2');
  // End goes to the newest messages: now they are read.
  await page.getByTestId('message-list').focus();
  await page.keyboard.press('End');
  await expect(messageWithText(page, 'fresh two')).toBeInViewport();
  await expect(badge).toHaveCount(0);
  await bob.close();
  await alice.context.close();
});

test('markup in a found message shows as text, never as elements', async ({ browser, chat }) => {
  const carol = await scriptedClient(chat, 'carol');
  const payload = '<img src=x onerror="window.__searchXss=1"> rocket <b>launch</b>';
  await carol.send({ type: 'message', to: 'alice', text: payload });
  await carol.send({ type: 'broadcast', text: 'rocket party tonight' });
  const alice = await signedIn(browser, chat, 'alice');
  const { page } = alice;

  await page.getByTestId('open-search').click();
  const panel = page.getByTestId('message-search');
  await panel.getByRole('combobox', { name: 'Words to find' }).fill('rocket');
  const results = panel.getByTestId('search-result');
  await expect(results).toHaveCount(2);
  await expect(results.nth(0).getByTestId('search-conversation')).toHaveText('Everyone');
  await expect(results.nth(1).getByTestId('search-conversation')).toHaveText('carol');
  const snippet = results.nth(1).getByTestId('search-snippet');
  await expect(snippet).toHaveText(payload);
  await expect(snippet.locator('mark')).toHaveText(['rocket']);
  await expect(panel.locator('img, b')).toHaveCount(0);

  // Keyboard: ↓ chooses the second result, Enter opens it.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(conversationButton(page, 'u:carol')).toHaveAttribute('aria-current', 'true');
  await expect(page.locator('[data-testid="message"][data-revealed="true"] .text')).toHaveText(payload);
  await expect(page.locator('main img[src="x"]')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __searchXss?: number }).__searchXss)).toBeUndefined();
  await carol.close();
  await alice.context.close();
});
