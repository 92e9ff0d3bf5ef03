// ChatSession against a scripted in-memory server (fake socket + manual clock):
// reconnect backoff, duplicate suppression, ack debouncing and outbox order, which a
// real server cannot make happen on demand. The real-server suite is in tests/integration.
import { describe, expect, it } from 'vitest';
import {
  ChatSession,
  isUnencryptedRemote,
  normalizeFingerprint,
  toWebSocketUrl,
  type SessionTimers,
  type SocketEvents,
  type SocketHandle,
} from '../../../server/client';
import { ProtocolError, type Command, type ChatMessage } from '../../../server/protocol';
import type { ConnectionState } from '../../../main/ipc/contract';

/** Timers driven by `advance(ms)`; nothing runs on its own. */
class ManualTimers implements SessionTimers {
  now = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }
  /** Runs every timer due within `ms`, in time order. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (let guard = 0; guard < 1000; guard++) {
      const next = [...this.due.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.due.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
      await flush();
    }
    this.now = end;
    await flush();
  }
  pending(): number {
    return this.due.size;
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** One fake socket; the test plays the server through `deliver` and reads `sent`. */
class FakeSocket implements SocketHandle {
  readyState = 0;
  sent: Array<{ id: number } & Command> = [];
  closedWith: number | undefined;
  constructor(
    readonly url: string,
    private readonly events: SocketEvents,
  ) {}
  get open(): boolean {
    return this.readyState === 1;
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }
  close(code?: number): void {
    if (this.readyState === 3) return;
    this.closedWith = code ?? 1005;
    this.readyState = 3;
    queueMicrotask(() => this.events.close(code ?? 1005, ''));
  }
  // ---- server side
  accept(): void {
    this.readyState = 1;
    this.deliver({ type: 'event', event: 'hello', server: 'fake', protocol: 1, allowRegister: false, maxFrameBytes: 65536 });
  }
  refuse(): void {
    this.readyState = 3;
    this.events.close(1006, '');
  }
  drop(): void {
    this.readyState = 3;
    this.events.close(1006, '');
  }
  deliver(frame: unknown): void {
    this.events.message(JSON.stringify(frame));
  }
  last(): { id: number } & Command {
    const f = this.sent[this.sent.length - 1];
    if (!f) throw new Error('nothing sent');
    return f;
  }
  reply(id: number, result: unknown): void {
    this.deliver({ type: 'reply', id, ok: true, result });
  }
  fail(id: number, code: string, message = code, retryAfter?: number): void {
    this.deliver({ type: 'reply', id, ok: false, error: { code, message, ...(retryAfter === undefined ? {} : { retryAfter }) } });
  }
  replyLogin(extra: Partial<{ token: string; resumeFrom: number; lastSeq: number }> = {}): void {
    const login = this.sent.find((f) => f.type === 'login');
    if (!login) throw new Error('no login sent');
    this.reply(login.id, { username: 'alice', token: 'tok-0123456789abcdef', resumeFrom: 0, lastSeq: 0, offlineCount: 0, ...extra });
  }
}

function message(id: number, text: string): ChatMessage {
  return { id, kind: 'private', from: 'bob', to: 'alice', text, ts: 1_700_000_000_000 };
}

function setup(options: { jitter?: number; random?: number } = {}) {
  const timers = new ManualTimers();
  const sockets: FakeSocket[] = [];
  const session = new ChatSession({
    createSocket: (url, events) => {
      const s = new FakeSocket(url, events);
      sockets.push(s);
      return s;
    },
    backoff: { initialMs: 100, maxMs: 1000, jitter: options.jitter ?? 0 },
    requestTimeoutMs: 5000,
    ackDelayMs: 50,
    timers,
    now: () => timers.now,
    random: () => options.random ?? 0.5,
  });
  const states: ConnectionState[] = [];
  session.onState((s) => states.push(s));
  const socket = (i: number): FakeSocket => {
    const s = sockets[i];
    if (!s) throw new Error(`no socket #${i}`);
    return s;
  };
  async function signedIn(extra?: Parameters<FakeSocket['replyLogin']>[0]) {
    const p = session.signIn({ url: 'ws://chat.test/ws', username: 'alice', password: 'pw1' });
    socket(sockets.length - 1).accept();
    await flush();
    socket(sockets.length - 1).replyLogin(extra);
    return p;
  }
  return { timers, sockets, socket, session, states, signedIn };
}

describe('toWebSocketUrl', () => {
  it('accepts host:port, bare hosts and URLs', () => {
    expect(toWebSocketUrl('localhost:4001')).toBe('ws://localhost:4001/ws');
    // Another machine: TLS unless ws:// is typed; this machine: plain.
    expect(toWebSocketUrl('chat.lan')).toBe('wss://chat.lan:4001/ws');
    expect(toWebSocketUrl('192.168.1.20:4001')).toBe('wss://192.168.1.20:4001/ws');
    expect(toWebSocketUrl('ws://192.168.1.20:4001')).toBe('ws://192.168.1.20:4001/ws');
    expect(toWebSocketUrl('127.0.0.1:4001')).toBe('ws://127.0.0.1:4001/ws');
    expect(toWebSocketUrl('[::1]:4001')).toBe('ws://[::1]:4001/ws');
    expect(toWebSocketUrl('wss://chat.example.org')).toBe('wss://chat.example.org/ws');
    expect(toWebSocketUrl('http://10.0.0.2:8080')).toBe('ws://10.0.0.2:8080/ws');
    expect(toWebSocketUrl('ws://h:1/custom')).toBe('ws://h:1/custom');
    // A bare IPv6 address is all host (this machine's gets ws://, another's wss://).
    expect(toWebSocketUrl('::1')).toBe('ws://[::1]:4001/ws');
    expect(toWebSocketUrl('fe80::2')).toBe('wss://[fe80::2]:4001/ws');
    expect(() => toWebSocketUrl('::1::2')).toThrow(ProtocolError);
  });
  it('refuses other schemes and garbage', () => {
    expect(() => toWebSocketUrl('file:///etc/passwd')).toThrow(ProtocolError);
    expect(() => toWebSocketUrl('  ')).toThrow(/required/);
    expect(() => toWebSocketUrl('ws://[bad')).toThrow(ProtocolError);
  });
});

describe('isUnencryptedRemote and normalizeFingerprint', () => {
  it('flags ws:// to another machine only', () => {
    expect(isUnencryptedRemote('ws://192.168.1.20:4001/ws')).toBe(true);
    expect(isUnencryptedRemote('ws://chat.lan:4001/ws')).toBe(true);
    expect(isUnencryptedRemote('wss://192.168.1.20:4001/ws')).toBe(false);
    expect(isUnencryptedRemote('ws://localhost:4001/ws')).toBe(false);
    expect(isUnencryptedRemote('ws://127.0.0.2:4001/ws')).toBe(false);
    expect(isUnencryptedRemote('ws://[::1]:4001/ws')).toBe(false);
  });
  it('accepts fingerprints as people paste them and refuses the rest', () => {
    const canonical = Array(32).fill('0A').join(':');
    expect(normalizeFingerprint(canonical.toLowerCase())).toBe(canonical);
    expect(normalizeFingerprint(`SHA256:${'0a'.repeat(32)}`)).toBe(canonical);
    expect(normalizeFingerprint(`sha256 ${'0A'.repeat(32)}`)).toBe(canonical);
    expect(() => normalizeFingerprint('0A:0B')).toThrow(ProtocolError);
    expect(() => normalizeFingerprint('zz'.repeat(32))).toThrow(/SHA-256/);
  });
});

describe('ChatSession with a scripted server', () => {
  it('waits for hello, asks for a token, and goes online', async () => {
    const t = setup();
    const p = t.session.signIn({ url: 'ws://chat.test/ws', username: 'alice', password: 'pw1' });
    expect(t.session.state.state).toBe('connecting');
    expect(t.socket(0).sent).toHaveLength(0);
    t.socket(0).accept();
    await flush();
    expect(t.socket(0).last()).toMatchObject({ type: 'login', username: 'alice', password: 'pw1', remember: true });
    t.socket(0).replyLogin();
    await expect(p).resolves.toMatchObject({ username: 'alice' });
    expect(t.session.state).toEqual({ state: 'online', server: 'ws://chat.test/ws', username: 'alice' });
    expect(t.session.token).toBe('tok-0123456789abcdef');
  });

  it('rejects with the server code and returns to signed-out', async () => {
    const t = setup();
    const p = t.session.signIn({ url: 'ws://chat.test/ws', username: 'alice', password: 'nope' });
    t.socket(0).accept();
    await flush();
    t.socket(0).fail(t.socket(0).last().id, 'ACCOUNT_LOCKED', 'locked', 42);
    await expect(p).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfter: 42 });
    expect(t.session.state.state).toBe('signed-out');
    expect(t.socket(0).readyState).toBe(3);
  });

  it('maps a refused connection to UNREACHABLE and a silent server to TIMEOUT', async () => {
    const t = setup();
    const p1 = t.session.signIn({ url: 'ws://chat.test/ws', username: 'alice', password: 'pw1' });
    t.socket(0).refuse();
    await expect(p1).rejects.toMatchObject({ code: 'UNREACHABLE' });
    const p2 = t.session.signIn({ url: 'ws://chat.test/ws', username: 'alice', password: 'pw1' });
    const caught = p2.catch((e: unknown) => e);
    await t.timers.advance(5000);
    expect(await caught).toMatchObject({ code: 'TIMEOUT' });
  });

  it('matches replies by id, times out, and refuses requests when not online', async () => {
    const t = setup();
    await expect(t.session.request({ type: 'whoelse' })).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await t.signedIn();
    const a = t.session.request({ type: 'whoelse' });
    const b = t.session.request({ type: 'blocklist' });
    const [fa, fb] = t.socket(0).sent.slice(-2);
    t.socket(0).reply(fb!.id, { users: ['carol'] });
    t.socket(0).reply(fa!.id, { users: ['bob'] });
    await expect(a).resolves.toEqual({ users: ['bob'] });
    await expect(b).resolves.toEqual({ users: ['carol'] });
    const c = t.session.request({ type: 'ping', user: 'bob' });
    const caught = c.catch((e: unknown) => e);
    await t.timers.advance(5000);
    expect(await caught).toMatchObject({ code: 'TIMEOUT' });
  });

  it('drops duplicate deliveries and acks once, after the listeners ran', async () => {
    const t = setup();
    await t.signedIn({ resumeFrom: 3, lastSeq: 3 });
    const seen: number[] = [];
    t.session.onEvent((e) => {
      if (e.event === 'message') {
        seen.push(e.seq);
        // The ack must not have gone out before the listener for this event ran.
        expect(t.socket(0).sent.filter((f) => f.type === 'ack')).toHaveLength(0);
      }
    });
    for (const seq of [2, 3, 4, 5, 5, 4, 6]) {
      t.socket(0).deliver({ type: 'event', event: 'message', seq, offline: false, message: message(seq, `m${seq}`) });
    }
    expect(seen).toEqual([4, 5, 6]);
    expect(t.session.lastSeq).toBe(6);
    await t.timers.advance(50);
    const acks = t.socket(0).sent.filter((f) => f.type === 'ack');
    expect(acks).toEqual([expect.objectContaining({ type: 'ack', seq: 6 })]);
  });

  it('reconnects with backoff, resumes from lastSeq and flushes the outbox in order', async () => {
    const t = setup();
    await t.signedIn();
    t.socket(0).deliver({ type: 'event', event: 'message', seq: 1, offline: false, message: message(1, 'hi') });
    const outboxes: number[] = [];
    t.session.onOutbox((items) => outboxes.push(items.length));
    t.socket(0).drop();
    expect(t.session.state).toMatchObject({ state: 'reconnecting', attempt: 1, retryInMs: 100 });
    const q1 = await t.session.send({ type: 'message', to: 'bob', text: 'one' });
    const q2 = await t.session.send({ type: 'broadcast', text: 'two' });
    expect(q1.sent).toBe(false);
    expect(q2.sent).toBe(false);
    // Each queued message got its own idempotency key, which every sending of it repeats.
    const [key1, key2] = t.session.pendingOutbox.map((i) => i.command.clientKey);
    expect(t.session.pendingOutbox.map((i) => i.command)).toEqual([
      { type: 'message', to: 'bob', text: 'one', clientKey: expect.stringMatching(/^[0-9a-f]{32}$/) },
      { type: 'broadcast', text: 'two', clientKey: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ]);
    expect(key1).not.toBe(key2);

    // Attempt 1 fails: unreachable. Attempt 2 doubles the delay.
    await t.timers.advance(100);
    t.socket(1).refuse();
    await flush();
    expect(t.session.state).toMatchObject({ state: 'reconnecting', attempt: 2, retryInMs: 200 });
    // Attempt 2: the server still thinks the old socket is alive.
    await t.timers.advance(200);
    t.socket(2).accept();
    await flush();
    t.socket(2).fail(t.socket(2).last().id, 'ALREADY_SIGNED_IN');
    await flush();
    expect(t.session.state).toMatchObject({ state: 'reconnecting', attempt: 3, retryInMs: 400 });
    // Attempt 3 succeeds with the token and resumeFrom.
    await t.timers.advance(400);
    t.socket(3).accept();
    await flush();
    expect(t.socket(3).last()).toMatchObject({ type: 'login', username: 'alice', token: 'tok-0123456789abcdef', resumeFrom: 1, remember: true });
    expect(t.socket(3).last()).not.toHaveProperty('password');
    t.socket(3).replyLogin({ resumeFrom: 1, lastSeq: 1 });
    await flush();
    expect(t.session.state.state).toBe('online');
    // Flushed one at a time: the second goes out only after the first is answered.
    const first = t.socket(3).last();
    expect(first).toMatchObject({ type: 'message', text: 'one', clientKey: key1 });
    t.socket(3).reply(first.id, { message: { ...message(10, 'one'), from: 'alice', to: 'bob' }, queued: false });
    await flush();
    const second = t.socket(3).last();
    expect(second).toMatchObject({ type: 'broadcast', text: 'two', clientKey: key2 });
    t.socket(3).reply(second.id, { message: { ...message(11, 'two'), kind: 'broadcast', from: 'alice', to: undefined }, delivered: 1, blockedBy: 0 });
    await flush();
    expect(t.session.pendingOutbox).toEqual([]);
    expect(outboxes).toEqual([1, 2, 1, 0]);
  });

  it('applies jitter within the configured spread and caps at maxMs', async () => {
    // random() = 0 → the low edge of the spread: half of each doubling delay (jitter 0.5).
    const t = setup({ jitter: 0.5, random: 0 });
    await t.signedIn();
    t.socket(0).drop();
    for (let i = 1; i <= 6; i++) {
      const s = t.session.state;
      if (s.state !== 'reconnecting') throw new Error('expected reconnecting');
      expect(s.retryInMs).toBe(Math.min(1000, 100 * 2 ** (i - 1)) / 2);
      await t.timers.advance(s.retryInMs);
      t.socket(i).refuse();
      await flush();
    }
  });

  it('a refused outbox item is dropped and reported; the rest still go out', async () => {
    const t = setup();
    await t.signedIn();
    t.socket(0).drop();
    await t.session.send({ type: 'message', to: 'mallory', text: 'x' });
    await t.session.send({ type: 'message', to: 'bob', text: 'y' });
    const failures: string[] = [];
    t.session.onOutboxFailure((item, err) => failures.push(`${item.command.type}:${err.code}`));
    await t.timers.advance(100);
    t.socket(1).accept();
    await flush();
    t.socket(1).replyLogin();
    await flush();
    t.socket(1).fail(t.socket(1).last().id, 'BLOCKED');
    await flush();
    expect(failures).toEqual(['message:BLOCKED']);
    expect(t.socket(1).last()).toMatchObject({ type: 'message', to: 'bob' });
  });

  it('a message sent now carries a key; when its reply is lost (dropped socket, timeout) it waits in the outbox with that key', async () => {
    const t = setup();
    await t.signedIn();
    // A key the caller chose is kept.
    const own = t.session.send({ type: 'message', to: 'bob', text: 'own key', clientKey: 'mine' });
    expect(t.socket(0).last()).toMatchObject({ type: 'message', text: 'own key', clientKey: 'mine' });
    t.socket(0).reply(t.socket(0).last().id, { message: { ...message(5, 'own key'), from: 'alice', to: 'bob' }, queued: false });
    expect((await own).sent).toBe(true);

    // The connection drops before the reply: the message may be stored, so it is resent later with its key.
    const lost = t.session.send({ type: 'message', to: 'bob', text: 'lost reply' });
    const { clientKey } = t.socket(0).last() as { clientKey?: string };
    expect(clientKey).toMatch(/^[0-9a-f]{32}$/);
    t.socket(0).drop();
    const outcome = await lost;
    expect(outcome).toMatchObject({ sent: false, why: 'dropped', queued: { command: { type: 'message', text: 'lost reply', clientKey } } });
    await t.timers.advance(100);
    t.socket(1).accept();
    await flush();
    t.socket(1).replyLogin();
    await flush();
    expect(t.socket(1).last()).toMatchObject({ type: 'message', text: 'lost reply', clientKey });

    // A timeout too (the server may have stored it and be slow to answer): queued, resent on this connection.
    t.socket(1).reply(t.socket(1).last().id, { message: { ...message(6, 'lost reply'), from: 'alice', to: 'bob' }, queued: false });
    await flush();
    const slow = t.session.send({ type: 'broadcast', text: 'slow' });
    const slowKey = (t.socket(1).last() as { clientKey?: string }).clientKey;
    await t.timers.advance(5000);
    expect(await slow).toMatchObject({ sent: false, why: 'no-reply', queued: { command: { clientKey: slowKey } } });
    await flush();
    expect(t.socket(1).last()).toMatchObject({ type: 'broadcast', text: 'slow', clientKey: slowKey });

    // A refusal is not a lost reply: it rejects as before.
    const answered: Array<{ text: string | undefined; id: number }> = [];
    t.session.onOutboxSent((item, reply) => answered.push({ text: item.command.text, id: reply.message.id }));
    t.socket(1).reply(t.socket(1).last().id, {
      message: { ...message(7, 'slow'), kind: 'broadcast', from: 'alice', to: undefined },
      delivered: 1,
      blockedBy: 0,
    });
    await flush();
    // The outbox reports the resend's answer, the stored message.
    expect(answered).toEqual([{ text: 'slow', id: 7 }]);
    const refused = t.session.send({ type: 'message', to: 'mallory', text: 'no' });
    t.socket(1).fail(t.socket(1).last().id, 'BLOCKED');
    await expect(refused).rejects.toMatchObject({ code: 'BLOCKED' });
    expect(t.session.pendingOutbox).toEqual([]);

    // Offline: 'offline'; online behind an outbox item still being sent: 'behind'.
    t.socket(1).drop();
    expect(await t.session.send({ type: 'message', to: 'bob', text: 'typed offline' })).toMatchObject({ sent: false, why: 'offline' });
    await t.timers.advance(1000);
    t.socket(2).accept();
    await flush();
    t.socket(2).replyLogin();
    await flush();
    expect(t.socket(2).last()).toMatchObject({ type: 'message', text: 'typed offline' });
    expect(await t.session.send({ type: 'message', to: 'bob', text: 'typed after' })).toMatchObject({ sent: false, why: 'behind' });
  });

  it('after a reply times out on a live connection, the outbox sends again by itself with the same key', async () => {
    const t = setup();
    await t.signedIn();
    const slow = t.session.send({ type: 'message', to: 'bob', text: 'slow server' });
    const first = t.socket(0).last() as { id: number; clientKey?: string };
    await t.timers.advance(5000);
    expect(await slow).toMatchObject({ sent: false, why: 'no-reply' });
    // The outbox's own resend also goes unanswered: it gives up on that try too.
    await flush();
    const second = t.socket(0).last() as { id: number; clientKey?: string };
    expect(second.id).not.toBe(first.id);
    await t.timers.advance(5000);
    expect(t.session.pendingOutbox).toHaveLength(1);
    // Nobody types and the connection stays up: the outbox tries again a second later.
    const before = t.socket(0).sent.length;
    await t.timers.advance(999);
    expect(t.socket(0).sent.length).toBe(before);
    await t.timers.advance(1);
    const third = t.socket(0).last() as { id: number; clientKey?: string };
    expect(third).toMatchObject({ type: 'message', text: 'slow server', clientKey: first.clientKey });
    const answered: number[] = [];
    t.session.onOutboxSent((_item, reply) => answered.push(reply.message.id));
    t.socket(0).reply(third.id, { message: { ...message(9, 'slow server'), from: 'alice', to: 'bob' }, queued: false });
    await flush();
    expect(answered).toEqual([9]);
    expect(t.session.pendingOutbox).toEqual([]);
    // Nothing is left scheduled once it went out (the ack timer aside, none was due).
    await t.timers.advance(10_000);
    expect(t.socket(0).sent.filter((f) => f.type === 'message')).toHaveLength(3);
  });

  it('a shutdown event triggers a reconnect; INVALID_TOKEN ends in offline', async () => {
    const t = setup();
    await t.signedIn();
    t.socket(0).deliver({ type: 'event', event: 'shutdown', reason: 'maintenance' });
    await flush();
    expect(t.session.state).toMatchObject({ state: 'reconnecting', lastError: expect.stringContaining('maintenance') });
    await t.timers.advance(100);
    t.socket(1).accept();
    await flush();
    t.socket(1).fail(t.socket(1).last().id, 'INVALID_TOKEN', 'token expired');
    await flush();
    expect(t.session.state).toEqual({ state: 'offline', server: 'ws://chat.test/ws', username: 'alice', lastError: 'token expired' });
    expect(t.session.token).toBeNull();
    expect(t.timers.pending()).toBe(0);
  });

  it('retry() skips the wait', async () => {
    const t = setup();
    await t.signedIn();
    t.socket(0).drop();
    expect(t.sockets).toHaveLength(1);
    t.session.retry();
    expect(t.sockets).toHaveLength(2);
  });

  it('signOut sends logout, closes, and forgets token and outbox; close() keeps the token', async () => {
    const t = setup();
    await t.signedIn();
    const out = t.session.signOut();
    await flush();
    const logout = t.socket(0).last();
    expect(logout.type).toBe('logout');
    t.socket(0).reply(logout.id, {});
    await out;
    expect(t.session.state.state).toBe('signed-out');
    expect(t.session.token).toBeNull();
    expect(t.socket(0).closedWith).toBe(1000);

    await t.signedIn();
    t.session.close();
    expect(t.session.state.state).toBe('signed-out');
    expect(t.session.token).toBe('tok-0123456789abcdef');
    expect(t.socket(1).sent.some((f) => f.type === 'logout')).toBe(false);
    await t.timers.advance(60_000);
    expect(t.sockets).toHaveLength(2); // no reconnect after close()
  });
});
