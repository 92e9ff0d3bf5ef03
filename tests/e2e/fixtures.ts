// Test fixtures: a real chat server per test (fresh SQLite data dir, a users
// file with known accounts, fast hashing, a 3 s lockout) serving the built web
// client, plus helpers to open a signed-in page for one user.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../../server/index';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const webRoot = path.join(repoRoot, 'dist/renderer');
export const screenshotDir = path.join(repoRoot, 'test-results/e2e/screenshots');

/** Accounts in the users file, username → password. */
export const USERS = {
  alice: 'alice-pass',
  bob: 'bob-pass',
  carol: 'carol-pass',
  dave: 'dave-pass',
} as const;
export type UserName = keyof typeof USERS;

export interface ChatServer {
  /** http://127.0.0.1:<wsPort>/ — the web client. */
  readonly url: string;
  readonly wsPort: number;
  readonly dataDir: string;
  /** Stops the server (clients see the connection drop). */
  stop(): Promise<void>;
  /** Starts it again on the same data dir and port. */
  start(): Promise<void>;
}

async function launch(dataDir: string, usersFile: string, wsPort: number): Promise<RunningServer> {
  return startServer({
    host: '127.0.0.1',
    port: 0,
    wsPort,
    dataDir,
    usersFile,
    hashCost: 4,
    lockoutSeconds: 3,
    logLevel: 'silent',
    webRoot,
  });
}

export const test = base.extend<{ chat: ChatServer }>({
  // eslint-disable-next-line no-empty-pattern
  chat: async ({}, use) => {
    if (!existsSync(path.join(webRoot, 'index.html'))) {
      throw new Error(`No web client in ${webRoot}: run "npm run build:renderer" first (npm run test:e2e does).`);
    }
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-e2e-'));
    const usersFile = path.join(dataDir, 'clients.txt');
    await writeFile(usersFile, Object.entries(USERS).map(([u, p]) => `${u} ${p}`).join('\n') + '\n');
    let running: RunningServer | null = await launch(dataDir, usersFile, 0);
    const wsPort = running.wsPort;
    if (wsPort === null) throw new Error('server has no HTTP port');
    const server: ChatServer = {
      url: `http://127.0.0.1:${wsPort}/`,
      wsPort,
      dataDir,
      stop: async () => {
        await running?.close('test restart');
        running = null;
      },
      start: async () => {
        if (!running) running = await launch(dataDir, usersFile, wsPort);
      },
    };
    await use(server);
    await running?.close();
    await rm(dataDir, { recursive: true, force: true });
  },
});

export { expect };

/** Opens the web client in a fresh browser context (its own localStorage). */
export async function openClient(browser: Browser, chat: ChatServer, colorScheme: 'light' | 'dark' = 'light'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1200, height: 780 } });
  const page = await context.newPage();
  await page.goto(chat.url);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  return { context, page };
}

/** Fills and submits the sign-in form (server field keeps its prefilled page host). */
export async function submitSignIn(page: Page, username: string, password: string, remember = false): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (remember) await page.getByLabel(/Remember me/).check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Opens a client and signs `user` in; resolves once the chat shell shows. */
export async function signedIn(browser: Browser, chat: ChatServer, user: UserName, colorScheme: 'light' | 'dark' = 'light') {
  const client = await openClient(browser, chat, colorScheme);
  await submitSignIn(client.page, user, USERS[user]);
  await expect(client.page.getByTestId('me')).toHaveText(user);
  return client;
}

/** Opens (or creates) the conversation with `name` from the sidebar or People. */
export async function openDirectChat(page: Page, name: string): Promise<void> {
  const existing = page.locator(`[data-testid="conversation"][data-key="u:${name}"]`);
  if ((await existing.count()) > 0) {
    await existing.click();
  } else {
    await page.getByRole('button', { name: /^People/ }).click();
    await page.getByPlaceholder('Find someone by username').fill(name);
    await page.getByRole('button', { name: 'Start chat' }).click();
  }
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

/** Types `text` in the composer and presses Enter. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: /^Message / });
  await composer.fill(text);
  await composer.press('Enter');
}

/** The message bubble in the open conversation whose text is exactly `text`. */
export function messageWithText(page: Page, text: string) {
  return page.getByTestId('message').filter({ has: page.locator('p.text', { hasText: text }) });
}

export function conversationButton(page: Page, key: string) {
  return page.locator(`[data-testid="conversation"][data-key="${key}"]`);
}
