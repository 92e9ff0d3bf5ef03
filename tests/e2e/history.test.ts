// Long conversations: history pages back with `before`, the view keeps its
// place, and new messages while scrolled up show a pill instead of jumping
// (and stay unread until they come on screen).
import { conversationButton, expect, messageWithText, scriptedClient, sendMessage, signedIn, submitSignIn, test, USERS } from './fixtures';

test('pages back through history; while scrolled up a new message shows a pill and stays unread until on screen', async ({ browser, chat }) => {
  // 70 messages from carol, sent while alice is offline, then read once so they are acknowledged.
  const carol = await scriptedClient(chat, 'carol');
  for (let i = 1; i <= 70; i++) await carol.send({ type: 'message', to: 'alice', text: `note ${i}` });
  const first = await signedIn(browser, chat, 'alice');
  await expect(conversationButton(first.page, 'u:carol').getByTestId('unread')).toHaveText('70');
  await first.context.close();

  // A new session: nothing is replayed, so the conversation comes from `history`.
  const alice = await signedIn(browser, chat, 'alice');
  await alice.page.getByRole('button', { name: /^People/ }).click();
  await alice.page.getByRole('button', { name: 'Chat with carol' }).click();
  await expect(messageWithText(alice.page, 'note 70')).toBeVisible();
  // First page: the newest 50 (the list is virtualized: `data-loaded` counts what is loaded, not what is in the DOM).
  const list = alice.page.getByTestId('message-list');
  await expect(list).toHaveAttribute('data-loaded', '50');
  await expect(messageWithText(alice.page, 'note 20')).toHaveCount(0);

  // Scrolling to the top loads the older 20; the reader stays where they were.
  await list.evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(list).toHaveAttribute('data-loaded', '70');
  await expect(alice.page.getByText('This is the beginning of the conversation.')).toBeVisible();
  const top = await list.evaluate((el) => el.scrollTop);
  expect(top).toBeGreaterThan(0);

  // While alice reads old messages, carol writes: a pill, no jump. (Rows measured
  // at the top may still nudge the position by their estimate's error.)
  await carol.close();
  const carolPage = (await signedIn(browser, chat, 'carol')).page;
  await carolPage.getByRole('button', { name: /^People/ }).click();
  await carolPage.getByRole('button', { name: 'Chat with alice' }).click();
  await expect(messageWithText(carolPage, 'note 70').getByTestId('seen')).toHaveText('Seen');
  await list.evaluate((el) => el.scrollTo({ top: 0 }));
  const oldest = list.locator('[data-testid="message"][aria-posinset="1"]');
  await expect(oldest).toBeInViewport();
  await sendMessage(carolPage, 'are you there?');
  const pill = alice.page.getByTestId('new-messages-pill');
  await expect(pill).toBeVisible();
  expect(await list.evaluate((el) => el.scrollTop)).toBeLessThan(150);
  await expect(oldest).toBeInViewport();
  // Not on screen, so not read: it counts as unread and carol's "Seen" stays where it was.
  const badge = conversationButton(alice.page, 'u:carol').getByTestId('unread');
  await expect(badge).toHaveText('1');
  await expect(messageWithText(carolPage, 'note 70').getByTestId('seen')).toHaveText('Seen');
  // The pill brings it on screen: read, and carol sees it.
  await pill.click();
  await expect(pill).toBeHidden();
  await expect(messageWithText(alice.page, 'are you there?')).toBeInViewport();
  await expect(badge).toHaveCount(0);
  await expect(messageWithText(carolPage, 'are you there?').getByTestId('seen')).toHaveText('Seen');

  // Scrolling down to a new message reads it too.
  await list.evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(oldest).toBeInViewport();
  await sendMessage(carolPage, 'still there?');
  await expect(badge).toHaveText('1');
  await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(badge).toHaveCount(0);
  await expect(messageWithText(carolPage, 'still there?').getByTestId('seen')).toHaveText('Seen');
  await alice.context.close();
});

test.describe('with registration allowed', () => {
  test.use({ serverOptions: { allowRegister: true } });

  test('the sign-in form offers registration and creates an account', async ({ browser, chat }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(chat.url);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await expect(page.getByRole('heading', { name: 'Create an account' })).toBeVisible();
    await page.getByLabel('Username').fill('erin');
    await page.getByLabel('Password', { exact: true }).fill('erin-pass-1');
    await page.getByLabel('Repeat password').fill('erin-pass-1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByTestId('me')).toHaveText('erin');
    await context.close();
  });
});

test('without registration the sign-in form has no register link', async ({ browser, chat }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(chat.url);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // The probe has answered once the server name shows.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in to chat');
  await expect(page.getByRole('button', { name: 'Create an account' })).toHaveCount(0);
  await submitSignIn(page, 'dave', USERS.dave);
  await expect(page.getByTestId('me')).toHaveText('dave');
  await context.close();
});
