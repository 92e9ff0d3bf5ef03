// File attachments in the web client against a real server: drag and drop an
// image, paste a file, upload progress and failure with retry, inline image
// previews with a lightbox, file cards whose download works, and replies to a
// message that has only files.
import type { Page } from '@playwright/test';
import sharp from 'sharp';
import { expect, openDirectChat, signedIn, test } from './fixtures';

async function pngBase64(width: number, height: number): Promise<string> {
  const png = await sharp({ create: { width, height, channels: 3, background: { r: 30, g: 160, b: 90 } } })
    .png()
    .toBuffer();
  return png.toString('base64');
}

/** Drops a file on the open conversation as a drag from the desktop would. */
async function dropFile(page: Page, name: string, type: string, base64: string): Promise<void> {
  await page.getByTestId('chat-view').evaluate(
    (target, file) => {
      const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], file.name, { type: file.type }));
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { name, type, base64 },
  );
}

/** Pastes a file into the composer as a clipboard paste would. */
async function pasteFile(page: Page, name: string, type: string, text: string): Promise<void> {
  await page.getByRole('textbox', { name: /^Message / }).evaluate(
    (target, file) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([file.text], file.name, { type: file.type }));
      target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    },
    { name, type, text },
  );
}

test('drag and drop an image: it uploads, goes out, both sides see an inline preview that opens in a lightbox, and a reply says "A file"', async ({
  browser,
  chat,
}) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');

  await dropFile(alice.page, 'green.png', 'image/png', await pngBase64(800, 600));
  const upload = alice.page.getByTestId('upload');
  await expect(upload).toHaveAttribute('data-status', 'done');
  await expect(upload).toContainText('green.png');
  await alice.page.getByRole('button', { name: 'Send' }).click();
  await expect(upload).toHaveCount(0);

  const mine = alice.page.getByTestId('message').filter({ has: alice.page.getByTestId('image-preview') });
  await expect(mine.getByTestId('delivery-state')).toHaveText(/^Delivered/);
  // Screen readers hear what it carries, as the sidebar's preview says it.
  await expect(bob.page.locator('[aria-live="polite"][aria-atomic="true"]')).toHaveText('alice: A file');

  await bob.page.locator('[data-testid="conversation"][data-key="u:alice"]').click();
  const preview = bob.page.getByTestId('image-preview');
  await expect(preview).toBeVisible();
  // The thumbnail really loaded (served by the server with a signed link), 480 px wide for 2x screens ...
  await expect.poll(() => preview.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(480);
  // ... and its box is the image scaled into 240x240 CSS px, set before it loads so the list does not jump.
  await expect(preview.locator('img')).toHaveAttribute('width', '240');
  await expect(preview.locator('img')).toHaveAttribute('height', '180');
  expect(await preview.locator('img').evaluate((img: HTMLImageElement) => [img.clientWidth, img.clientHeight])).toEqual([240, 180]);
  await preview.click();
  const lightbox = bob.page.getByRole('dialog', { name: 'green.png' });
  await expect(lightbox.getByTestId('lightbox')).toContainText('800×600');
  await expect.poll(() => lightbox.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(800);
  await bob.page.keyboard.press('Escape');
  await expect(lightbox).toBeHidden();

  // A reply to it says what it carries, in the reply bar and in the quote on both sides.
  const image = bob.page.getByTestId('message').filter({ has: preview });
  await image.hover();
  await image.getByTestId('message-actions').getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(bob.page.getByTestId('reply-bar')).toContainText('Replying to alice: A file');
  await bob.page.getByRole('textbox', { name: 'Message alice' }).fill('Lovely green');
  await bob.page.getByRole('textbox', { name: 'Message alice' }).press('Enter');
  for (const page of [bob.page, alice.page]) {
    await expect(page.getByTestId('message').filter({ hasText: 'Lovely green' }).getByTestId('reply-quote')).toContainText('A file');
  }
  await alice.context.close();
  await bob.context.close();
});

test('paste a file into the composer: it goes out with the text as a file card whose download works', async ({ browser, chat }) => {
  const alice = await signedIn(browser, chat, 'alice');
  const bob = await signedIn(browser, chat, 'bob');
  await openDirectChat(alice.page, 'bob');

  await pasteFile(alice.page, 'minutes.txt', 'text/plain', 'the minutes of the meeting\n');
  await expect(alice.page.getByTestId('upload')).toHaveAttribute('data-status', 'done');
  const composer = alice.page.getByRole('textbox', { name: 'Message bob' });
  await composer.fill('minutes attached');
  await composer.press('Enter');

  await bob.page.locator('[data-testid="conversation"][data-key="u:alice"]').click();
  const card = bob.page.getByTestId('message').filter({ hasText: 'minutes attached' }).getByTestId('file-card');
  await expect(card).toContainText('minutes.txt');
  await expect(card).toContainText('27 B');
  const href = await card.getByRole('link', { name: 'Download' }).getAttribute('href');
  const response = await bob.page.request.get(href!);
  expect(response.status()).toBe(200);
  expect(await response.text()).toBe('the minutes of the meeting\n');
  expect(response.headers()['content-disposition']).toMatch(/^attachment; filename="minutes.txt"/);
  await alice.context.close();
  await bob.context.close();
});

test.describe('uploads that fail', () => {
  test.use({ serverOptions: { maxUploadBytes: 2048 } });

  test('a refused upload says why and can be retried or removed; Send waits for it', async ({ browser, chat }) => {
    const alice = await signedIn(browser, chat, 'alice');
    await openDirectChat(alice.page, 'bob');
    await pasteFile(alice.page, 'big.txt', 'text/plain', 'x'.repeat(5000));
    const upload = alice.page.getByTestId('upload');
    await expect(upload).toHaveAttribute('data-status', 'failed');
    await expect(upload.getByRole('alert')).toContainText('2048 bytes');
    await alice.page.getByRole('textbox', { name: 'Message bob' }).fill('with a file');
    await expect(alice.page.getByRole('button', { name: 'Send' })).toBeDisabled();
    await upload.getByRole('button', { name: 'Retry' }).click();
    await expect(upload).toHaveAttribute('data-status', 'failed');
    await pasteFile(alice.page, 'small.txt', 'text/plain', 'fits');
    await expect(upload.last()).toHaveAttribute('data-status', 'done');
    // ✕ takes its row away; the keyboard moves to the next file's ✕, then to the message box.
    await alice.page.getByRole('button', { name: 'Remove big.txt' }).click();
    await expect(upload).toHaveCount(1);
    await expect(alice.page.getByRole('button', { name: 'Remove small.txt' })).toBeFocused();
    await alice.page.keyboard.press('Enter');
    await expect(upload).toHaveCount(0);
    await expect(alice.page.getByRole('textbox', { name: 'Message bob' })).toBeFocused();
    await expect(alice.page.getByRole('button', { name: 'Send' })).toBeEnabled();
    await alice.context.close();
  });
});
