// Messenger essentials in the web client against a real server: typing
// notices, the people directory, message formatting (and that no message can
// inject markup), mentions, notifications with per-conversation mute, and the
// quick switcher.
import {
  conversationButton,
  expect,
  messageWithText,
  openDirectChat,
  recordNotifications,
  scriptedClient,
  sendMessage,
  setTabHidden,
  signedIn,
  test,
} from './fixtures';

test('typing: bob sees "alice is typing…", which expires by itself and goes when her message arrives', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await openDirectChat(bob.page, 'alice');
  const indicator = bob.page.getByTestId('typing');
  await expect(indicator).toHaveText('');

  const composer = alice.page.getByRole('textbox', { name: 'Message bob' });
  await composer.pressSequentially('hel');
  await expect(indicator).toHaveText('alice is typing…');
  // Nothing more typed: it expires on bob's side after a few seconds.
  await expect(indicator).toHaveText('', { timeout: 15_000 });

  await composer.pressSequentially('lo bob');
  await expect(indicator).toHaveText('alice is typing…');
  await composer.press('Enter');
  await expect(messageWithText(bob.page, 'hello bob')).toBeVisible();
  // The message clears the notice in the same step that shows it.
  expect(await indicator.textContent()).toBe('');
  // Typing on right after sending is a new start: bob hears of it again.
  await composer.pressSequentially('and');
  await expect(indicator).toHaveText('alice is typing…');
  // Alice's own window never shows her typing.
  await expect(alice.page.getByTestId('typing')).toHaveText('');
  await alice.context.close();
  await bob.context.close();
});

test('people directory: every account with presence and last sign-in, searchable, and a chat starts from it', async ({ browser, chat }) => {
  const bob = await signedIn(browser, chat, 'bob');
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;
  await page.getByRole('button', { name: /^People/ }).click();
  const list = page.getByTestId('directory-list');
  await expect(list.getByTestId('directory-person')).toHaveCount(4);
  await expect(list.locator('[data-user="alice"]')).toContainText('(you)');
  await expect(list.locator('[data-user="bob"]').getByTestId('directory-status')).toHaveText('online');
  await expect(list.locator('[data-user="carol"]').getByTestId('directory-status')).toHaveText('never signed in');
  await expect(page.getByRole('heading', { name: 'Everyone on this server (4)' })).toBeVisible();

  // The search box is styled like every other text box (theme colours, full width of its card).
  const look = (id: string) => page.locator(id).evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).borderRadius]);
  expect(await look('#directory-search')).toEqual(await look('#lookup'));
  await page.getByLabel('Search people').fill('RO');
  await expect(list.getByTestId('directory-person')).toHaveCount(1);
  await expect(list.locator('[data-user="carol"]')).toBeVisible();
  await page.getByLabel('Search people').fill('zzz');
  await expect(list).toContainText('No one\'s name contains "zzz".');
  await page.getByLabel('Search people').fill('car');
  await page.getByRole('button', { name: 'Message carol' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'carol' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Message carol' })).toBeFocused();

  // "Start chat" with a typed name: no conversation with someone who does not
  // exist, and any case of a name opens the one conversation with its account.
  await page.getByRole('button', { name: /^People/ }).click();
  await page.getByPlaceholder('Find someone by username').fill('nobody');
  await page.getByRole('button', { name: 'Start chat' }).click();
  await expect(page.getByRole('alert')).toHaveText('There is no user named nobody.');
  await expect(conversationButton(page, 'u:nobody')).toHaveCount(0);
  await page.getByPlaceholder('Find someone by username').fill('CAROL');
  await page.getByRole('button', { name: 'Start chat' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'carol' })).toBeVisible();
  await expect(page.locator('[data-testid="conversation"][data-key^="u:"]')).toHaveCount(1);
  await alice.context.close();
  await bob.context.close();
});

test('formatting: links, inline code, code blocks, bold and italics render as elements', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  const link = `${chat.url}healthz`;
  await sendMessage(alice.page, `**Deploy** is _done_: run \`npm test\` and see ${link}.\n\`\`\`\nconst x = 1;\n\`\`\``);
  await bob.page.locator('[data-testid="conversation"][data-key="u:alice"]').click();
  const row = bob.page.getByTestId('message').filter({ hasText: 'Deploy' });
  await expect(row.locator('strong')).toHaveText('Deploy');
  await expect(row.locator('em')).toHaveText('done');
  await expect(row.locator('p code')).toHaveText('npm test');
  await expect(row.locator('pre code')).toHaveText('const x = 1;');
  const a = row.getByRole('link', { name: link });
  await expect(a).toHaveAttribute('href', link);
  await expect(a).toHaveAttribute('target', '_blank');
  await expect(a).toHaveAttribute('rel', /noopener/);
  // A click opens the link outside the chat (a new tab in the browser), and the chat stays.
  const [opened] = await Promise.all([bob.context.waitForEvent('page'), a.click()]);
  await expect(opened).toHaveURL(link);
  await opened.close();
  await expect(bob.page.getByRole('heading', { level: 1, name: 'alice' })).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});

test('no message injects markup or script: HTML, javascript: links and formatting tricks stay text', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await openDirectChat(bob.page, 'alice');
  const payloads = [
    '<img src=x onerror="window.__xss=1">',
    '<script>window.__xss=2</script>',
    '**<img src=x onerror="window.__xss=3">**',
    '_<svg onload="window.__xss=4">_',
    '`<b>code</b>` and ```\n<iframe src="javascript:window.__xss=5"></iframe>\n```',
    'javascript:window.__xss=6 and [x](javascript:window.__xss=7)',
    'https://example.com/"onmouseover="window.__xss=8 @bob<img src=x onerror=window.__xss=9>',
    // A user name or password in an address disguises its real host: no link.
    'https://bank@evil.example/login and http://user:pw@evil.example',
  ];
  for (const [i, text] of payloads.entries()) {
    await sendMessage(alice.page, text);
    // One at a time: the composer takes the next message once the last one is out.
    await expect(alice.page.getByTestId('message')).toHaveCount(i + 1);
  }
  const rows = bob.page.getByTestId('message');
  await expect(rows).toHaveCount(payloads.length);
  for (const page of [alice.page, bob.page]) {
    const list = page.locator('[data-testid="message"]');
    await expect(list.locator('img, script, svg, iframe, b')).toHaveCount(0);
    const hrefs = await list.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    for (const href of hrefs) expect(href).toMatch(/^https?:\/\/[^@]*$/);
    for (const a of await list.locator('a').all()) expect(await a.getAttribute('onmouseover')).toBeNull();
    await list.first().hover();
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  }
  // The text arrives whole, as text.
  await expect(rows.nth(0)).toContainText('<img src=x onerror="window.__xss=1">');
  await expect(rows.nth(1)).toContainText('<script>window.__xss=2</script>');
  await alice.context.close();
  await bob.context.close();
});

test('mentions are highlighted and notify even in a muted conversation; mute silences the rest', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;
  const shown = await recordNotifications(alice.context, page, chat.url);
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('checkbox', { name: 'Show a notification for new messages' }).check();

  const bob = await scriptedClient(chat, 'bob');
  await bob.send({ type: 'create-group', group: 'team', members: ['alice', 'carol'] });
  await bob.send({ type: 'message-group', group: 'team', text: 'welcome' });
  await conversationButton(page, 'g:team').click();
  await expect(messageWithText(page, 'welcome')).toBeVisible();
  const mute = page.getByTestId('mute');
  await expect(mute).toHaveText('Mute');
  await mute.click();
  await expect(mute).toHaveText('Muted');
  await expect(mute).toHaveAttribute('aria-pressed', 'true');
  expect((JSON.parse((await page.evaluate(() => localStorage.getItem('chat.settings'))) ?? '{}') as { muted?: string[] }).muted).toEqual(['g:team']);

  // Away from the group, with the tab in the background.
  await conversationButton(page, 'everyone').click();
  await setTabHidden(page, true);
  await bob.send({ type: 'message-group', group: 'team', text: 'muted chatter' });
  await expect(conversationButton(page, 'g:team').getByTestId('unread')).toHaveText('1');
  expect(await shown()).toEqual([]);
  await bob.send({ type: 'message-group', group: 'team', text: 'need you here @alice' });
  await expect.poll(shown).toEqual(['bob in team (mentioned you): need you here @alice']);
  // Someone else's mention does not break the mute.
  await bob.send({ type: 'message-group', group: 'team', text: 'and @carol too' });
  await expect(conversationButton(page, 'g:team').getByTestId('unread')).toHaveText('3');
  // A conversation that is not muted notifies as usual.
  await bob.send({ type: 'message', to: 'alice', text: 'direct' });
  await expect.poll(shown).toEqual(['bob in team (mentioned you): need you here @alice', 'bob: direct']);
  await setTabHidden(page, false);

  // The mention of me is highlighted; another person's is marked too, differently.
  await conversationButton(page, 'g:team').click();
  const mine = messageWithText(page, 'need you here @alice').getByTestId('mention');
  await expect(mine).toHaveText('@alice');
  await expect(mine).toHaveClass(/\bme\b/);
  const other = messageWithText(page, 'and @carol too').getByTestId('mention');
  await expect(other).toHaveText('@carol');
  await expect(other).not.toHaveClass(/\bme\b/);

  // Unmuted, the group notifies again.
  await page.getByTestId('mute').click();
  await expect(page.getByTestId('mute')).toHaveText('Mute');
  await conversationButton(page, 'everyone').click();
  await setTabHidden(page, true);
  await bob.send({ type: 'message-group', group: 'team', text: 'back to normal' });
  await expect.poll(shown).toContain('bob in team: back to normal');
  await bob.close();
  await alice.context.close();
});

test('quick switcher: Ctrl+K, type part of a name, arrows and Enter open it; Esc closes and focus returns', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;
  const bob = await scriptedClient(chat, 'bob');
  await bob.send({ type: 'create-group', group: 'backend', members: ['alice'] });
  await expect(conversationButton(page, 'g:backend')).toBeVisible();
  const composer = page.getByRole('textbox', { name: 'Message everyone' });
  await composer.focus();

  await page.keyboard.press('Control+k');
  const dialog = page.getByRole('dialog', { name: 'Jump to a conversation' });
  await expect(dialog).toBeVisible();
  const box = dialog.getByRole('combobox', { name: 'Conversation or person' });
  await expect(box).toBeFocused();
  // Everyone the directory knows is there, not only open conversations (carol never signed in).
  await box.fill('CAR');
  await expect(dialog.getByRole('option')).toHaveText([/carol/]);
  await box.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('heading', { level: 1, name: 'carol' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Message carol' })).toBeFocused();

  // Arrow keys move the choice; the chosen row is the active descendant.
  await page.keyboard.press('Control+k');
  await box.fill('b');
  const options = dialog.getByRole('option');
  await expect(options).toHaveText([/# backend/, /bob/]);
  await expect(options.nth(0)).toHaveAttribute('aria-selected', 'true');
  await box.press('ArrowDown');
  await expect(options.nth(1)).toHaveAttribute('aria-selected', 'true');
  await expect(box).toHaveAttribute('aria-activedescendant', (await options.nth(1).getAttribute('id')) ?? '');
  await box.press('ArrowUp');
  await box.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: '# backend' })).toBeVisible();

  // Esc closes without moving, and focus goes back where it was.
  const groupComposer = page.getByRole('textbox', { name: 'Message group backend' });
  await groupComposer.focus();
  await page.keyboard.press('Control+k');
  await expect(dialog).toBeVisible();
  await box.fill('zzz');
  await expect(dialog).toContainText('No conversation or person matches.');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(groupComposer).toBeFocused();
  await expect(page.getByRole('heading', { level: 1, name: '# backend' })).toBeVisible();
  await bob.close();
  await alice.context.close();
});

test('quick switcher: people are found by display name as well as by username', async ({ browser, chat }) => {
  const carol = await scriptedClient(chat, 'carol');
  await carol.send({ type: 'profile', displayName: 'Caroline Herschel' });
  const alice = await signedIn(browser, chat, 'alice');
  const page = alice.page;

  await page.keyboard.press('Control+k');
  const dialog = page.getByRole('dialog', { name: 'Jump to a conversation' });
  const box = dialog.getByRole('combobox', { name: 'Conversation or person' });
  await expect(box).toBeFocused();
  // A word of the display name, in any case; the row shows the name and the username.
  await box.fill('hersch');
  const options = dialog.getByRole('option');
  await expect(options).toHaveText([/Caroline Herschel\s*@carol/]);
  // The username still finds her.
  await box.fill('caro');
  await expect(options).toHaveText([/Caroline Herschel\s*@carol/]);
  await box.fill('HERSCHEL');
  await box.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(conversationButton(page, 'u:carol')).toHaveAttribute('aria-current', 'true');
  await carol.close();
  await alice.context.close();
});
