// axe-core over every view of the web client, in the light and the dark theme,
// at 1280x800 and at 390x844 (the one-pane layout): no serious or critical
// violation anywhere. Every finding, of any impact, is printed.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import type { AxeResults } from 'axe-core';
import { conversationButton, expect, messageWithText, openDirectChat, sendMessage, signedIn, submitSignIn, test, USERS } from './fixtures';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };
const SCHEMES = ['light', 'dark'] as const;

interface Finding {
  where: string;
  rule: string;
  impact: string;
  nodes: string[];
}

/** Runs axe on the page as it is (WCAG 2.x A/AA rules and best practices) in both themes. */
async function audit(page: Page, where: string, findings: Finding[]): Promise<void> {
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
    const results = await page.evaluate(async () => {
      const { axe } = window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResults> } };
      return JSON.parse(JSON.stringify(await axe.run(document, { resultTypes: ['violations'] }))) as AxeResults;
    });
    for (const v of results.violations) {
      findings.push({ where: `${where} (${scheme})`, rule: v.id, impact: v.impact ?? 'unknown', nodes: v.nodes.map((n) => n.target.join(' ')) });
    }
  }
}

/** Opens a view from the sidebar, going back to the list first on a narrow window. */
async function show(page: Page, nav: RegExp | string): Promise<void> {
  const back = page.getByRole('button', { name: 'Back to conversations' });
  if (await back.isVisible()) await back.click();
  if (typeof nav === 'string') await page.getByRole('button', { name: nav, exact: true }).click();
  else await page.getByRole('button', { name: nav }).click();
}

test('axe finds no serious or critical violation in any view, theme or width', async ({ browser, chat }) => {
  test.setTimeout(150_000);
  const findings: Finding[] = [];

  // The sign-in screen, before anyone is signed in (bypassCSP lets axe's source run in the page).
  const signIn = await browser.newContext({ viewport: WIDE, bypassCSP: true });
  const page0 = await signIn.newPage();
  await page0.goto(chat.url);
  await expect(page0.getByRole('heading', { level: 1 })).toHaveText('Sign in to chat');
  await audit(page0, 'sign-in, wide', findings);
  await page0.setViewportSize(NARROW);
  await audit(page0, 'sign-in, narrow', findings);
  // A failed attempt shows its error.
  await submitSignIn(page0, 'alice', 'not-her-password');
  await expect(page0.getByTestId('signin-error')).not.toBeEmpty();
  await audit(page0, 'sign-in with an error, narrow', findings);
  await signIn.close();

  // Some content for every view: a conversation with replies and delivery states, a group, a block.
  const bob = await signedIn(browser, chat, 'bob');
  const context = await browser.newContext({ viewport: WIDE, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(chat.url);
  await submitSignIn(page, 'alice', USERS.alice);
  await expect(page.getByTestId('me')).toHaveText('alice');
  await openDirectChat(page, 'bob');
  await sendMessage(page, 'Hi Bob, is the build green?');
  await expect(conversationButton(bob.page, 'u:alice')).toBeVisible();
  await openDirectChat(bob.page, 'alice');
  await sendMessage(bob.page, 'It is, shipping soon.');
  await expect(messageWithText(page, 'It is, shipping soon.')).toBeVisible();
  await sendMessage(page, 'Great, thanks!');
  await expect(messageWithText(page, 'Great, thanks!').getByTestId('delivery-state')).toBeVisible();
  // Formatting in both bubbles (mine and theirs): links, code, a code block and mentions keep their contrast.
  await sendMessage(bob.page, '**Release** _notes_ at https://example.com/notes, run `npm test`, thanks @alice and @carol\n```\nnpm run dist\n```');
  await expect(messageWithText(page, 'Release')).toBeVisible();
  await sendMessage(page, 'See `make` and https://example.com @bob');
  await expect(messageWithText(page, 'See make').getByTestId('delivery-state')).toBeVisible();
  await openDirectChat(page, 'carol');
  await sendMessage(page, 'Carol, read this later');
  await expect(messageWithText(page, 'Carol, read this later').getByTestId('delivery-state')).toContainText('Queued');
  await show(page, /^Groups/);
  await page.getByLabel('Name').fill('design');
  await page.getByLabel(/Members/).fill('bob');
  await page.getByRole('button', { name: 'Create group' }).click();
  await expect(page.getByRole('heading', { level: 1, name: '# design' })).toBeVisible();
  await show(page, /^Blocked/);
  await page.getByPlaceholder('Username to block').fill('dave');
  await page.getByRole('button', { name: 'Block', exact: true }).click();
  await expect(page.getByTestId('blocked-list')).toContainText('dave');

  for (const [size, label] of [
    [WIDE, 'wide'],
    [NARROW, 'narrow'],
  ] as const) {
    await page.setViewportSize(size);
    if (label === 'narrow') {
      await show(page, /^Chats/);
      await page.getByRole('button', { name: 'Back to conversations' }).click();
      await expect(page.getByRole('list', { name: 'Conversations' })).toBeVisible();
      await audit(page, 'conversation list, narrow', findings);
    }
    await conversationButton(page, 'u:bob').click();
    await expect(messageWithText(page, 'Great, thanks!')).toBeVisible();
    await audit(page, `chat, ${label}`, findings);
    // A toast on screen (blocking says so), over the chat.
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await expect(page.getByTestId('toast').filter({ hasText: 'bob is blocked' })).toBeVisible();
    await audit(page, `chat with a toast, ${label}`, findings);
    await page.getByRole('button', { name: 'Unblock', exact: true }).click();
    await show(page, /^People/);
    await page.getByRole('button', { name: 'Ping bob' }).click();
    await expect(page.getByTestId('ping-result')).toBeVisible();
    await audit(page, `people, ${label}`, findings);
    await show(page, /^Groups/);
    await expect(page.locator('[data-testid="group"][data-group="design"]')).toBeVisible();
    await audit(page, `groups, ${label}`, findings);
    await show(page, /^Blocked/);
    await audit(page, `blocked, ${label}`, findings);
    await show(page, 'Settings');
    await expect(page.getByTestId('settings-view')).toBeVisible();
    await audit(page, `settings, ${label}`, findings);
    await show(page, 'Offline messages');
    await expect(page.getByRole('dialog', { name: 'Offline messages' })).toBeVisible();
    await audit(page, `offline messages dialog, ${label}`, findings);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+k');
    await page.getByRole('combobox', { name: 'Conversation or person' }).fill('o');
    await expect(page.getByTestId('switch-option').first()).toBeVisible();
    await audit(page, `quick switcher, ${label}`, findings);
    await page.keyboard.press('Escape');
  }

  for (const f of findings) console.log(`[axe] ${f.impact} ${f.rule} in ${f.where}: ${f.nodes.slice(0, 3).join(' | ')}`);
  console.log(
    `[axe] ${findings.length} finding(s) in total; serious or critical: ${findings.filter((f) => f.impact === 'serious' || f.impact === 'critical').length}`,
  );
  expect(findings.filter((f) => f.impact === 'serious' || f.impact === 'critical')).toEqual([]);
  await context.close();
  await bob.context.close();
});
