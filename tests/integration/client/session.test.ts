// ChatSession against the real server over real WebSockets on loopback: sign-in/out,
// errors, requests, deliveries, and the delivery guarantees across a server restart
// (same data dir and port) and across a dropped socket: nothing lost, nothing twice;
// a message whose reply was lost (stored, then the connection cut) is sent again
// with the same key and so arrives once.
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wsSocketFactory, type WsSocketHandle } from '../../../server/client/node';
import { ChatSession, type ChatSessionOptions } from '../../../server/client';
import type { EventOf } from '../../../server/protocol';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { USERS } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';

let server: TestServer;
const sessions: ChatSession[] = [];

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await server.stop();
});

/** A session on real `ws` sockets (the desktop app's adapter); `sockets` lets a test cut the line. */
function newSession(options: Partial<ChatSessionOptions> = {}) {
  const sockets: WsSocketHandle[] = [];
  const open = wsSocketFactory();
  const session = new ChatSession({
    createSocket: (url, events) => {
      const socket = open(url, events);
      sockets.push(socket);
      return socket;
    },
    backoff: { initialMs: 50, maxMs: 200, jitter: 0 },
    requestTimeoutMs: 5000,
    ackDelayMs: 20,
    ...options,
  });
  sessions.push(session);
  const received: Array<EventOf<'message'>> = [];
  session.onEvent((e) => {
    if (e.event === 'message') received.push(e);
  });
  return { session, sockets, received, texts: () => received.map((e) => e.message.text) };
}

const signIn = (session: ChatSession, username: keyof typeof USERS, password = USERS[username]) => session.signIn({ url: server.wsUrl, username, password });

/**
 * A TCP proxy in front of the server's WebSocket port that can lose replies:
 * after eatNextReplies(), the next bytes a client sends pass through, and from
 * then on everything the server sends back on that connection is dropped, until
 * cutEating() destroys it (the server committed; the client never heard). stop()
 * refuses new connections (the network is down) until start() again.
 */
class ReplyLosingProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket; eating: boolean }>();
  private armed = false;
  port = 0;
  /** Bytes the server sent that were dropped. */
  eaten = 0;

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      const pair = { client, upstream, eating: false };
      this.pairs.add(pair);
      client.on('data', (chunk) => {
        if (this.armed) {
          this.armed = false;
          pair.eating = true;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (pair.eating) this.eaten += chunk.length;
        else client.write(chunk);
      });
      for (const s of [client, upstream]) {
        s.on('error', () => s.destroy());
        s.on('close', () => {
          client.destroy();
          upstream.destroy();
          this.pairs.delete(pair);
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  eatNextReplies(): void {
    this.armed = true;
  }

  cutEating(): void {
    for (const pair of this.pairs) if (pair.eating) pair.client.destroy();
  }

  /** Closes the listener and every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const pair of this.pairs) pair.client.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('ChatSession: a message whose reply was lost is delivered once', () => {
  let proxy: ReplyLosingProxy;

  beforeEach(async () => {
    proxy = new ReplyLosingProxy(server.wsPort);
    await proxy.start();
  });

  afterEach(async () => {
    await proxy.stop();
  });

  /** Bob's copies of `text`, as delivered live and as his history with alice holds them. */
  async function copiesAtBob(bob: ReturnType<typeof newSession>, text: string): Promise<{ live: number; history: number }> {
    const history = await bob.session.request({ type: 'history', with: 'alice' });
    return { live: bob.texts().filter((t) => t === text).length, history: history.messages.filter((m) => m.text === text).length };
  }

  it('the outbox: queued offline, stored on reconnect, the reply lost with the connection, sent again: one copy', async () => {
    const alice = newSession();
    const bob = newSession();
    await alice.session.signIn({ url: proxy.url, username: 'alice', password: USERS.alice });
    await signIn(bob.session, 'bob');

    // The network goes down: the message waits in the outbox.
    await proxy.stop();
    await waitUntil(() => alice.session.state.state !== 'online', 'alice to notice the drop');
    const outcome = await alice.session.send({ type: 'message', to: 'bob', text: 'through the outbox' });
    expect(outcome.sent).toBe(false);
    const key = alice.session.pendingOutbox[0]?.command.clientKey;
    expect(key).toMatch(/^[0-9a-f]{32}$/);

    // Back: the flush right after the sign-in goes out, the server stores it, its reply is lost.
    let lose = true;
    alice.session.onState((s) => {
      if (s.state === 'online' && lose) {
        lose = false;
        proxy.eatNextReplies();
      }
    });
    await proxy.start();
    await waitUntil(() => bob.texts().includes('through the outbox') && proxy.eaten > 0, 'the message stored and its reply dropped', 10_000);
    expect(alice.session.pendingOutbox.map((i) => i.command.clientKey)).toEqual([key]);
    proxy.cutEating();

    // Alice resumes and flushes again, with the same key: answered, not stored again.
    await waitUntil(() => alice.session.state.state === 'online' && alice.session.pendingOutbox.length === 0, 'the outbox to empty', 10_000);
    await alice.session.send({ type: 'message', to: 'bob', text: 'marker' });
    await waitUntil(() => bob.texts().includes('marker'), 'the marker');
    expect(await copiesAtBob(bob, 'through the outbox')).toEqual({ live: 1, history: 1 });
  });

  it('a direct send whose reply is lost goes to the outbox with its key and is not stored twice', async () => {
    const alice = newSession();
    const bob = newSession();
    await alice.session.signIn({ url: proxy.url, username: 'alice', password: USERS.alice });
    await signIn(bob.session, 'bob');

    const answered: Array<{ key: string | undefined; id: number }> = [];
    alice.session.onOutboxSent((item, reply) => answered.push({ key: item.command.clientKey, id: reply.message.id }));
    proxy.eatNextReplies();
    const sending = alice.session.send({ type: 'message', to: 'bob', text: 'sent directly' });
    await waitUntil(() => bob.texts().includes('sent directly') && proxy.eaten > 0, 'the message stored and its reply dropped');
    proxy.cutEating();
    const outcome = await sending;
    expect(outcome.sent).toBe(false);
    expect(outcome.sent === false && outcome.queued.command.clientKey).toMatch(/^[0-9a-f]{32}$/);

    await waitUntil(() => alice.session.state.state === 'online' && alice.session.pendingOutbox.length === 0, 'the outbox to empty', 10_000);
    // The resend's answer is reported with the message stored the first time (the id bob got).
    const stored = bob.received.find((e) => e.message.text === 'sent directly');
    expect(answered).toEqual([{ key: outcome.sent === false ? outcome.queued.command.clientKey : '', id: stored?.message.id }]);
    await alice.session.send({ type: 'message', to: 'bob', text: 'marker' });
    await waitUntil(() => bob.texts().includes('marker'), 'the marker');
    expect(await copiesAtBob(bob, 'sent directly')).toEqual({ live: 1, history: 1 });
  });
});

describe('ChatSession against the real server', () => {
  it('signs in and out', async () => {
    const alice = newSession();
    const bob = newSession();
    const states: string[] = [];
    alice.session.onState((s) => states.push(s.state));
    const result = await signIn(alice.session, 'alice');
    expect(result.username).toBe('alice');
    expect(alice.session.token).toEqual(expect.any(String));
    await signIn(bob.session, 'bob');
    expect(await bob.session.request({ type: 'whoelse' })).toEqual({ users: ['alice'], profiles: [{ username: 'alice', displayName: null, avatarUrl: null }] });

    await alice.session.signOut();
    expect(alice.session.state).toEqual({ state: 'signed-out' });
    expect(alice.session.token).toBeNull();
    await waitUntil(async () => (await bob.session.request({ type: 'whoelse' })).users.length === 0, 'alice to be gone');
    expect(states).toEqual(['connecting', 'online', 'signed-out']);
  });

  it('rejects a wrong password with INVALID_CREDENTIALS and an unreachable server with UNREACHABLE', async () => {
    const alice = newSession();
    await expect(signIn(alice.session, 'alice', 'wrong')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(alice.session.state.state).toBe('signed-out');
    const nowhere = newSession();
    // Port 1 on loopback: nothing listens there, the connection is refused.
    await expect(nowhere.session.signIn({ url: 'ws://127.0.0.1:1/ws', username: 'alice', password: USERS.alice })).rejects.toMatchObject({
      code: 'UNREACHABLE',
    });
  });

  it('matches replies to requests and rejects refused commands with the server code', async () => {
    const alice = newSession();
    await signIn(alice.session, 'alice');
    const [ping, blocked, help] = await Promise.all([
      alice.session.request({ type: 'ping', user: 'bob' }),
      alice.session.request({ type: 'blocklist' }),
      alice.session.request({ type: 'help' }),
    ]);
    expect(ping).toMatchObject({ user: 'bob', online: false });
    expect(blocked).toEqual({ users: [] });
    expect(help.commands.length).toBeGreaterThan(5);
    await expect(alice.session.request({ type: 'ping', user: 'nobody' })).rejects.toMatchObject({ code: 'UNKNOWN_USER' });
  });

  it('receives messages and acknowledges them', async () => {
    const alice = newSession();
    const bob = newSession();
    await signIn(alice.session, 'alice');
    await signIn(bob.session, 'bob');
    const sent = await bob.session.send({ type: 'message', to: 'alice', text: 'hello alice' });
    expect(sent).toMatchObject({ sent: true, result: { queued: false } });
    await waitUntil(() => alice.received.length === 1, 'the message to arrive');
    expect(alice.received[0]).toMatchObject({ offline: false, message: { from: 'bob', to: 'alice', kind: 'private', text: 'hello alice' } });
    // After the ack, a fresh sign-in elsewhere starts after it: nothing is replayed.
    await waitUntil(() => alice.session.lastSeq === alice.received[0]!.seq, 'lastSeq to advance');
    await new Promise((r) => setTimeout(r, 100)); // let the debounced ack (20 ms) reach the server
    alice.session.close();
    const again = newSession();
    const result = await waitForSignIn(again.session, 'alice');
    expect(result.offlineCount).toBe(0);
    expect(result.resumeFrom).toBe(alice.received[0]!.seq);
  });

  it('survives a server restart on the same port and data dir: nothing lost, no duplicates, outbox flushed in order', async () => {
    // Long backoff: the test decides when each client reconnects, with retry().
    const slow = { backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } };
    const alice = newSession(slow);
    const bob = newSession(slow);
    await signIn(alice.session, 'alice');
    await signIn(bob.session, 'bob');
    await bob.session.send({ type: 'message', to: 'alice', text: 'm1' });
    await bob.session.send({ type: 'message', to: 'alice', text: 'm2' });
    await waitUntil(() => alice.received.length === 2, 'm1 and m2');

    const wsPort = server.wsPort;
    await server.server.close('restart for the test');
    await waitUntil(() => alice.session.state.state === 'reconnecting' && bob.session.state.state === 'reconnecting', 'both to notice');
    const outbox: number[] = [];
    alice.session.onOutbox((items) => outbox.push(items.length));
    expect(await alice.session.send({ type: 'message', to: 'bob', text: 'q1' })).toMatchObject({ sent: false });
    expect(await alice.session.send({ type: 'message', to: 'bob', text: 'q2' })).toMatchObject({ sent: false });

    await server.restart();
    expect(server.wsPort).toBe(wsPort);
    bob.session.retry();
    await waitUntil(() => bob.session.state.state === 'online', 'bob back online');
    // Alice is still away: m3 waits for her on the server.
    expect(await bob.session.send({ type: 'message', to: 'alice', text: 'm3' })).toMatchObject({ sent: true, result: { queued: true } });

    alice.session.retry();
    await waitUntil(() => alice.session.state.state === 'online', 'alice back online');
    await waitUntil(() => alice.received.length >= 3 && bob.received.length >= 2, 'the replay and the outbox');
    await new Promise((r) => setTimeout(r, 150)); // would expose a late duplicate
    expect(alice.texts()).toEqual(['m1', 'm2', 'm3']);
    expect(new Set(alice.received.map((e) => e.seq)).size).toBe(3);
    expect(bob.texts()).toEqual(['q1', 'q2']);
    expect(alice.session.pendingOutbox).toEqual([]);
    expect(outbox).toEqual([1, 2, 1, 0]);
  });

  it('resumes after a dropped socket and gets what was sent meanwhile exactly once', async () => {
    const alice = newSession();
    const bob = newSession();
    await signIn(alice.session, 'alice');
    await signIn(bob.session, 'bob');
    await bob.session.send({ type: 'message', to: 'alice', text: 'before' });
    await waitUntil(() => alice.received.length === 1, 'the first message');

    // Cut the TCP connection without a close handshake, as a network failure would.
    alice.sockets.at(-1)!.terminate();
    await waitUntil(() => alice.session.state.state !== 'online', 'alice to notice the drop');
    await bob.session.send({ type: 'message', to: 'alice', text: 'during-1' });
    await bob.session.send({ type: 'message', to: 'alice', text: 'during-2' });
    await waitUntil(() => alice.session.state.state === 'online', 'alice to resume', 10_000);
    await waitUntil(() => alice.received.length >= 3, 'the missed messages');
    await bob.session.send({ type: 'message', to: 'alice', text: 'after' });
    await waitUntil(() => alice.received.length >= 4, 'the live message');
    await new Promise((r) => setTimeout(r, 150));
    expect(alice.texts()).toEqual(['before', 'during-1', 'during-2', 'after']);
    expect(alice.sockets.length).toBeGreaterThanOrEqual(2);
  });

  it('a session restored with a token keeps the newest token and stays signed in across dropped sockets', async () => {
    const first = newSession();
    await signIn(first.session, 'alice');
    const saved = first.session.token!;
    first.session.close();
    const restored = newSession();
    let result: Awaited<ReturnType<ChatSession['signIn']>> | undefined;
    await waitUntil(async () => {
      result = await restored.session.signIn({ url: server.wsUrl, username: 'alice', token: saved }).catch(() => undefined);
      return result !== undefined;
    }, 'the token sign-in');
    // The token sign-in answered the token that replaces the one used.
    expect(result!.token).toEqual(expect.any(String));
    expect(restored.session.token).toBe(result!.token);
    expect(restored.session.token).not.toBe(saved);
    const states: string[] = [];
    restored.session.onState((s) => states.push(s.state === 'offline' ? `offline: ${s.lastError}` : s.state));
    const tokens = [saved, restored.session.token];
    for (let drop = 0; drop < 2; drop++) {
      restored.sockets.at(-1)!.terminate();
      await waitUntil(() => restored.session.state.state !== 'online', 'the drop to be noticed');
      await waitUntil(() => restored.session.state.state === 'online', 'the silent sign-in', 10_000);
      expect(tokens).not.toContain(restored.session.token);
      tokens.push(restored.session.token);
    }
    expect(states.filter((s) => s.startsWith('offline'))).toEqual([]);
    expect(await restored.session.request({ type: 'whoelse' })).toEqual({ users: [], profiles: [] });
  });
});

/** Signing in again right after close() can race the server noticing the old socket. */
async function waitForSignIn(session: ChatSession, username: keyof typeof USERS) {
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      return await session.signIn({ url: server.wsUrl, username, password: USERS[username] });
    } catch (err) {
      last = err;
      if ((err as { code?: string }).code !== 'ALREADY_SIGNED_IN') throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw last;
}
