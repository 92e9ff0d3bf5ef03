// Messaging between two browsers against a real server: direct chat with
// delivery states, broadcast, offline delivery on sign-in, and the command bar.
import { conversationButton, expect, messageWithText, openClient, openDirectChat, sendMessage, signedIn, submitSignIn, test, USERS } from './fixtures';

test('direct chat: alice and bob both see the message, with its delivery state', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');

  await openDirectChat(alice.page, 'bob');
  await sendMessage(alice.page, 'Hi bob, lunch at noon?');
  const sent = messageWithText(alice.page, 'Hi bob, lunch at noon?');
  await expect(sent).toBeVisible();
  await expect(sent.getByTestId('delivery-state')).toHaveText(/^Delivered/);

  // Bob gets it in a new conversation with an unread badge, then reads it.
  await expect(conversationButton(bob.page, 'u:alice').getByTestId('unread')).toHaveText('1');
  await expect(bob.page).toHaveTitle('(1) Chat');
  await conversationButton(bob.page, 'u:alice').click();
  await expect(messageWithText(bob.page, 'Hi bob, lunch at noon?')).toBeVisible();
  await expect(conversationButton(bob.page, 'u:alice').getByTestId('unread')).toHaveCount(0);

  // Shift+Enter makes a line break, Enter sends the reply.
  const composer = bob.page.getByRole('textbox', { name: 'Message alice' });
  await composer.fill('Sure');
  await composer.press('Shift+Enter');
  await composer.pressSequentially('see you there');
  await composer.press('Enter');
  await expect(messageWithText(bob.page, 'Sure\nsee you there')).toBeVisible();
  await expect(messageWithText(alice.page, 'Sure\nsee you there')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});

test('a message to an offline user is queued, then shown to them on sign-in as received while offline', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  await openDirectChat(alice.page, 'carol');
  await sendMessage(alice.page, 'Carol, read this when you are back');
  await expect(messageWithText(alice.page, 'Carol, read this when you are back').getByTestId('delivery-state')).toHaveText(/Queued for offline recipient/);
  await sendMessage(alice.page, 'And a second one');

  const carol = await openClient(browser, chat);
  await submitSignIn(carol.page, 'carol', USERS.carol);
  await expect(carol.page.getByTestId('me')).toHaveText('carol');
  await expect(carol.page.getByTestId('toast').filter({ hasText: /arrived while you were offline/ })).toBeVisible();
  await conversationButton(carol.page, 'u:alice').click();
  const received = messageWithText(carol.page, 'Carol, read this when you are back');
  await expect(received).toBeVisible();
  await expect(received.getByTestId('offline-tag')).toHaveText('received while you were offline');

  // The "Offline messages" list shows both queued messages.
  await carol.page.getByRole('button', { name: 'Offline messages' }).click();
  const dialog = carol.page.getByRole('dialog', { name: 'Offline messages' });
  await expect(dialog.getByTestId('offline-list')).toContainText('Carol, read this when you are back');
  await expect(dialog.getByTestId('offline-list')).toContainText('And a second one');
  await carol.page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await alice.context.close();
  await carol.context.close();
});

test('broadcast reaches everyone online', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  const dave = await signedIn(browser, chat, 'dave');
  await sendMessage(alice.page, 'Hello everyone!');
  await expect(messageWithText(alice.page, 'Hello everyone!').getByTestId('delivery-state')).toContainText('Reached 2 online users');
  // Bob and Dave both have Everyone open, so it shows without an unread badge.
  await expect(messageWithText(bob.page, 'Hello everyone!')).toBeVisible();
  await expect(messageWithText(dave.page, 'Hello everyone!')).toBeVisible();
  for (const c of [alice, bob, dave]) await c.context.close();
});

test('the command bar runs text commands and shows the reply', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  const input = alice.page.getByTestId('command-input');
  await input.fill('whoelse');
  await input.press('Enter');
  const output = alice.page.getByTestId('command-output');
  await expect(output).toContainText('Online now (1): bob');
  await input.fill('ping bob');
  await input.press('Enter');
  await expect(output).toContainText('bob is online.');
  await input.fill('frobnicate');
  await input.press('Enter');
  await expect(output).toContainText('error UNKNOWN_COMMAND');
  // A chat message typed as a command lands in its conversation.
  await input.fill('message bob from the command bar');
  await input.press('Enter');
  await expect(messageWithText(bob.page, 'from the command bar')).toHaveCount(0);
  await conversationButton(bob.page, 'u:alice').click();
  await expect(messageWithText(bob.page, 'from the command bar')).toBeVisible();
  await input.press('Escape');
  await expect(output).toBeHidden();
  await alice.context.close();
  await bob.context.close();
});

test('people view shows who is online and their presence updates live', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  await alice.page.getByRole('button', { name: /^People/ }).click();
  await expect(alice.page.getByTestId('online-list')).toContainText('No one else is online.');
  const bob = await signedIn(browser, chat, 'bob');
  await expect(alice.page.getByTestId('online-list').locator('[data-user="bob"]')).toBeVisible();
  await alice.page.getByRole('button', { name: 'Ping bob' }).click();
  await expect(alice.page.getByTestId('online-list').getByTestId('ping-result')).toContainText('Ping: online');
  await bob.context.close();
  // Bob's socket closing makes him "seen in the last hour".
  await expect(alice.page.getByTestId('online-list').locator('[data-user="bob"]')).toHaveCount(0);
  await expect(alice.page.getByRole('heading', { name: /Seen in the last hour \(1\)/ })).toBeVisible();
  await alice.context.close();
});
