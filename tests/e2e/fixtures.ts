// Test fixtures: a real chat server per test (the shared test server: fresh
// SQLite data dir, the shared accounts, fast hashing; here with a 3 s lockout)
// serving the built web client, plus helpers to open a signed-in page for one user.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import type { ServerOptions } from '../../server/index';
import { encodeRequest, ServerFrame, type Command } from '../../server/protocol';
import { startTestServer } from '../helpers/test-server';
import { accounts } from '../helpers/users';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const webRoot = path.join(repoRoot, 'dist/renderer');
export const screenshotDir = path.join(repoRoot, 'test-results/e2e/screenshots');

/** Accounts in the users file, username → password (the shared test accounts, without erin: a test registers her). */
export const USERS = accounts('alice', 'bob', 'carol', 'dave');
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

export const test = base.extend<{ chat: ChatServer; serverOptions: Partial<ServerOptions> }>({
  /** Extra server options for a file or describe block (`test.use({ serverOptions: {...} })`). */
  serverOptions: [{}, { option: true }],
  chat: async ({ serverOptions }, use) => {
    if (!existsSync(path.join(webRoot, 'index.html'))) {
      throw new Error(`No web client in ${webRoot}: run "npm run build:renderer" first (npm run test:e2e does).`);
    }
    // A real server as people run it (default rate limit), with a short lockout so tests can wait it out.
    const server = await startTestServer({ users: USERS, lockoutSeconds: 3, rateLimit: 20, webRoot, ...serverOptions });
    await use({
      url: server.httpUrl,
      wsPort: server.wsPort,
      dataDir: server.dataDir,
      stop: () => server.pause('test restart'),
      start: () => server.resume(),
    });
    await server.stop();
  },
});

export { expect };

/** Opens the web client in a fresh browser context (its own localStorage). */
export async function openClient(
  browser: Browser,
  chat: ChatServer,
  colorScheme: 'light' | 'dark' = 'light',
): Promise<{ context: BrowserContext; page: Page }> {
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
  return page.getByTestId('message').filter({ has: page.locator('.text', { hasText: text }) });
}

export function conversationButton(page: Page, key: string) {
  return page.locator(`[data-testid="conversation"][data-key="${key}"]`);
}

/**
 * Writes `count` private messages between `a` and `b` straight into the
 * server's SQLite file (with the server stopped, then started again): the fast
 * way to give a conversation a long history. Message i is from `a` when
 * i % 10 !== 0 (else from `b`), with text `${prefix} i`, one minute apart and
 * ending a minute ago, so the history spans days. Clients then page it in with
 * `history` as they would any history.
 */
export async function seedConversation(chat: ChatServer, a: UserName, b: UserName, count: number, prefix = 'msg'): Promise<void> {
  await chat.stop();
  const db = new Database(path.join(chat.dataDir, 'chat.db'));
  try {
    const insert = db.prepare("INSERT INTO messages (kind, sender, recipient, group_name, text, ts) VALUES ('private', ?, ?, NULL, ?, ?)");
    const start = Date.now() - (count + 1) * 60_000;
    // Old, already read history: both users' stream positions move past it, so
    // it is reached through `history` and never arrives as a mailbox.
    const acknowledge = db.prepare('UPDATE positions SET acked = max(acked, (SELECT max(id) FROM messages)) WHERE username IN (?, ?)');
    // ...and read: the conversation is listed (its pair row, as a private send writes it) without unread messages.
    const pair = db.prepare('INSERT OR IGNORE INTO direct_peers (username, peer) VALUES (?, ?)');
    const read = db.prepare(
      `INSERT INTO read_positions (username, conversation, position) VALUES (?, ?, (SELECT max(id) FROM messages))
       ON CONFLICT (username, conversation) DO UPDATE SET position = excluded.position`,
    );
    db.transaction(() => {
      for (let i = 1; i <= count; i++) {
        const [from, to] = i % 10 === 0 ? [b, a] : [a, b];
        insert.run(from, to, `${prefix} ${i}`, start + i * 60_000);
      }
      acknowledge.run(a, b);
      pair.run(a, b);
      pair.run(b, a);
      read.run(a, `d:${b}`);
      read.run(b, `d:${a}`);
    })();
  } finally {
    db.close();
  }
  await chat.start();
}

/**
 * A scripted client over a plain WebSocket (the `ws` package), for traffic the
 * test needs but no page should produce, such as a long history.
 */
export async function scriptedClient(chat: ChatServer, user: UserName) {
  const socket = new WebSocket(`ws://127.0.0.1:${chat.wsPort}/ws`);
  let nextId = 1;
  const waiting = new Map<number, (frame: ServerFrame) => void>();
  let greeted!: () => void;
  const hello = new Promise<void>((resolve) => (greeted = resolve));
  socket.on('message', (data) => {
    const frame = ServerFrame.parse(JSON.parse(String(data)));
    if (frame.type === 'event') {
      if (frame.event === 'hello') greeted();
      return;
    }
    if (typeof frame.id === 'number') waiting.get(frame.id)?.(frame);
  });
  await hello;
  const call = (command: Command) =>
    new Promise<ServerFrame>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      socket.send(encodeRequest(id, command));
    });
  const login = await call({ type: 'login', username: user, password: USERS[user] });
  if (login.type !== 'reply' || !login.ok) throw new Error(`scripted sign-in of ${user} failed`);
  return {
    /** Sends a command; on RATE_LIMITED waits as told and tries again (at most 20 times). */
    async send(command: Command): Promise<void> {
      for (let attempt = 0; attempt < 20; attempt++) {
        const reply = await call(command);
        if (reply.type === 'reply' && reply.ok) return;
        if (reply.type === 'reply' && !reply.ok && reply.error.code === 'RATE_LIMITED') {
          await new Promise((r) => setTimeout(r, (reply.error.retryAfter ?? 1) * 1000));
          continue;
        }
        throw new Error(`scripted ${command.type} failed: ${JSON.stringify(reply)}`);
      }
      throw new Error(`scripted ${command.type} stayed rate limited`);
    },
    async close(): Promise<void> {
      await call({ type: 'logout' });
      socket.close();
    },
  };
}

/**
 * Makes the page report its tab as hidden (or visible again) and fires
 * `visibilitychange`, as switching tabs does. Headless Chromium keeps every
 * page "visible", so this is the only way to reach the hidden-tab paths.
 */
export async function setTabHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/**
 * Grants the notification permission and records every notification the page
 * creates as `title: body` (the real constructor still runs). Returns a reader.
 */
export async function recordNotifications(context: BrowserContext, page: Page, origin: string): Promise<() => Promise<string[]>> {
  await context.grantPermissions(['notifications'], { origin });
  await page.evaluate(() => {
    const Native = window.Notification;
    const shown: string[] = [];
    (window as unknown as { shown: string[] }).shown = shown;
    window.Notification = class extends Native {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push(`${title}: ${options?.body ?? ''}`);
      }
    };
  });
  return () => page.evaluate(() => (window as unknown as { shown: string[] }).shown);
}
