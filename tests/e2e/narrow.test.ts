// A phone-sized window (390x844): the two-pane pattern of mobile messengers.
// The conversation list fills the screen; opening a conversation replaces it
// with the chat and a back button; back returns to the list where it was.
import { conversationButton, expect, messageWithText, openClient, sendMessage, signedIn, submitSignIn, test, USERS } from './fixtures';

const PHONE = { width: 390, height: 844 };

test('list first, then the conversation with a back button; unread counts while the list shows', async ({ browser, chat }) => {
  const bob = await signedIn(browser, chat, 'bob');
  const { context, page } = await openClient(browser, chat);
  await page.setViewportSize(PHONE);
  await submitSignIn(page, 'alice', USERS.alice);
  await expect(page.getByTestId('me')).toHaveText('alice');

  // Signed in: the list alone, focus on the open conversation in it; the skip link leads there too.
  const list = page.getByRole('list', { name: 'Conversations' });
  await expect(list).toBeVisible();
  await expect(page.getByTestId('message-list')).toBeHidden();
  await expect(conversationButton(page, 'everyone')).toBeFocused();
  await expect(page.getByRole('link', { name: /^Skip to/ })).toHaveText('Skip to content');

  // bob writes: his conversation appears with an unread count.
  await bob.page.getByRole('button', { name: /^People/ }).click();
  await bob.page.getByRole('button', { name: 'Chat with alice' }).click();
  await sendMessage(bob.page, 'Are you on your phone?');
  await expect(conversationButton(page, 'u:bob').getByTestId('unread')).toHaveText('1');

  // Opening it: the chat takes the whole screen, most of it for messages; the composer has focus.
  await conversationButton(page, 'u:bob').click();
  await expect(list).toBeHidden();
  await expect(page.getByRole('heading', { level: 1, name: 'bob' })).toBeVisible();
  await expect(messageWithText(page, 'Are you on your phone?')).toBeVisible();
  const composer = page.getByRole('textbox', { name: 'Message bob' });
  await expect(composer).toBeFocused();
  const history = await page.getByTestId('message-list').boundingBox();
  expect(history?.height ?? 0).toBeGreaterThan(PHONE.height * 0.6);
  for (const control of [composer, page.getByRole('button', { name: 'Send' }), page.getByRole('button', { name: 'Back to conversations' })]) {
    const box = await control.boundingBox();
    expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= PHONE.width).toBe(true);
  }
  // A file with a long name: its row fits the phone, ✕ included (the name gives way).
  await composer.evaluate((target) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['notes'], 'a-rather-long-file-name-for-a-phone-screen.txt', { type: 'text/plain' }));
    target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  });
  const remove = page.getByRole('button', { name: /^Remove a-rather-long/ });
  const removeBox = await remove.boundingBox();
  expect((removeBox?.x ?? PHONE.width) + (removeBox?.width ?? 0)).toBeLessThanOrEqual(PHONE.width);
  await remove.click();
  await expect(page.getByTestId('upload')).toHaveCount(0);
  await sendMessage(page, 'Yes!');
  await expect(messageWithText(bob.page, 'Yes!')).toBeVisible();

  // Back: the list again, focus on bob's conversation.
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  await expect(list).toBeVisible();
  await expect(conversationButton(page, 'u:bob')).toBeFocused();
  // The open conversation is not on screen now, so a new message in it counts as unread.
  await sendMessage(bob.page, 'Ok, talk later');
  await expect(conversationButton(page, 'u:bob').getByTestId('unread')).toHaveText('1');
  await conversationButton(page, 'u:bob').click();
  await expect(conversationButton(page, 'u:bob').getByTestId('unread')).toHaveCount(0);

  // Other views work the same way.
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  await page.getByRole('button', { name: /^People/ }).press('Enter');
  await expect(page.getByTestId('people-view')).toBeVisible();
  await expect(list).toBeHidden();
  // The keyboard goes along to the view instead of staying with the hidden list.
  await expect(page.getByRole('main')).toBeFocused();
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  await expect(page.getByRole('button', { name: /^People/ })).toBeFocused();
  // Groups' new-group form wraps to the phone's width: each field is wide enough to type in.
  await page.getByRole('button', { name: /^Groups/ }).click();
  for (const field of [page.getByLabel('Name'), page.getByLabel(/^Members/)]) {
    expect((await field.boundingBox())?.width ?? 0).toBeGreaterThan(PHONE.width / 2);
  }
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  // "New chat" goes further: the cursor lands in People's "Find someone".
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.getByPlaceholder('Find someone by username')).toBeFocused();
  await page.getByRole('button', { name: 'Back to conversations' }).click();

  // The quick switcher and message search open a conversation with the cursor in its composer.
  await page.keyboard.press('Control+k');
  await page.getByRole('combobox', { name: 'Conversation or person' }).fill('bob');
  await page.keyboard.press('Enter');
  await expect(composer).toBeFocused();
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  await page.keyboard.press('Control+Shift+F');
  await page.getByLabel('Words to find').fill('talk later');
  await expect(page.getByRole('option')).toHaveCount(1);
  await page.keyboard.press('Enter');
  await expect(composer).toBeFocused();
  await context.close();
  await bob.context.close();
});
