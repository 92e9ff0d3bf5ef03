// What can be done to a sent message, in two browsers against a real server:
// edit in place (from the message's actions, and ↑ in an empty composer),
// delete (a tombstone on both sides), reply (reply bar, quote above the
// answer) and reactions (chips with counts that toggle), and none of it
// injects markup.
import type { Page } from '@playwright/test';
import { conversationButton, expect, messageWithText, openDirectChat, scriptedClient, sendMessage, signedIn, test } from './fixtures';

/** Shows a row's actions (they appear on hover or focus) and clicks one. */
async function act(page: Page, text: string, action: string): Promise<void> {
  const row = messageWithText(page, text);
  await row.hover();
  await row.getByTestId('message-actions').getByRole('button', { name: action, exact: true }).click();
}

test('edit from the actions menu and with ↑ in an empty composer; the other side sees "(edited)"', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await openDirectChat(bob.page, 'alice');
  await sendMessage(alice.page, 'See you at 5');
  await expect(messageWithText(bob.page, 'See you at 5')).toBeVisible();

  await act(alice.page, 'See you at 5', 'Edit');
  const editor = alice.page.getByRole('textbox', { name: 'Edit message' });
  await expect(editor).toBeFocused();
  await editor.fill('See you at 6');
  await editor.press('Enter');
  const mine = messageWithText(alice.page, 'See you at 6');
  await expect(mine.getByTestId('edited')).toHaveText('(edited)');
  const theirs = messageWithText(bob.page, 'See you at 6');
  await expect(theirs.getByTestId('edited')).toHaveText('(edited)');
  // Bob has no Edit (and no Delete) on alice's message.
  await theirs.hover();
  await expect(theirs.getByTestId('message-actions').getByRole('button', { name: 'Reply' })).toBeVisible();
  await expect(theirs.getByTestId('message-actions').getByRole('button', { name: 'Edit' })).toHaveCount(0);
  await expect(theirs.getByTestId('message-actions').getByRole('button', { name: 'Delete' })).toHaveCount(0);

  // ↑ in the empty composer opens my last message; Escape leaves it unchanged, Enter saves.
  const composer = alice.page.getByRole('textbox', { name: 'Message bob' });
  await composer.focus();
  await composer.press('ArrowUp');
  await expect(editor).toBeFocused();
  await expect(editor).toHaveValue('See you at 6');
  await editor.press('Escape');
  await expect(editor).toHaveCount(0);
  await composer.focus();
  await composer.press('ArrowUp');
  await editor.fill('See you at 7, sorry');
  await editor.press('Enter');
  await expect(messageWithText(bob.page, 'See you at 7, sorry').getByTestId('edited')).toBeVisible();

  // The limit counts characters as the server does (an emoji is one, though two UTF-16 units):
  // 2,100 of them fit, in the editor as in the composer.
  const emojis = '😀'.repeat(2100);
  await composer.fill(emojis);
  await expect(alice.page.getByRole('button', { name: 'Send' })).toBeEnabled();
  await composer.press('Enter');
  await expect(messageWithText(bob.page, emojis)).toBeVisible();
  await composer.press('ArrowUp');
  await editor.fill(`${emojis}!`);
  await expect(editor).toHaveValue(`${emojis}!`);
  await editor.press('Enter');
  await expect(messageWithText(bob.page, `${emojis}!`).getByTestId('edited')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});

test('delete leaves "This message was deleted" on both sides', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await openDirectChat(bob.page, 'alice');
  await sendMessage(alice.page, 'wrong chat, ignore');
  await expect(messageWithText(bob.page, 'wrong chat, ignore')).toBeVisible();
  await act(alice.page, 'wrong chat, ignore', 'Delete');
  // The first click arms the button; the second deletes.
  await alice.page.getByRole('button', { name: 'Delete for everyone?' }).click();
  await expect(alice.page.getByTestId('tombstone')).toHaveText('This message was deleted');
  // The tombstone has no actions: the keyboard stays on its row instead of dropping to the page.
  await expect(alice.page.getByTestId('message').filter({ has: alice.page.getByTestId('tombstone') })).toBeFocused();
  await expect(bob.page.getByTestId('tombstone')).toHaveText('This message was deleted');
  await expect(bob.page.getByTestId('message').filter({ hasText: 'wrong chat, ignore' })).toHaveCount(0);
  // Signing in again, the history shows the tombstone too.
  await bob.context.close();
  const again = await signedIn(browser, chat, 'bob');
  await openDirectChat(again.page, 'alice');
  await expect(again.page.getByTestId('tombstone')).toHaveText('This message was deleted');
  await alice.context.close();
  await again.context.close();
});

test('reply: the reply bar names the message, the answer shows it quoted on both sides, following edits and deletion', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await openDirectChat(bob.page, 'alice');
  await sendMessage(alice.page, 'Pizza or sushi tonight?');
  await expect(messageWithText(bob.page, 'Pizza or sushi tonight?')).toBeVisible();

  await act(bob.page, 'Pizza or sushi tonight?', 'Reply');
  const bar = bob.page.getByTestId('reply-bar');
  await expect(bar).toContainText('Replying to alice');
  await expect(bar).toContainText('Pizza or sushi tonight?');
  await expect(bob.page.getByRole('textbox', { name: 'Message alice' })).toBeFocused();
  await sendMessage(bob.page, 'Sushi!');
  await expect(bar).toHaveCount(0);
  for (const page of [bob.page, alice.page]) {
    const answer = messageWithText(page, 'Sushi!');
    await expect(answer.getByTestId('reply-quote')).toContainText('Pizza or sushi tonight?');
  }
  // Escape cancels a reply.
  await act(bob.page, 'Pizza or sushi tonight?', 'Reply');
  await expect(bar).toBeVisible();
  await bob.page.getByRole('textbox', { name: 'Message alice' }).press('Escape');
  await expect(bar).toHaveCount(0);
  // The quote follows an edit and a deletion of the original on both sides, the author's own too.
  await act(alice.page, 'Pizza or sushi tonight?', 'Edit');
  await alice.page.getByTestId('edit-input').fill('Pizza or sushi tomorrow?');
  await alice.page.getByTestId('edit-input').press('Enter');
  for (const page of [alice.page, bob.page]) {
    await expect(messageWithText(page, 'Sushi!').getByTestId('reply-quote')).toContainText('Pizza or sushi tomorrow?');
  }
  await act(alice.page, 'Pizza or sushi tomorrow?', 'Delete');
  await alice.page.getByRole('button', { name: 'Delete for everyone?' }).click();
  for (const page of [alice.page, bob.page]) {
    await expect(messageWithText(page, 'Sushi!').getByTestId('reply-quote')).toHaveText(/This message was deleted/);
  }
  // Deleting the reply takes its quote away too, on both sides.
  await act(bob.page, 'Sushi!', 'Delete');
  await bob.page.getByRole('button', { name: 'Delete for everyone?' }).click();
  for (const page of [bob.page, alice.page]) {
    await expect(page.getByTestId('tombstone')).toHaveText(['This message was deleted', 'This message was deleted']);
    await expect(page.getByTestId('reply-quote')).toHaveCount(0);
  }
  await alice.context.close();
  await bob.context.close();
});

test('reactions: pick one, both see the chip with its count, a click toggles mine', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await openDirectChat(bob.page, 'alice');
  await sendMessage(alice.page, 'Shipped the release');
  await expect(messageWithText(bob.page, 'Shipped the release')).toBeVisible();

  await act(bob.page, 'Shipped the release', 'React');
  await bob.page.getByRole('button', { name: 'React 🎉' }).click();
  const chipOf = (page: Page) => messageWithText(page, 'Shipped the release').getByTestId('reaction');
  await expect(chipOf(bob.page)).toHaveText('🎉 1');
  await expect(chipOf(bob.page)).toHaveAttribute('aria-pressed', 'true');
  await expect(chipOf(alice.page)).toHaveText('🎉 1');
  await expect(chipOf(alice.page)).toHaveAttribute('aria-pressed', 'false');
  // Alice adds hers by clicking the chip; bob takes his back the same way.
  await chipOf(alice.page).click();
  await expect(chipOf(bob.page)).toHaveText('🎉 2');
  await chipOf(bob.page).click();
  await expect(chipOf(alice.page)).toHaveText('🎉 1');
  await expect(chipOf(bob.page)).toHaveAttribute('aria-pressed', 'false');
  await alice.context.close();
  await bob.context.close();
});

test('a reaction chip names who reacted by display name ("You" for me), on hover and to screen readers', async ({ browser, chat }) => {
  // carol named herself before alice signed in, and writes nothing alice sees.
  const carol = await scriptedClient(chat, 'carol');
  await carol.send({ type: 'profile', displayName: 'Caroline Herschel' });
  const alice = await signedIn(browser, chat, 'alice');
  await sendMessage(alice.page, 'Lunch at noon');
  const id = Number(await messageWithText(alice.page, 'Lunch at noon').getAttribute('data-id'));
  await carol.send({ type: 'react', messageId: id, emoji: '🎉' });
  const chip = messageWithText(alice.page, 'Lunch at noon').getByTestId('reaction');
  await expect(chip).toHaveAttribute('title', 'Caroline Herschel');
  await chip.click();
  await expect(chip).toHaveAttribute('title', 'Caroline Herschel, You');
  await expect(chip).toHaveAccessibleName('🎉 2: Caroline Herschel, You (click to remove yours)');
  await carol.close();
  await alice.context.close();
});

test("a reply's quote names the quoted author by display name to screen readers, as it shows it", async ({ browser, chat }) => {
  const carol = await scriptedClient(chat, 'carol');
  await carol.send({ type: 'profile', displayName: 'Caroline Herschel' });
  const alice = await signedIn(browser, chat, 'alice');
  await carol.send({ type: 'message', to: 'alice', text: 'Tea at four?' });
  await openDirectChat(alice.page, 'carol');
  await act(alice.page, 'Tea at four?', 'Reply');
  await sendMessage(alice.page, 'Yes please');
  const quote = messageWithText(alice.page, 'Yes please').getByTestId('reply-quote');
  await expect(quote).toContainText('Caroline Herschel');
  await expect(quote).toHaveAttribute('aria-label', 'In reply to Caroline Herschel');
  await carol.close();
  await alice.context.close();
});

test('keyboard: from the history, Enter and ↑/↓ reach a message, Tab its actions; the history stays one Tab stop', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await openDirectChat(bob.page, 'alice');
  await sendMessage(alice.page, 'first one');
  await sendMessage(alice.page, 'second one');
  await expect(messageWithText(bob.page, 'second one')).toBeVisible();
  const page = bob.page;
  const list = page.getByRole('log', { name: 'Messages in alice' });
  // Shift+Tab from the composer (past its attach button) lands on the history, not on buttons inside messages.
  await page.getByRole('textbox', { name: 'Message alice' }).focus();
  await page.keyboard.press('Shift+Tab');
  await expect(page.getByRole('button', { name: 'Attach files' })).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(list).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(messageWithText(page, 'second one')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(messageWithText(page, 'first one')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(messageWithText(page, 'first one').getByRole('button', { name: 'Reply' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('reply-bar')).toContainText('first one');
  const composer = page.getByRole('textbox', { name: 'Message alice' });
  await expect(composer).toBeFocused();
  // The reply bar's ✕ goes, and the keyboard stays in the composer.
  await page.getByRole('button', { name: 'Cancel reply' }).click();
  await expect(page.getByTestId('reply-bar')).toHaveCount(0);
  await expect(composer).toBeFocused();
  // Esc on a message's actions: the first closes the open reaction picker, the next goes back to the history.
  await list.focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const react = messageWithText(page, 'second one').getByRole('button', { name: 'React', exact: true });
  await expect(react).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(react).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Escape');
  await expect(react).toHaveAttribute('aria-expanded', 'false');
  await expect(react).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(list).toBeFocused();
  await alice.context.close();
  await bob.context.close();
});

test('edited text and reply quotes stay text: no markup or script gets in', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await openDirectChat(bob.page, 'alice');
  await sendMessage(alice.page, 'harmless');
  await expect(messageWithText(bob.page, 'harmless')).toBeVisible();
  const payload = '<img src=x onerror="window.__xss=1"> **<svg onload="window.__xss=2">**';
  await act(alice.page, 'harmless', 'Edit');
  const editor = alice.page.getByRole('textbox', { name: 'Edit message' });
  await editor.fill(payload);
  await editor.press('Enter');
  await expect(messageWithText(bob.page, '<img src=x').getByTestId('edited')).toBeVisible();
  await act(bob.page, '<img src=x', 'Reply');
  await sendMessage(bob.page, 'quoting it');
  await expect(messageWithText(alice.page, 'quoting it').getByTestId('reply-quote')).toContainText('<img src=x onerror=');
  for (const page of [alice.page, bob.page]) {
    const list = page.locator('[data-testid="message"]');
    await expect(list.locator('img, script, svg, iframe')).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  }
  await alice.context.close();
  await bob.context.close();
});

test("the sidebar's preview (and the conversation's accessible name) follows an edit and a deletion of the last message; the badge stays", async ({
  browser,
  chat,
}) => {
  // Four sign-ins and a dozen round trips: about 40 s on a quiet 2-core machine, more under load.
  test.setTimeout(120_000);
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await sendMessage(alice.page, 'first');
  await sendMessage(alice.page, 'typo hree');
  const chatWithAlice = conversationButton(bob.page, 'u:alice');
  const preview = chatWithAlice.getByTestId('conversation-preview');
  await expect(preview).toHaveText('typo hree');
  await expect(chatWithAlice.getByTestId('unread')).toHaveText('2');
  await expect(conversationButton(alice.page, 'u:bob').getByTestId('conversation-preview')).toHaveText('You: typo hree');

  // Edited while bob has the message loaded (it arrived live).
  await act(alice.page, 'typo hree', 'Edit');
  const editor = alice.page.getByRole('textbox', { name: 'Edit message' });
  await editor.fill('typo here');
  await editor.press('Enter');
  await expect(preview).toHaveText('typo here');
  await expect(chatWithAlice).toHaveAccessibleName(/typo here/);
  await expect(chatWithAlice.getByTestId('unread')).toHaveText('2');
  await expect(conversationButton(alice.page, 'u:bob').getByTestId('conversation-preview')).toHaveText('You: typo here');

  // Bob signs in again: the preview comes from the conversation list; a deletion then replaces it with the tombstone's words.
  await bob.context.close();
  await sendMessage(alice.page, 'third, to delete');
  const again = await signedIn(browser, chat, 'bob');
  const listed = conversationButton(again.page, 'u:alice');
  await expect(listed.getByTestId('conversation-preview')).toHaveText('third, to delete');
  await expect(listed.getByTestId('unread')).toHaveText('3');
  await act(alice.page, 'third, to delete', 'Delete');
  await alice.page.getByRole('button', { name: 'Delete for everyone?' }).click();
  await expect(listed.getByTestId('conversation-preview')).toHaveText('This message was deleted');
  await expect(listed).toHaveAccessibleName(/^alice\s*,\s*This message was deleted\s*, online, 3 unread$/);
  await expect(listed).not.toHaveAccessibleName(/third, to delete/);
  await expect(listed.getByTestId('unread')).toHaveText('3');
  await expect(conversationButton(alice.page, 'u:bob').getByTestId('conversation-preview')).toHaveText('You: This message was deleted');

  // An edit of a listed (not loaded) last message: bob signs in again after the edit and sees the new text.
  await sendMessage(alice.page, 'fourth');
  await expect(listed.getByTestId('conversation-preview')).toHaveText('fourth');
  await again.context.close();
  await act(alice.page, 'fourth', 'Edit');
  await editor.fill('fourth, edited');
  await editor.press('Enter');
  const third = await signedIn(browser, chat, 'bob');
  await expect(conversationButton(third.page, 'u:alice').getByTestId('conversation-preview')).toHaveText('fourth, edited');
  await alice.context.close();
  await third.context.close();
});
