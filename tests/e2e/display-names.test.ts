// People are named by display name wherever the web client names them, to the
// eye and to screen readers: buttons that act on a person (with @username,
// since two people may share a display name), notices, the group subtitle,
// "Seen by", typing, the composer, the history's label, search results, the
// offline list and a message's delivery state. carol (a scripted client) is "Caroline Herschel".
import { conversationButton, expect, messageWithText, scriptedClient, sendMessage, signedIn, test } from './fixtures';

test('a person with a display name is named by it in People, notices, groups, receipts, search and delivery states', async ({ browser, chat }) => {
  test.setTimeout(90_000);
  const carol = await scriptedClient(chat, 'carol');
  await carol.send({ type: 'profile', displayName: 'Caroline Herschel' });
  await carol.send({ type: 'message', to: 'alice', text: 'Good morning' });
  const { page, context } = await signedIn(browser, chat, 'alice');
  const toasts = page.getByTestId('toast');

  // What waited in the mailbox names its sender.
  await page.getByRole('button', { name: 'Offline messages' }).click();
  const mailbox = page.getByRole('dialog', { name: 'Offline messages' });
  await expect(mailbox.getByTestId('offline-list').locator('strong')).toHaveText('Caroline Herschel');
  await page.keyboard.press('Escape');
  await expect(mailbox).toBeHidden();

  // A group she makes: the notice, the subtitle, typing and "Seen by" name her.
  await carol.send({ type: 'create-group', group: 'tea', members: ['alice'] });
  await expect(toasts.filter({ hasText: 'Caroline Herschel added you to the new group tea' })).toHaveCount(1);
  await conversationButton(page, 'g:tea').click();
  await expect(page.getByTestId('chat-subtitle')).toContainText('Caroline Herschel');
  await expect(page.getByTestId('chat-subtitle')).not.toContainText('carol');
  await carol.send({ type: 'typing', with: 'tea', group: true });
  await expect(page.getByTestId('typing')).toHaveText('Caroline Herschel is typing…');
  await sendMessage(page, 'Scones?');
  const scones = messageWithText(page, 'Scones?');
  await expect(scones.getByTestId('delivery-state')).toHaveText(/^Delivered/);
  await carol.send({ type: 'read', with: 'tea', group: true, messageId: Number(await scones.getAttribute('data-id')) });
  await expect(scones.getByTestId('seen')).toHaveText('Seen by 1');
  await expect(scones.getByTestId('seen')).toHaveAttribute('title', 'Seen by Caroline Herschel');

  // People: every button that acts on her says whom, with @carol to tell her from a namesake.
  await page.getByRole('button', { name: /^People/ }).click();
  const row = page.locator('[data-testid="online-list"] [data-user="carol"]');
  await expect(row.getByRole('button', { name: 'Chat with Caroline Herschel (@carol)' })).toBeVisible();
  await expect(row.getByRole('button', { name: 'Ping Caroline Herschel (@carol)' })).toBeVisible();
  await expect(
    page.locator('[data-testid="directory-person"][data-user="carol"]').getByRole('button', { name: 'Message Caroline Herschel (@carol)' }),
  ).toBeVisible();
  await row.getByRole('button', { name: 'Block Caroline Herschel (@carol)' }).click();
  await expect(toasts.filter({ hasText: 'Caroline Herschel is blocked: their messages will not reach you.' })).toHaveCount(1);
  await row.getByRole('button', { name: 'Unblock Caroline Herschel (@carol)' }).click();
  await expect(toasts.filter({ hasText: 'Caroline Herschel is unblocked.' })).toHaveCount(1);

  // Her conversation: the composer and the history are labelled with her name.
  await row.getByRole('button', { name: 'Chat with Caroline Herschel (@carol)' }).click();
  await expect(page.getByRole('textbox', { name: 'Message Caroline Herschel' })).toBeFocused();
  await expect(page.getByRole('log', { name: 'Messages in Caroline Herschel' })).toBeVisible();

  // Search results name her as the sender and as the conversation.
  await carol.send({ type: 'message', to: 'alice', text: 'Crumpets at five' });
  await expect(messageWithText(page, 'Crumpets at five')).toBeVisible();
  await page.keyboard.press('Control+Shift+F');
  const panel = page.getByTestId('message-search');
  await panel.getByRole('combobox', { name: 'Words to find' }).fill('crumpets');
  const result = panel.getByTestId('search-result');
  await expect(result).toHaveCount(1);
  await expect(result.getByTestId('search-conversation')).toHaveText('Caroline Herschel');
  await expect(result).toContainText('Caroline Herschel ·');
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();

  // Once she has signed out, a message to her is queued "for Caroline Herschel".
  await carol.close();
  await sendMessage(page, 'See you then');
  await expect(messageWithText(page, 'See you then').getByTestId('delivery-state')).toContainText('Caroline Herschel is offline: delivered when they sign in');
  await context.close();
});
