// The real desktop app end to end: the hardened window exposes only `window.chat`, and
// through it (preload → IPC → main → ws) the core flows work against a real server:
// sign in, send to a second client on a raw `ws` socket, receive from it, sign out.
import WebSocket from 'ws';
import type { ChatBridge, Push, PushChannel } from '../../main/ipc/contract';
import { electronMissing, expect, test, USERS } from './fixtures';

declare global {
  interface Window {
    chat: ChatBridge;
    __pushes?: Array<{ channel: PushChannel; payload: Push[PushChannel] }>;
  }
}

/** Bob on a plain `ws` socket speaking the JSON protocol by hand. */
async function rawClient(wsPort: number, username: keyof typeof USERS) {
  const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/ws`);
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const request = async (command: Record<string, unknown>) => {
    const id = nextId++;
    ws.send(JSON.stringify({ id, ...command }));
    await expect.poll(() => frames.some((f) => f.type === 'reply' && f.id === id), { timeout: 10_000 }).toBe(true);
    return frames.find((f) => f.type === 'reply' && f.id === id)!;
  };
  const login = await request({ type: 'login', username, password: USERS[username] });
  expect(login).toMatchObject({ ok: true });
  return { ws, frames, request, messages: () => frames.filter((f) => f.type === 'event' && f.event === 'message') };
}

// Without a binary these are reported as skipped (global-setup prints the reason once);
// Playwright exits 0 when every test is skipped.
test.describe('desktop app', () => {
  test.skip(electronMissing !== null, electronMissing ?? '');

  test('the window is sandboxed and exposes only the chat bridge', async ({ page }) => {
    const probe = await page.evaluate(() => ({
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      ipc: typeof (window as unknown as { ipcRenderer?: unknown }).ipcRenderer,
      bridge: Object.keys(window.chat).sort(),
      popup: window.open('https://example.org') === null,
    }));
    expect(probe).toEqual({
      require: 'undefined',
      process: 'undefined',
      ipc: 'undefined',
      bridge: [
        'appInfo',
        'checkForUpdates',
        'getSettings',
        'hostStart',
        'hostStatus',
        'hostStop',
        'installUpdate',
        'onEvent',
        'request',
        'resume',
        'retry',
        'send',
        'setSettings',
        'setUnread',
        'signIn',
        'signOut',
        'startDiscovery',
        'stopDiscovery',
        'takeLinks',
        'updateStatus',
      ],
      popup: true,
    });
    // The page comes from the privileged app:// scheme, not file://, with the CSP header.
    expect(await page.evaluate(() => location.href)).toBe('app://chat/index.html');
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    const info = await page.evaluate(() => window.chat.appInfo());
    expect(info).toMatchObject({ ok: true, value: { version: expect.any(String), credentialStore: expect.stringMatching(/keytar|safe-storage|none/) } });
  });

  test('settings persist in the profile through the bridge; updates are off in a build run from sources', async ({ page }) => {
    const first = await page.evaluate(() => window.chat.getSettings());
    expect(first).toMatchObject({ ok: true, value: { settings: { startAtLogin: false, notifications: { enabled: true, sound: true, preview: true } } } });
    const changed = await page.evaluate(() => window.chat.setSettings({ notifications: { preview: false }, closeToTray: false }));
    expect(changed).toMatchObject({ ok: true, value: { settings: { closeToTray: false, notifications: { preview: false } } } });
    const refused = await page.evaluate(() => window.chat.setSettings({ updates: { enabled: true, url: 'https://updates.example.org/' } }));
    expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await page.evaluate(() => window.chat.updateStatus())).toMatchObject({ ok: true, value: { state: 'disabled' } });
    expect(await page.evaluate(() => window.chat.takeLinks())).toEqual({ ok: true, value: [] });
  });

  test('sign in, send, receive, sign out', async ({ page, server }) => {
    const bob = await rawClient(server.wsPort!, 'bob');
    await page.evaluate(() => {
      window.__pushes = [];
      window.chat.onEvent((channel, payload) => window.__pushes!.push({ channel, payload }));
    });

    const signedIn = await page.evaluate(
      (address) => window.chat.signIn({ server: address, username: 'alice', password: 'alice-pw', remember: false }),
      `127.0.0.1:${server.wsPort}`,
    );
    expect(signedIn).toMatchObject({ ok: true, value: { username: 'alice' } });
    expect(JSON.stringify(signedIn)).not.toContain('token');

    // Main refuses login through the generic channel.
    const sneaky = await page.evaluate(() => window.chat.request({ type: 'logout' }));
    expect(sneaky).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });

    const sent = await page.evaluate(() => window.chat.send({ type: 'message', to: 'bob', text: 'hello from the desktop' }));
    expect(sent).toMatchObject({ ok: true, value: { sent: true } });
    await expect.poll(() => bob.messages().map((m) => (m.message as { text: string }).text)).toEqual(['hello from the desktop']);

    await bob.request({ type: 'message', to: 'alice', text: 'hello from ws' });
    await expect
      .poll(() =>
        page.evaluate(() =>
          window
            .__pushes!.filter((p) => p.channel === 'server:event' && (p.payload as { event: string }).event === 'message')
            .map((p) => (p.payload as { message: { text: string } }).message.text),
        ),
      )
      .toEqual(['hello from ws']);

    const who = await page.evaluate(() => window.chat.request({ type: 'whoelse' }));
    expect(who).toEqual({ ok: true, value: { users: ['bob'] } });

    expect(await page.evaluate(() => window.chat.signOut(true))).toEqual({ ok: true, value: undefined });
    const states = await page.evaluate(() =>
      window.__pushes!.filter((p) => p.channel === 'connection:state').map((p) => (p.payload as { state: string }).state),
    );
    expect(states).toEqual(['connecting', 'online', 'signed-out']);
    const whoelse = await bob.request({ type: 'whoelse' });
    expect(whoelse).toMatchObject({ ok: true, result: { users: [] } });
    bob.ws.close();
  });
});
