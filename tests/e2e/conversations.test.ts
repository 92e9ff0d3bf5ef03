// The sidebar from the server's conversation list: direct chats and their
// unread badges survive a reload, opening a chat marks it read (the sender
// sees "Seen"), Everyone shows its history, and read receipts can be turned off.
import { conversationButton, expect, messageWithText, openDirectChat, scriptedClient, sendMessage, signedIn, submitSignIn, test, USERS } from './fixtures';
import type { Page } from '@playwright/test';

/** Reloads the page and signs `user` in again, as a returning visitor without "remember me". */
async function reloadAndSignIn(page: Page, user: keyof typeof USERS): Promise<void> {
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await submitSignIn(page, user, USERS[user]);
  await expect(page.getByTestId('me')).toHaveText(user);
}

test('after a reload a direct chat is still listed with its unread badge; opening it clears it and the sender sees "Seen"', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(bob.page, 'alice');
  await sendMessage(bob.page, 'Are you coming tonight?');
  await sendMessage(bob.page, 'Let me know');
  await expect(conversationButton(alice.page, 'u:bob').getByTestId('unread')).toHaveText('2');
  await expect(alice.page).toHaveTitle('(2) Chat');

  await reloadAndSignIn(alice.page, 'alice');
  await expect(conversationButton(alice.page, 'u:bob').getByTestId('unread')).toHaveText('2');
  await expect(bob.page.getByTestId('seen')).toHaveCount(0);

  await conversationButton(alice.page, 'u:bob').click();
  await expect(messageWithText(alice.page, 'Let me know')).toBeVisible();
  await expect(conversationButton(alice.page, 'u:bob').getByTestId('unread')).toHaveCount(0);
  // "Seen" under bob's newest message alice has read.
  const seen = messageWithText(bob.page, 'Let me know').getByTestId('seen');
  await expect(seen).toHaveText('Seen');
  await expect(bob.page.getByTestId('seen')).toHaveCount(1);

  // The read position is the server's: after another reload the badge stays cleared.
  await alice.page.getByRole('button', { name: /^People/ }).click();
  await reloadAndSignIn(alice.page, 'alice');
  await expect(conversationButton(alice.page, 'u:bob')).toBeVisible();
  await expect(conversationButton(alice.page, 'u:bob').getByTestId('unread')).toHaveCount(0);
  // And bob, reloading too, still sees "Seen" (from the conversation list).
  await reloadAndSignIn(bob.page, 'bob');
  await conversationButton(bob.page, 'u:alice').click();
  await expect(messageWithText(bob.page, 'Let me know').getByTestId('seen')).toHaveText('Seen');
  await alice.context.close();
  await bob.context.close();
});

test('Everyone shows its history after a reload, and read receipts can be turned off in Settings', async ({ browser, chat }) => {
  const carol = await scriptedClient(chat, 'carol');
  await carol.send({ type: 'broadcast', text: 'Fire drill at three' });
  await carol.close();

  // alice was not signed in when it was sent: it reaches her through Everyone's history.
  const alice = await signedIn(browser, chat, 'alice');
  await conversationButton(alice.page, 'everyone').click();
  await expect(messageWithText(alice.page, 'Fire drill at three')).toBeVisible();
  await reloadAndSignIn(alice.page, 'alice');
  await conversationButton(alice.page, 'everyone').click();
  await expect(messageWithText(alice.page, 'Fire drill at three')).toBeVisible();

  // Receipts off: bob does not see "Seen" when alice reads his message.
  await alice.page.getByRole('button', { name: 'Settings' }).click();
  const toggle = alice.page.getByTestId('read-receipts');
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  await expect(toggle).not.toBeChecked();
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(bob.page, 'alice');
  await sendMessage(bob.page, 'Private note');
  await expect(conversationButton(alice.page, 'u:bob').getByTestId('unread')).toHaveText('1');
  await conversationButton(alice.page, 'u:bob').click();
  await expect(messageWithText(alice.page, 'Private note')).toBeVisible();
  await expect(conversationButton(alice.page, 'u:bob').getByTestId('unread')).toHaveCount(0);
  // The setting is the server's: it is still off after a reload.
  await reloadAndSignIn(alice.page, 'alice');
  await alice.page.getByRole('button', { name: 'Settings' }).click();
  await expect(alice.page.getByTestId('read-receipts')).not.toBeChecked();
  await expect(bob.page.getByTestId('seen')).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});
