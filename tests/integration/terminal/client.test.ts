// The terminal client (`npm run client`) driven in a real pseudo-terminal
// against the real server: the hidden password, a message arriving while a line
// is being typed, completion and history, colours and NO_COLOR, Ctrl+C and a
// closed terminal, and a server restart in the middle of a session.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChatSession } from '../../../server/client';
import { wsSocketFactory } from '../../../server/client/node';
import type { EventOf } from '../../../server/protocol';
import { upload } from '../../helpers/files';
import { SGR, spawnInPty, type PtySession } from '../../helpers/pty';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { TcpProxy } from '../../helpers/tcp-proxy';
import { passwordOf } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';

let server: TestServer;
let configRoot: string;
const ptys: PtySession[] = [];
const sessions: ChatSession[] = [];

beforeAll(async () => {
  server = await startTestServer();
  configRoot = await mkdtemp(path.join(os.tmpdir(), 'chat-terminal-'));
});

afterEach(async () => {
  for (const p of ptys.splice(0)) p.dispose();
  await Promise.all(sessions.splice(0).map((s) => s.signOut()));
});

afterAll(async () => {
  await server.stop();
  await rm(configRoot, { recursive: true, force: true });
});

/** The client in a pseudo-terminal, with a config dir of its own and no keychain unless asked. */
async function client(args: string[] = [], env: NodeJS.ProcessEnv = { NO_COLOR: '1' }, size: { cols?: number; rows?: number } = {}, url = server.wsUrl) {
  const configDir = await mkdtemp(path.join(configRoot, 'cfg-'));
  const baseEnv: NodeJS.ProcessEnv = { ...process.env };
  delete baseEnv.NO_COLOR;
  delete baseEnv.FORCE_COLOR;
  // Node counts a terminal under CI=true as two-coloured (tty.getColorDepth); a person's terminal is not.
  delete baseEnv.CI;
  const session = spawnInPty([url, '--config-dir', configDir, '--no-keychain', ...args], { env: { ...baseEnv, ...env }, ...size });
  ptys.push(session);
  return session;
}

/** Signs in at the prompts: Username (unless given with --user), Password, and "no" to remember me. */
async function signIn(term: PtySession, username: string, options: { prompted?: boolean; remember?: 'y' | 'n' } = {}): Promise<void> {
  if (options.prompted !== false) {
    await term.waitFor('Username:');
    term.type(`${username}\r`);
  }
  await term.waitFor('Password:');
  term.type(`${passwordOf(username)}\r`);
  await term.waitFor('Remember me on this computer? [y/N]');
  term.type(`${options.remember ?? 'n'}\r`);
  await term.waitFor(`${username}>`, `the prompt of ${username}`);
}

/** Another user, on the client library over real WebSockets; `received` collects what reaches them, `presence` the changes of those they `watch`. */
async function person(username: string, watch: string[] = []) {
  const session = new ChatSession({ createSocket: wsSocketFactory(), backoff: { initialMs: 50, maxMs: 300, jitter: 0 }, ackDelayMs: 20 });
  sessions.push(session);
  const received: Array<EventOf<'message'>> = [];
  const presence: Array<EventOf<'presence'>> = [];
  session.onEvent((e) => {
    if (e.event === 'message') received.push(e);
    if (e.event === 'presence') presence.push(e);
  });
  await session.signIn({ url: server.wsUrl, username, password: passwordOf(username) });
  if (watch.length > 0) await session.request({ type: 'watch', users: watch });
  return { session, received, presence };
}

const lastRow = (rows: string[]) => rows[rows.length - 1] ?? '';
const count = (rows: string[], pattern: RegExp) => rows.filter((r) => pattern.test(r)).length;

// Each test starts the client through tsx, which compiles on start: slow on two busy cores.
describe('terminal client', { timeout: 90_000 }, () => {
  it('reads the password with echo off, prints plain text under NO_COLOR, and Ctrl+C logs out cleanly (exit 0)', async () => {
    const bob = await person('bob', ['alice']);
    const term = await client();
    await term.waitFor(`Connected to chat at ${server.wsUrl}.`);
    await signIn(term, 'alice');
    expect(term.raw).not.toContain(passwordOf('alice'));
    expect(await term.text()).toMatch(/Password: *\n/);
    await term.waitFor('Welcome, alice! Type "help" for commands.');

    await bob.session.send({ type: 'message', to: 'alice', text: 'plain please' });
    await term.waitFor(/#\d+ \[\d\d:\d\d\] bob \(private\): plain please/);
    expect(term.raw).not.toMatch(SGR);

    await waitUntil(() => bob.presence.some((p) => p.user === 'alice' && p.online), 'bob to see alice online');
    term.type('\x03');
    expect((await term.waitForExit()).code).toBe(0);
    expect(await term.text()).toContain('Goodbye.');
    // The session ended on the server: bob hears alice leave and she is no longer online.
    await waitUntil(() => bob.presence.some((p) => p.user === 'alice' && !p.online), 'bob to see alice go offline');
    expect((await bob.session.request({ type: 'whoelse' })).users).not.toContain('alice');
  });

  it('prints an incoming message above the line being typed, in colour, and keeps the partial input', async () => {
    const bob = await person('bob');
    const term = await client(['--user', 'carol'], { TERM: 'xterm-256color' }, { cols: 60, rows: 20 });
    await signIn(term, 'carol', { prompted: false });

    term.type('message bob hel');
    await term.waitUntil((r) => lastRow(r) === 'carol> message bob hel', 'the partial line');
    await bob.session.send({ type: 'message', to: 'carol', text: 'knock knock' });
    await term.waitUntil((r) => count(r, /bob \(private\): knock knock$/) === 1 && lastRow(r) === 'carol> message bob hel', 'the message above the line');
    let rows = await term.rows();
    expect(rows.at(-2)).toMatch(/^#\d+ \[\d\d:\d\d\] bob \(private\): knock knock$/);
    expect(count(rows, /message bob hel/)).toBe(1);
    // The delivery is coloured: sender bold cyan, kind magenta (the text itself stays plain).
    expect(term.raw).toContain('\x1b[1m\x1b[36mbob\x1b[0m');

    term.type('lo\r');
    await waitUntil(() => bob.received.some((m) => m.message.text === 'hello'), 'bob to get "hello"');
    await term.waitFor('Sent to bob.');

    // A partial line that wraps over three rows survives a message too.
    const long = `broadcast ${'x'.repeat(130)}`;
    term.type(long);
    await term.waitUntil((r) => lastRow(r) === `carol> ${long}`, 'the wrapped partial line');
    await bob.session.send({ type: 'message', to: 'carol', text: 'second' });
    await term.waitUntil((r) => lastRow(r) === `carol> ${long}` && /bob \(private\): second$/.test(r.at(-2) ?? ''), 'the message above the wrapped line');
    rows = await term.rows();
    expect(rows.join('\n').split('x'.repeat(130)).length - 1).toBe(1);
    expect(count(rows, /knock knock/)).toBe(1);
    term.type('\x15logout\r');
    expect((await term.waitForExit()).code).toBe(0);
  });

  it('completes commands, user names and group names with Tab, and recalls lines with the arrow keys', async () => {
    const bob = await person('bob');
    const term = await client(['--user', 'dave']);
    await signIn(term, 'dave', { prompted: false });
    await bob.session.request({ type: 'create-group', group: 'team', members: ['dave'] });
    await term.waitFor('* bob created group team with you in it');

    term.type('whoe\t');
    await term.waitUntil((r) => lastRow(r) === 'dave> whoelse', 'whoe<Tab> to become whoelse');
    term.type('\r');
    await term.waitFor('Online now (1): bob');

    term.type('message b\t');
    await term.waitUntil((r) => lastRow(r) === 'dave> message bob', 'message b<Tab> to complete bob');
    term.type('hi bob\r');
    await term.waitFor('Sent to bob.');

    term.type('message group t\t');
    await term.waitUntil((r) => lastRow(r) === 'dave> message group team', 'message group t<Tab> to complete team');
    term.type('hi team\r');
    await term.waitFor('Sent to group team.');
    await waitUntil(() => bob.received.filter((m) => m.message.text === 'hi team').length === 1, 'bob to get the group message');

    // Two Tabs list every candidate when they share no longer prefix.
    term.type('w\t\t');
    await term.waitFor(/whoelse +wholasthr/);
    term.type('\x15');

    term.type('\x1b[A');
    await term.waitUntil((r) => lastRow(r) === 'dave> message group team hi team', 'Up to recall the last line');
    term.type('\x1b[A\x1b[A');
    await term.waitUntil((r) => lastRow(r) === 'dave> whoelse', 'Up twice more to reach whoelse');
    term.type('\r');
    await term.waitUntil((r) => count(r, /^Online now \(1\): bob$/) === 2, 'whoelse to run again');
    term.type('\x03');
    expect((await term.waitForExit()).code).toBe(0);
  });

  it('shows a file as [file: name (size)] with a whole link that downloads, live and in history, as nc does', async () => {
    const bob = await person('bob');
    const term = await client(['--user', 'dave'], { NO_COLOR: '1' }, { cols: 240 });
    await signIn(term, 'dave', { prompted: false });
    const { token } = await bob.session.request({ type: 'file-token' });
    const origin = `http://127.0.0.1:${server.wsPort}`;
    const notes = await upload(origin, token, 'notes.txt', 'meeting notes\n');
    await bob.session.send({ type: 'message', to: 'dave', text: 'read this', attachments: [notes.body.id] });
    const link = new RegExp(`\\[file: notes\\.txt \\(14 B\\)\\] (${origin}/api/files/${notes.body.id}\\?expires=\\d+&sig=[\\w-]+)$`);
    await term.waitUntil((r) => r.some((row) => /bob \(private\): read this /.test(row) && link.test(row)), 'the delivery with a whole link');
    term.type('history bob\r');
    await term.waitUntil((r) => r.some((row) => /^\d+ \[\d\d:\d\d\] bob: read this /.test(row) && link.test(row)), 'the history line with a whole link');
    const shown = (await term.rows()).find((row) => link.test(row))!.match(link)![1]!;
    const res = await fetch(shown);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('meeting notes\n');
    term.type('\x03');
    expect((await term.waitForExit()).code).toBe(0);
  });

  it('closing the terminal (SIGHUP) logs out and exits 0', async () => {
    const bob = await person('bob', ['erin']);
    const term = await client(['--user', 'erin']);
    await signIn(term, 'erin', { prompted: false });
    await waitUntil(() => bob.presence.some((p) => p.user === 'erin' && p.online), 'bob to see erin online');
    term.hangUp();
    // It exits by itself (code 0), not killed by the signal.
    expect(await term.waitForExit()).toEqual({ code: 0, signal: 0 });
    await waitUntil(() => bob.presence.some((p) => p.user === 'erin' && !p.online), 'bob to see erin go offline');
  });

  it('survives a server restart: resumes without losing or repeating a message, and sends what waited in the outbox in order', async () => {
    const bob = await person('bob');
    const term = await client(['--user', 'alice']);
    await signIn(term, 'alice', { prompted: false });
    await bob.session.send({ type: 'message', to: 'alice', text: 'before the restart' });
    await term.waitFor('bob (private): before the restart');

    await server.pause('restarting');
    await term.waitFor('* Server is shutting down: restarting');
    await term.waitFor('alice (offline)>');
    term.type('message bob queued one\r');
    await term.waitFor('waits in the outbox (1 waiting)');
    term.type('message bob queued two\r');
    await term.waitFor('waits in the outbox (2 waiting)');
    // Other commands, a reply included, are refused at once and say so: they do not wait.
    term.type('reply 1 not queued\r');
    await term.waitFor('error NOT_CONNECTED: Not connected to the server (reconnecting); "reply" was not sent.');

    await server.resume();
    // Bob's library session reconnects too; whatever he sends now reaches alice live or on resume, once.
    await waitUntil(() => bob.session.state.state === 'online', 'bob to reconnect', 15_000);
    await bob.session.send({ type: 'message', to: 'alice', text: 'after the restart 1' });
    await bob.session.send({ type: 'message', to: 'alice', text: 'after the restart 2' });
    await term.waitFor('* Reconnected.', 'alice to reconnect', 20_000);
    // What the session replays on resume comes after the notice that it is back.
    await term.waitFor(/bob \(private(, offline)?\): after the restart 2/, 'the messages sent after the restart');
    await waitUntil(() => bob.received.filter((m) => m.message.from === 'alice').length >= 2, 'bob to get the queued messages', 10_000);

    expect(bob.received.filter((m) => m.message.from === 'alice').map((m) => m.message.text)).toEqual(['queued one', 'queued two']);
    const rows = await term.rows();
    expect(count(rows, /bob \(private(, offline)?\): before the restart$/)).toBe(1);
    expect(count(rows, /bob \(private(, offline)?\): after the restart 1$/)).toBe(1);
    expect(count(rows, /bob \(private(, offline)?\): after the restart 2$/)).toBe(1);
    expect(rows.findIndex((r) => r.endsWith('after the restart 1'))).toBeLessThan(rows.findIndex((r) => r.endsWith('after the restart 2')));
    term.type('\x03');
    expect((await term.waitForExit()).code).toBe(0);
  });

  describe('a message the server stored but whose reply was lost', () => {
    let proxy: TcpProxy;
    afterEach(async () => {
      await proxy.cut();
    });

    /** Alice in the terminal, talking to the server through the proxy; bob on the library. */
    async function throughProxy() {
      proxy = new TcpProxy({ host: '127.0.0.1', port: server.wsPort });
      await proxy.open();
      const bob = await person('bob');
      const term = await client(['--user', 'alice'], { NO_COLOR: '1' }, {}, `ws://127.0.0.1:${proxy.port}/ws`);
      await signIn(term, 'alice', { prompted: false });
      return { bob, term };
    }

    /** After a marker message reaches bob (so any second copy would have come first): the copies of `text` at bob, and the "Sent" lines about it. */
    async function afterMarker(bob: Awaited<ReturnType<typeof person>>, term: PtySession, text: string) {
      term.type('message bob marker\r');
      await waitUntil(() => bob.received.some((m) => m.message.text === 'marker'), 'the marker at bob');
      await term.waitFor('Sent to bob.');
      const history = await bob.session.request({ type: 'history', with: 'alice' });
      const rows = await term.rows();
      return {
        live: bob.received.filter((m) => m.message.text === text).length,
        history: history.messages.filter((m) => m.text === text).length,
        sentLines: count(rows, new RegExp(`Sent your message to bob "${text}"`)),
      };
    }

    it('the connection drops before the reply: says so, resends on reconnect, prints "Sent" once, stored once', async () => {
      const { bob, term } = await throughProxy();
      proxy.dropReplyContaining('lost with the line');
      term.type('message bob lost with the line\r');
      await term.waitFor('* The connection dropped before the server answered: your message to bob "lost with the line" waits in the outbox (1 waiting);');
      await term.waitFor('* Reconnected.', 'alice to reconnect', 20_000);
      await term.waitFor('* Sent your message to bob "lost with the line" (sent again after the reply was lost; stored once).');
      expect(await afterMarker(bob, term, 'lost with the line')).toEqual({ live: 1, history: 1, sentLines: 1 });
      const rows = await term.rows();
      expect(count(rows, /Not connected:/)).toBe(0);
      term.type('\x03');
      expect((await term.waitForExit()).code).toBe(0);
    });

    it('no reply in 15 s while connected: says so (not "Not connected"), resends at once, prints "Sent" once, stored once', async () => {
      const { bob, term } = await throughProxy();
      proxy.swallowReplyContaining('never answered');
      term.type('message bob never answered\r');
      await waitUntil(() => bob.received.some((m) => m.message.text === 'never answered') && proxy.repliesDropped === 1, 'stored, its reply swallowed');
      await term.waitFor('* No reply from the server in 15 s: your message to bob "never answered" waits in the outbox (1 waiting);', 'the timeout', 25_000);
      await term.waitFor('* Sent your message to bob "never answered" (sent again after the reply was lost; stored once).');
      expect(await afterMarker(bob, term, 'never answered')).toEqual({ live: 1, history: 1, sentLines: 1 });
      const rows = await term.rows();
      expect(count(rows, /Not connected:/)).toBe(0);
      term.type('\x03');
      expect((await term.waitForExit()).code).toBe(0);
    });

    it('messages typed while an earlier one waits (connected) say, when they go or are refused, that they went after it, not "queued while offline"', async () => {
      const { bob, term } = await throughProxy();
      proxy.dropReplyContaining('first in line');
      term.type('message bob first in line\r');
      await term.waitFor('* The connection dropped before the server answered: your message to bob "first in line"');
      // The resend's reply is lost too, so the outbox stays busy while connected.
      proxy.swallowReplyContaining('first in line');
      await term.waitFor('* Reconnected.', 'alice to reconnect', 20_000);
      await waitUntil(() => proxy.repliesDropped === 2, 'the resend stored, its reply swallowed');
      term.type('message bob behind it\r');
      await term.waitFor('* Your message to bob "behind it" waits in the outbox (2 waiting) and goes out after the messages before it.');
      term.type('message nobody-here refused behind it\r');
      await term.waitFor('* Your message to nobody-here "refused behind it" waits in the outbox (3 waiting) and goes out after the messages before it.');
      // A new connection flushes the outbox in order.
      await proxy.cut();
      await proxy.open();
      await term.waitFor('* Sent your message to bob "first in line" (sent again after the reply was lost; stored once).', 'the resend', 20_000);
      await term.waitFor('* Sent your message to bob "behind it" (sent after the messages before it).');
      await term.waitFor('(your message to nobody-here "refused behind it", queued behind the messages before it, was not sent)');
      expect(count(await term.rows(), /queued while offline/)).toBe(0);
      expect(await afterMarker(bob, term, 'behind it')).toEqual({ live: 1, history: 1, sentLines: 1 });
      expect(bob.received.filter((m) => m.message.text === 'first in line')).toHaveLength(1);
      term.type('\x03');
      expect((await term.waitForExit()).code).toBe(0);
    });
  });
});
