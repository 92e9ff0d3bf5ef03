// Groups and blocking against a real server: create a group and talk in it,
// owner adds/removes members, and a block stops delivery both ways it should.
import { conversationButton, expect, messageWithText, openDirectChat, scriptedClient, sendMessage, signedIn, test } from './fixtures';

test('create a group, message it, and manage its members', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  const carol = await signedIn(browser, chat, 'carol');

  await alice.page.getByRole('button', { name: /^Groups/ }).click();
  await alice.page.getByLabel('Name').fill('team');
  await alice.page.getByLabel(/Members/).fill('bob, carol');
  await alice.page.getByRole('button', { name: 'Create group' }).click();
  // Creating opens the group chat.
  await expect(alice.page.getByRole('heading', { level: 1, name: '# team' })).toBeVisible();
  await expect(alice.page.getByTestId('chat-subtitle')).toHaveText('3 members: alice, bob, carol');

  // Bob and Carol hear about it from the `group` event.
  await expect(conversationButton(bob.page, 'g:team')).toBeVisible();
  await expect(conversationButton(carol.page, 'g:team')).toBeVisible();

  await sendMessage(alice.page, 'Welcome to the team');
  await expect(messageWithText(alice.page, 'Welcome to the team').getByTestId('delivery-state')).toHaveText(/^Delivered/);
  await expect(conversationButton(bob.page, 'g:team').getByTestId('unread')).toHaveText('1');
  await conversationButton(bob.page, 'g:team').click();
  await expect(messageWithText(bob.page, 'Welcome to the team')).toBeVisible();
  await sendMessage(bob.page, 'Thanks!');
  await expect(messageWithText(alice.page, 'Thanks!')).toBeVisible();

  // The owner removes carol; carol's conversation closes.
  await alice.page.getByRole('button', { name: /^Groups/ }).click();
  const group = alice.page.locator('[data-testid="group"][data-group="team"]');
  await group.getByRole('button', { name: 'Remove carol from team' }).click();
  await expect(group.getByRole('list', { name: 'Members of team' })).not.toContainText('carol');
  // The focused ✕ went with carol's chip: the keyboard lands in the group's "Add members" box.
  await expect(group.getByLabel('Add members to team')).toBeFocused();
  await conversationButton(carol.page, 'g:team').click();
  await expect(carol.page.getByTestId('chat-subtitle')).toHaveText('You are no longer a member of this group');
  await expect(carol.page.getByRole('textbox', { name: 'Message group team' })).toBeDisabled();

  // ...and adds dave, who is offline: the next message is queued for him.
  await group.getByLabel('Add members to team').fill('dave');
  await group.getByRole('button', { name: 'Add' }).click();
  await expect(group.getByRole('list', { name: 'Members of team' })).toContainText('dave');
  await group.getByRole('button', { name: 'Open chat' }).click();
  await sendMessage(alice.page, 'Dave, you are in');
  await expect(messageWithText(alice.page, 'Dave, you are in').getByTestId('delivery-state')).toContainText('queued for dave');

  // Bob leaves.
  await bob.page.getByRole('button', { name: /^Groups/ }).click();
  await bob.page.getByRole('button', { name: 'Leave team' }).click();
  await expect(bob.page.locator('[data-testid="group"][data-group="team"]')).toHaveCount(0);
  await expect(bob.page.getByRole('heading', { name: /^My groups/ })).toBeFocused();
  for (const c of [alice, bob, carol]) await c.context.close();
});

test('blocking stops delivery: the sender is told, the blocker never sees it', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');

  // Bob blocks alice from the Blocked view.
  await bob.page.getByRole('button', { name: /^Blocked/ }).click();
  await bob.page.getByPlaceholder('Username to block').fill('alice');
  await bob.page.getByRole('button', { name: 'Block', exact: true }).click();
  await expect(bob.page.getByTestId('blocked-list')).toContainText('alice');

  await openDirectChat(alice.page, 'bob');
  await sendMessage(alice.page, 'Are you there?');
  const refused = messageWithText(alice.page, 'Are you there?');
  await expect(refused.getByTestId('delivery-state')).toContainText('Blocked');
  await expect(refused.getByTestId('delivery-state')).toContainText('has blocked you');

  // Nothing reached bob.
  await expect(conversationButton(bob.page, 'u:alice')).toHaveCount(0);

  // After unblocking, messages flow again.
  await bob.page.getByRole('button', { name: 'Unblock alice' }).click();
  await expect(bob.page.getByTestId('blocked-list')).toContainText('You have blocked no one.');
  await sendMessage(alice.page, 'Now?');
  await expect(messageWithText(alice.page, 'Now?').getByTestId('delivery-state')).toHaveText(/^Delivered/);
  await expect(conversationButton(bob.page, 'u:alice')).toBeVisible();
  await conversationButton(bob.page, 'u:alice').click();
  await expect(messageWithText(bob.page, 'Now?')).toBeVisible();
  await expect(messageWithText(bob.page, 'Are you there?')).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});

test('Blocked names people as People does, and keeps the keyboard focus as rows come and go', async ({ browser, chat }) => {
  const carol = await scriptedClient(chat, 'carol');
  await carol.send({ type: 'profile', displayName: 'Caroline Herschel' });
  const { page, context } = await signedIn(browser, chat, 'bob');
  await page.getByRole('button', { name: /^Blocked/ }).click();
  const box = page.getByPlaceholder('Username to block');
  for (const name of ['carol', 'alice']) {
    await box.fill(name);
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await expect(page.locator(`[data-testid="blocked-list"] [data-user="${name}"]`)).toBeVisible();
    // The Block button is disabled again: the focus is back in the box, not lost.
    await expect(box).toBeFocused();
  }
  await expect(page.locator('[data-testid="blocked-list"] [data-user="carol"]')).toContainText('Caroline Herschel @carol');
  // Unblocking from the keyboard moves the focus to the row that is left, then to the box.
  await page.getByRole('button', { name: 'Unblock alice' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Unblock Caroline Herschel (@carol)' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('blocked-list')).toContainText('You have blocked no one.');
  await expect(box).toBeFocused();
  await carol.close();
  await context.close();
});
