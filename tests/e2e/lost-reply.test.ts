// A message whose reply is lost: the server stored it, but the connection
// dropped before the answer reached the sender. The web client queues it with
// its idempotency key and resends it on reconnect; the server answers the
// repeat with the stored message. It must show once everywhere, as delivered.
import type { BrowserContext, Page } from '@playwright/test';
import { TcpProxy } from '../helpers/tcp-proxy';
import { conversationButton, expect, messageWithText, openClient, openDirectChat, sendMessage, signedIn, submitSignIn, test, USERS } from './fixtures';

/** Alice, signed in through a proxy that can lose the server's replies (her page and WebSocket go through it), and bob, signed in directly. */
interface ViaProxy {
  proxy: TcpProxy;
  alice: { context: BrowserContext; page: Page };
  bob: { context: BrowserContext; page: Page };
}

const viaProxy = test.extend<{ viaProxy: ViaProxy }>({
  viaProxy: async ({ browser, chat }, use) => {
    const proxy = new TcpProxy({ host: '127.0.0.1', port: chat.wsPort });
    await proxy.open();
    try {
      const bob = await signedIn(browser, chat, 'bob');
      const alice = await openClient(browser, { ...chat, url: `http://127.0.0.1:${proxy.port}/` });
      await submitSignIn(alice.page, 'alice', USERS.alice);
      await expect(alice.page.getByTestId('me')).toHaveText('alice');
      await use({ proxy, alice, bob });
    } finally {
      await proxy.cut();
    }
  },
});

/** Skips the backoff wait; the client may reconnect by itself first and hide the button. */
async function retryNow(page: Page): Promise<void> {
  await page
    .getByRole('button', { name: 'Retry now' })
    .click({ timeout: 2000 })
    .catch(() => undefined);
}

viaProxy('a message stored but left without a reply shows once, as delivered, on both sides', async ({ browser, chat, viaProxy: { proxy, alice, bob } }) => {
  await openDirectChat(alice.page, 'bob');

  const text = 'stored but never confirmed';
  proxy.dropReplyContaining(text);
  await sendMessage(alice.page, text);
  await expect.poll(() => proxy.repliesDropped).toBe(1);
  // Stored and delivered the first time.
  await conversationButton(bob.page, 'u:alice').click();
  await expect(messageWithText(bob.page, text)).toHaveCount(1);

  await retryNow(alice.page);
  await expect(alice.page.getByTestId('connection-banner')).toBeHidden({ timeout: 30_000 });
  // The resend's answer (a repeat: the message stored the first time) turns the waiting row into that message.
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);
  const mine = messageWithText(alice.page, text);
  await expect(mine).toHaveCount(1);
  await expect(mine.getByTestId('delivery-state')).toHaveText('Delivered');

  // A later message arrives after anything the resend could have delivered: still one copy at bob's.
  await sendMessage(alice.page, 'and one more');
  await expect(messageWithText(bob.page, 'and one more')).toHaveCount(1);
  await expect(messageWithText(bob.page, text)).toHaveCount(1);
  await expect(messageWithText(alice.page, text)).toHaveCount(1);

  // History, read afresh: once.
  await alice.context.close();
  const again = await signedIn(browser, chat, 'alice');
  await openDirectChat(again.page, 'bob');
  await expect(messageWithText(again.page, 'and one more')).toHaveCount(1);
  await expect(messageWithText(again.page, text)).toHaveCount(1);
  await bob.page.reload();
  await submitSignIn(bob.page, 'bob', USERS.bob);
  await openDirectChat(bob.page, 'alice');
  await expect(messageWithText(bob.page, 'and one more')).toHaveCount(1);
  await expect(messageWithText(bob.page, text)).toHaveCount(1);
  await again.context.close();
  await bob.context.close();
});

viaProxy('the command bar says a message left without a reply goes out again, and it shows once', async ({ viaProxy: { proxy, alice, bob } }) => {
  proxy.dropReplyContaining('typed as a command');
  const input = alice.page.getByTestId('command-input');
  await input.fill('message bob typed as a command');
  await input.press('Enter');
  await expect(alice.page.getByTestId('command-output')).toContainText(
    'The connection dropped before the server answered: the message waits in the outbox and goes out again on reconnect; it is stored once.',
  );
  await retryNow(alice.page);
  await expect(alice.page.getByTestId('connection-banner')).toBeHidden({ timeout: 30_000 });
  await openDirectChat(alice.page, 'bob');
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);
  await expect(messageWithText(alice.page, 'typed as a command')).toHaveCount(1);
  await conversationButton(bob.page, 'u:alice').click();
  await sendMessage(alice.page, 'a marker after it');
  await expect(messageWithText(bob.page, 'a marker after it')).toHaveCount(1);
  await expect(messageWithText(bob.page, 'typed as a command')).toHaveCount(1);
  await alice.context.close();
  await bob.context.close();
});

viaProxy(
  'a resend answered with a message already on screen (its history loaded meanwhile) is not shown twice',
  async ({ viaProxy: { proxy, alice, bob } }) => {
    test.setTimeout(90_000);
    // Sent from the command bar, so the conversation with bob is not loaded yet; the
    // reply never comes (the connection stays up): after 15 s the client gives up on it.
    proxy.swallowReplyContaining('answered late');
    const input = alice.page.getByTestId('command-input');
    await input.fill('message bob answered late');
    await input.press('Enter');
    await expect.poll(() => proxy.repliesDropped).toBe(1);
    // Meanwhile alice opens the conversation: its history already holds the stored message.
    await openDirectChat(alice.page, 'bob');
    await expect(messageWithText(alice.page, 'answered late')).toHaveCount(1);

    await expect(alice.page.getByTestId('command-output')).toContainText('No reply from the server', { timeout: 25_000 });
    // The resend's answer names the same message: that entry gains its delivery state, nothing is added.
    const mine = messageWithText(alice.page, 'answered late');
    await expect(mine.getByTestId('delivery-state')).toHaveText('Delivered');
    await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);
    await sendMessage(alice.page, 'the next one');
    await expect(messageWithText(alice.page, 'the next one')).toHaveCount(1);
    await expect(mine).toHaveCount(1);
    await conversationButton(bob.page, 'u:alice').click();
    await expect(messageWithText(bob.page, 'the next one')).toHaveCount(1);
    await expect(messageWithText(bob.page, 'answered late')).toHaveCount(1);
    await alice.context.close();
    await bob.context.close();
  },
);

viaProxy('a message from the outbox that the server refuses shows once, refused, with its reason', async ({ viaProxy: { proxy, alice, bob } }) => {
  await openDirectChat(alice.page, 'bob');

  // Alice's network goes; she writes to bob, who blocks her meanwhile.
  await proxy.cut();
  await expect(alice.page.getByTestId('connection-banner')).toContainText(/Reconnecting|Connection lost|offline/i);
  await sendMessage(alice.page, 'written before the block');
  await expect(alice.page.getByTestId('pending-message')).toContainText('written before the block');
  const input = bob.page.getByTestId('command-input');
  await input.fill('block alice');
  await input.press('Enter');
  await expect(bob.page.getByTestId('command-output')).toContainText('alice');

  await proxy.open();
  await retryNow(alice.page);
  await expect(alice.page.getByTestId('connection-banner')).toBeHidden({ timeout: 30_000 });
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);
  const refused = messageWithText(alice.page, 'written before the block');
  await expect(refused).toHaveCount(1);
  await expect(refused.getByTestId('delivery-state')).toContainText('Blocked');
  await expect(refused.getByTestId('delivery-state')).toContainText('has blocked you');
  await alice.context.close();
  await bob.context.close();
});
