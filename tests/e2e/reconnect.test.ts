// Server restart with clients connected: the banner shows the reconnect, a
// message typed during the outage waits in the outbox and goes out afterwards,
// and messages sent to the user while they were cut off still arrive.
import type { Page } from '@playwright/test';
import { conversationButton, expect, messageWithText, openDirectChat, sendMessage, signedIn, test } from './fixtures';

/**
 * Clicks "Retry now" to skip the backoff wait. The client may reconnect on its
 * own timer at the same moment and hide the button, so a missing button is fine.
 */
async function retryNow(page: Page): Promise<void> {
  await page
    .getByRole('button', { name: 'Retry now' })
    .click({ timeout: 2000 })
    .catch(() => undefined);
}

test('reconnects after a server restart without losing messages', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');
  await sendMessage(alice.page, 'before the restart');
  await expect(conversationButton(bob.page, 'u:alice').getByTestId('unread')).toHaveText('1');

  await chat.stop();
  const banner = alice.page.getByTestId('connection-banner');
  await expect(banner).toContainText(/Reconnecting|Connection lost|offline/i);
  // Screen readers hear the loss once; the banner's ticking countdown is not a live region.
  await expect(alice.page.locator('[aria-live="polite"][aria-atomic="true"]')).toHaveText(/Connection lost|You are offline/);
  await expect(banner.locator('xpath=ancestor-or-self::*[@aria-live or @role="status" or @role="alert"]')).toHaveCount(0);

  // Typed during the outage: waits in the outbox.
  await sendMessage(alice.page, 'typed while the server was down');
  await expect(alice.page.getByTestId('pending-message')).toContainText('typed while the server was down');
  await expect(banner).toContainText('1 message waiting to send');

  await chat.start();
  await retryNow(alice.page);
  await expect(banner).toBeHidden({ timeout: 30_000 });
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);
  await expect(messageWithText(alice.page, 'typed while the server was down')).toBeVisible();

  // Bob reconnects by himself and gets the outbox message.
  await expect(bob.page.getByTestId('connection-banner')).toBeHidden({ timeout: 30_000 });
  await conversationButton(bob.page, 'u:alice').click();
  await expect(messageWithText(bob.page, 'before the restart')).toBeVisible();
  await expect(messageWithText(bob.page, 'typed while the server was down')).toBeVisible();

  // After the restart messages flow both ways as before.
  await sendMessage(bob.page, 'after the restart');
  await expect(messageWithText(alice.page, 'after the restart')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});

test('messages sent while a user was disconnected arrive when they reconnect', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  // Bob stays cut off, whatever his backoff, until alice has written to him: his
  // new connections are closed at once while `bobCutOff` holds.
  let bobCutOff = true;
  await bob.context.routeWebSocket(/.*/, (ws) => {
    if (bobCutOff) void ws.close();
    else ws.connectToServer();
  });
  await chat.stop();
  await expect(bob.page.getByTestId('connection-banner')).toContainText(/Reconnecting|Connection lost/i);
  await chat.start();
  await retryNow(alice.page);
  await expect(alice.page.getByTestId('connection-banner')).toBeHidden({ timeout: 30_000 });
  await openDirectChat(alice.page, 'bob');
  await sendMessage(alice.page, 'did you miss me?');
  // Queued: the server saw bob as offline when it arrived.
  await expect(messageWithText(alice.page, 'did you miss me?').getByTestId('delivery-state')).toContainText('Queued');
  bobCutOff = false;
  await retryNow(bob.page);
  await expect(bob.page.getByTestId('connection-banner')).toBeHidden({ timeout: 30_000 });
  await expect(conversationButton(bob.page, 'u:alice').getByTestId('unread')).toHaveText('1');
  await conversationButton(bob.page, 'u:alice').click();
  await expect(messageWithText(bob.page, 'did you miss me?')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});
