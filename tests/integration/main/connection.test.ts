// main/connection.ts against the real server: sign-in with a remembered token, events
// forwarded to the renderer unchanged, notifications and unread count while the window
// is in the background, reconnect + resume + outbox across a restart, and quitting.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Connection, wsSocketFactory } from '../../../main/connection';
import { createCredentialStore, type CredentialStore } from '../../../main/credentials';
import type { Push, PushChannel } from '../../../main/ipc/contract';
import { ChatSession } from '../../../server/client';
import { upload } from '../../helpers/files';
import { TcpProxy } from '../../helpers/tcp-proxy';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { USERS } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';
import { FakeKeytar, FakeNotifications, FakeSafeStorage } from '../../unit/main/fakes';

let server: TestServer;
let userData: string;
const cleanups: Array<() => void | Promise<void>> = [];

beforeEach(async () => {
  server = await startTestServer();
  userData = await mkdtemp(path.join(os.tmpdir(), 'chat-userdata-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await server.stop();
  await rm(userData, { recursive: true, force: true });
});

async function desktop(credentials?: CredentialStore, muted: string[] = []) {
  const store = credentials ?? (await createCredentialStore({ dir: userData, loadKeytar: async () => null, safeStorage: new FakeSafeStorage() }));
  const pushes: Array<{ channel: PushChannel; payload: unknown }> = [];
  const notifications = new FakeNotifications();
  const unread: number[] = [];
  let focused = false;
  let revealed = 0;
  const connection = new Connection({
    credentials: store,
    notifications,
    muted: () => muted,
    push: <C extends PushChannel>(channel: C, payload: Push[C]) => pushes.push({ channel, payload }),
    isWindowFocused: () => focused,
    revealWindow: () => revealed++,
    onUnread: (n) => unread.push(n),
    session: { backoff: { initialMs: 50, maxMs: 200, jitter: 0 }, requestTimeoutMs: 5000, ackDelayMs: 20 },
  });
  cleanups.push(() => connection.session.close());
  return {
    connection,
    store,
    pushes,
    notifications,
    unread,
    focus: (f: boolean) => (focused = f),
    revealed: () => revealed,
    of: <C extends PushChannel>(channel: C) => pushes.filter((p) => p.channel === channel).map((p) => p.payload as Push[C]),
  };
}

async function peer(username: keyof typeof USERS) {
  const session = new ChatSession({ createSocket: wsSocketFactory(), backoff: { initialMs: 50, maxMs: 200, jitter: 0 } });
  cleanups.push(() => session.close());
  await session.signIn({ url: server.wsUrl, username, password: USERS[username] });
  return session;
}

const serverAddress = () => `127.0.0.1:${server.wsPort}`;

describe('Connection (main) against the real server', () => {
  it('signs in, stores only the token, and forwards state and events unchanged', async () => {
    const d = await desktop();
    const result = await d.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: true });
    expect(result).toMatchObject({ username: 'alice', server: serverAddress() });
    expect(result).not.toHaveProperty('token');
    expect(d.of('connection:state').map((s) => s.state)).toEqual(['connecting', 'online']);
    const stored = await d.store.load();
    expect(stored).toMatchObject({ server: serverAddress(), username: 'alice', token: expect.any(String) });

    const bob = await peer('bob');
    await bob.send({ type: 'message', to: 'alice', text: 'hi from bob' });
    await waitUntil(() => d.of('server:event').some((e) => e.event === 'message'), 'the forwarded message');
    const forwarded = d.of('server:event').find((e) => e.event === 'message');
    expect(forwarded).toEqual({
      type: 'event',
      event: 'message',
      seq: expect.any(Number),
      offline: false,
      message: { id: expect.any(Number), kind: 'private', from: 'bob', to: 'alice', text: 'hi from bob', ts: expect.any(Number) },
    });
    expect(d.of('server:event')[0]).toMatchObject({ event: 'hello' });
  });

  it('notifies and counts unread only while the window is in the background', async () => {
    const d = await desktop();
    await d.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: false });
    const bob = await peer('bob');
    d.focus(true);
    await bob.send({ type: 'message', to: 'alice', text: 'seen right away' });
    await waitUntil(() => d.of('server:event').filter((e) => e.event === 'message').length === 1, 'first message');
    expect(d.notifications.shown).toEqual([]);
    d.focus(false);
    await bob.send({ type: 'broadcast', text: 'x'.repeat(500) });
    await bob.send({ type: 'message', to: 'alice', text: 'are you there?' });
    await waitUntil(() => d.notifications.shown.length === 2, 'two notifications');
    expect(d.notifications.shown.map((n) => n.title)).toEqual(['bob (everyone)', 'bob']);
    expect(d.notifications.shown[0]!.body.length).toBeLessThanOrEqual(180);
    expect(d.connection.unread).toBe(2);
    d.notifications.shown[1]!.click();
    expect(d.revealed()).toBe(1);
    d.connection.windowFocused();
    expect(d.unread).toEqual([1, 2, 0]);
    // Nothing remembered without "remember".
    expect(await d.store.load()).toBeNull();
  });

  it('with no credential store, "remember me" remembers nothing: quitting logs out and revokes the token', async () => {
    const safeStorage = new FakeSafeStorage();
    safeStorage.available = false;
    const none = await createCredentialStore({ dir: userData, loadKeytar: async () => null, safeStorage });
    expect(none.backend).toBe('none');
    const d = await desktop(none);
    await d.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: true });
    const token = d.connection.session.token;
    expect(token).not.toBeNull();
    await d.connection.shutdown();
    // Nobody kept this token, so it must not outlive the session.
    const other = new ChatSession({ createSocket: wsSocketFactory() });
    cleanups.push(() => other.close());
    await expect(other.signIn({ url: server.wsUrl, username: 'alice', token: token! })).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('notifications name the sender by display name, as the window does, following changes', async () => {
    const bob = await peer('bob');
    await bob.request({ type: 'profile', displayName: 'Bob Builder' });
    const d = await desktop();
    await d.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: false });
    d.focus(false);
    await bob.send({ type: 'message', to: 'alice', text: 'hi' });
    await bob.send({ type: 'broadcast', text: 'hello all' });
    await waitUntil(() => d.notifications.shown.length === 2, 'two notifications');
    await bob.request({ type: 'profile', displayName: 'Robert' });
    await waitUntil(() => d.of('server:event').some((e) => e.event === 'profile'), 'the profile event');
    await bob.send({ type: 'message', to: 'alice', text: 'call me Robert' });
    await waitUntil(() => d.notifications.shown.length === 3, 'third notification');
    expect(d.notifications.shown.map((n) => n.title)).toEqual(['Bob Builder', 'Bob Builder (everyone)', 'Robert']);
  });

  it('a notification for a message with only files says what it carries', async () => {
    const d = await desktop();
    await d.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: false });
    const bob = await peer('bob');
    d.focus(false);
    const { token } = await bob.request({ type: 'file-token' });
    const uploads = await Promise.all(['a.txt', 'b.txt'].map((name) => upload(`http://127.0.0.1:${server.wsPort}`, token, name, 'hello')));
    const [one, two] = uploads.map((u) => u.body.id);
    await bob.send({ type: 'message', to: 'alice', text: '', attachments: [one!] });
    await bob.send({ type: 'message', to: 'alice', text: '', attachments: [one!, two!] });
    await waitUntil(() => d.notifications.shown.length === 2, 'two notifications');
    expect(d.notifications.shown.map((n) => [n.title, n.body])).toEqual([
      ['bob', 'A file'],
      ['bob', '2 files'],
    ]);
  });

  it('muted conversations stay quiet (unread still counts) unless a group message or broadcast mentions me', async () => {
    const muted = ['u:bob', 'everyone'];
    const d = await desktop(undefined, muted);
    await d.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: false });
    const bob = await peer('bob');
    d.focus(false);
    await bob.send({ type: 'message', to: 'alice', text: 'muted chat' });
    await bob.send({ type: 'message', to: 'alice', text: '@alice a private mention does not break the mute' });
    await bob.send({ type: 'broadcast', text: 'muted broadcast' });
    await bob.send({ type: 'broadcast', text: 'standup now @alice' });
    await waitUntil(() => d.connection.unread === 4, 'four unread');
    await waitUntil(() => d.notifications.shown.length === 1, 'one notification');
    expect(d.notifications.shown.map((n) => [n.title, n.body])).toEqual([['bob (everyone) (mentioned you)', 'standup now @alice']]);
    // Unmuted (main reads the settings anew each time): bob's messages notify again.
    muted.splice(0);
    await bob.send({ type: 'message', to: 'alice', text: 'and now?' });
    await waitUntil(() => d.notifications.shown.length === 2, 'second notification');
    expect(d.notifications.shown[1]!.title).toBe('bob');
  });

  it('resumes with the stored token in a new app run, and forgets it on sign-out', async () => {
    const first = await desktop();
    await first.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: true });
    await first.connection.shutdown(); // quitting with "remember": no logout, the token stays valid
    const second = await desktop(first.store);
    const resumed = await waitForResume(second.connection);
    expect(resumed).toMatchObject({ username: 'alice', server: serverAddress() });
    expect(resumed).not.toHaveProperty('token');
    await second.connection.signOut(false);
    expect(await second.store.load()).toBeNull();
    const third = await desktop(first.store);
    expect(await third.connection.resume()).toBeNull();
  });

  it('keeps the rotated token in the keychain: each start and each silent reconnect stores the newest one', async () => {
    const keytar = new FakeKeytar();
    const keychain = await createCredentialStore({ dir: userData, loadKeytar: async () => keytar, safeStorage: new FakeSafeStorage() });
    expect(keychain.backend).toBe('keytar');
    const stored = async () => (await keychain.load())?.token;
    const first = await desktop(keychain);
    await first.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: true });
    const tokens = [await stored()];
    await first.connection.shutdown();
    // Three more starts: each signs in silently with the stored token and stores the one that replaces it.
    for (let run = 0; run < 3; run++) {
      const next = await desktop(keychain);
      expect(await waitForResume(next.connection)).toMatchObject({ username: 'alice' });
      await waitUntil(async () => (await stored()) === next.connection.session.token, 'the rotated token to be stored');
      tokens.push(await stored());
      await next.connection.shutdown();
    }
    expect(new Set(tokens).size).toBe(4);
    expect([...keytar.items.values()]).toContain(tokens.at(-1));
    // The connection drops (server restart): the silent reconnect signs in with the newest token and stores its successor.
    const last = tokens.at(-1);
    const live = (await desktop(keychain)).connection;
    expect(await waitForResume(live)).toMatchObject({ username: 'alice' });
    await waitUntil(async () => (await stored()) === live.session.token && live.session.token !== last, 'the resumed token to be stored');
    const beforeDrop = await stored();
    await server.server.close('restart');
    await waitUntil(() => live.session.state.state === 'reconnecting', 'reconnecting');
    await server.restart();
    await waitUntil(() => live.session.state.state === 'online', 'back online', 10_000);
    await waitUntil(async () => (await stored()) === live.session.token && live.session.token !== beforeDrop, 'the reconnect token to be stored');
    live.session.close();
    // The next start still signs in silently.
    const after = await desktop(keychain);
    expect(await waitForResume(after.connection)).toMatchObject({ username: 'alice' });
  });

  it('quitting without "remember" logs out, which revokes the token', async () => {
    const d = await desktop();
    await d.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: false });
    const token = d.connection.session.token!;
    await d.connection.shutdown();
    expect(d.connection.session.state.state).toBe('signed-out');
    const probe = new ChatSession({ createSocket: wsSocketFactory() });
    cleanups.push(() => probe.close());
    await expect(probe.signIn({ url: server.wsUrl, username: 'alice', token })).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('reconnects after a server restart, resumes, and flushes the outbox', async () => {
    const d = await desktop();
    await d.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: false });
    const bob = await peer('bob');
    const bobGot: string[] = [];
    bob.onEvent((e) => {
      if (e.event === 'message') bobGot.push(e.message.text);
    });

    await server.server.close('restart');
    await waitUntil(() => d.connection.session.state.state === 'reconnecting', 'alice reconnecting');
    const queued = await d.connection.send({ type: 'message', to: 'bob', text: 'written offline' });
    expect(queued).toMatchObject({ sent: false, queued: { command: { text: 'written offline' } } });
    await server.restart();
    await waitUntil(() => d.connection.session.state.state === 'online' && bob.state.state === 'online', 'both back', 10_000);
    await waitUntil(() => bobGot.includes('written offline'), 'the outbox to be delivered');
    const outboxes = d.of('outbox:changed');
    expect(outboxes.map((o) => o.length)).toEqual([1, 0]);
    const states = d.of('connection:state').map((s) => s.state);
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('online');
    await bob.send({ type: 'message', to: 'alice', text: 'after restart' });
    await waitUntil(() => d.of('server:event').some((e) => e.event === 'message' && e.message.text === 'after restart'), 'live delivery');
  });

  it('a send whose reply is lost keeps its key through the outbox: stored once, the repeat answered with it and pushed to the renderer', async () => {
    const proxy = new TcpProxy({ host: '127.0.0.1', port: server.wsPort });
    await proxy.open();
    cleanups.push(() => proxy.cut());
    const d = await desktop();
    await d.connection.signIn({ server: `127.0.0.1:${proxy.port}`, username: 'alice', password: USERS.alice, remember: false });
    const bob = await peer('bob');
    const bobGot: Array<{ id: number; text: string }> = [];
    bob.onEvent((e) => {
      if (e.event === 'message') bobGot.push({ id: e.message.id, text: e.message.text });
    });

    proxy.dropReplyContaining('stored, reply lost');
    const outcome = await d.connection.send({ type: 'message', to: 'bob', text: 'stored, reply lost' });
    expect(proxy.repliesDropped).toBe(1);
    expect(outcome).toMatchObject({ sent: false, queued: { command: { text: 'stored, reply lost', clientKey: expect.stringMatching(/^[0-9a-f]{32}$/) } } });
    const key = outcome.sent ? '' : outcome.queued.command.clientKey;

    await waitUntil(() => d.of('outbox:sent').length === 1, 'the outbox flush to be answered', 10_000);
    const stored = bobGot.find((m) => m.text === 'stored, reply lost');
    const [answered] = d.of('outbox:sent');
    expect(answered?.item.command.clientKey).toBe(key);
    expect(answered?.reply.message).toMatchObject({ id: stored?.id, text: 'stored, reply lost', from: 'alice', to: 'bob' });
    expect(d.of('outbox:changed').map((o) => o.length)).toEqual([1, 0]);

    await d.connection.send({ type: 'message', to: 'bob', text: 'marker' });
    await waitUntil(() => bobGot.some((m) => m.text === 'marker'), 'the marker');
    expect(bobGot.filter((m) => m.text === 'stored, reply lost')).toHaveLength(1);
    const history = await bob.request({ type: 'history', with: 'alice' });
    expect(history.messages.filter((m) => m.text === 'stored, reply lost')).toHaveLength(1);
  });

  it('chat requests need a connection; refusals keep their wire code', async () => {
    const d = await desktop();
    await expect(d.connection.request({ type: 'whoelse' })).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await expect(d.connection.send({ type: 'broadcast', text: 'x' })).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await expect(d.connection.signIn({ server: serverAddress(), username: 'alice', password: 'nope', remember: true })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await d.connection.signIn({ server: serverAddress(), username: 'alice', password: USERS.alice, remember: false });
    await expect(d.connection.request({ type: 'ping', user: 'zed' })).rejects.toMatchObject({ code: 'UNKNOWN_USER' });
  });
});

/** Right after a socket closes the server may briefly still hold the session. */
async function waitForResume(connection: Connection) {
  for (let i = 0; ; i++) {
    try {
      return await connection.resume();
    } catch (err) {
      if ((err as { code?: string }).code !== 'ALREADY_SIGNED_IN' || i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
