// Bad input on both transports: every case gets a clear error (or a clean
// close where the frame is too big to read), the session stays usable and
// nobody else is affected. Also rate limits, heartbeats and idle timeouts.
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../../server/protocol';
import { backends } from '../../helpers/backends';
import { testClock } from '../../helpers/test-server';
import type { TcpClient } from '../../helpers/tcp-client';
import type { WsClient } from '../../helpers/ws-client';
import { useBackend } from './harness';

/** The session still answers commands. */
async function usableWs(c: WsClient): Promise<void> {
  expect(Array.isArray((await c.request({ type: 'whoelse' })).users)).toBe(true);
}

async function usableTcp(c: TcpClient): Promise<void> {
  c.send('blocklist');
  await c.waitLine('You have blocked no one.');
}

for (const backend of backends) {
  describe(`bad input [${backend.name}]`, () => {
    describe('framing and decoding', () => {
      const h = useBackend(backend);

      it('TCP: an over-long line (one write, and split over many writes) gets FRAME_TOO_LARGE', async () => {
        const c = await h.tcpUser(0, 'alice');
        c.send(`message bob ${'x'.repeat(MAX_FRAME_BYTES + 10)}`);
        await c.waitLine(`error FRAME_TOO_LARGE: Line longer than ${MAX_FRAME_BYTES} bytes; it was ignored.`);
        await usableTcp(c);
        const piece = 'z'.repeat(4096);
        for (let i = 0; i < 20; i++) c.write(piece);
        c.write('\n');
        await c.waitLine(/^error FRAME_TOO_LARGE: /);
        await usableTcp(c);
        // The rest of each long line (after the error) was skipped, not run as a command.
        expect(c.lines.filter((l) => l.startsWith('error'))).toEqual([
          `error FRAME_TOO_LARGE: Line longer than ${MAX_FRAME_BYTES} bytes; it was ignored.`,
          `error FRAME_TOO_LARGE: Line longer than ${MAX_FRAME_BYTES} bytes; it was ignored.`,
        ]);
        // At the username prompt too.
        const fresh = await h.tcp(1);
        await fresh.waitPrompt('Username: ');
        fresh.send('u'.repeat(MAX_FRAME_BYTES + 1));
        // The error comes first, then the prompt again.
        await fresh.waitLine(/^error FRAME_TOO_LARGE: /);
        await fresh.login('bob', 'bob-pw');
      });

      it('a line or frame of exactly 64 KiB passes framing (then fails validation as too-long text)', async () => {
        const tcp = await h.tcpUser(0, 'alice');
        const prefix = 'broadcast ';
        tcp.send(prefix + 'b'.repeat(MAX_FRAME_BYTES - prefix.length));
        await tcp.waitLine(/^error BAD_REQUEST: text: must be at most 4000 characters/);
        const ws = await h.wsUser(1, 'bob');
        const head = '{"id":"edge","type":"broadcast","text":"';
        const frame = `${head}${'w'.repeat(MAX_FRAME_BYTES - head.length - 2)}"}`;
        expect(Buffer.byteLength(frame)).toBe(MAX_FRAME_BYTES);
        const reply = await ws.sendRawWithId('edge', frame);
        expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^broadcast: text: must be at most 4000/) } });
      });

      it('TCP: invalid UTF-8, empty and blank lines, CRLF, unknown commands and bad arguments', async () => {
        const c = await h.tcpUser(0, 'alice');
        c.write(Buffer.from([0x6d, 0xff, 0xfe, 0x0a]));
        await c.waitLine('error INVALID_UTF8: The line is not valid UTF-8; it was ignored.');
        c.send('');
        c.send('   ');
        c.write('whoelse\r\n');
        await c.waitLine('No one else is online.');
        expect(c.unread()).toEqual([]);
        c.send('dance now');
        await c.waitLine('error UNKNOWN_COMMAND: Unknown command "dance". Type "help" for the list.');
        c.send('message bad!name hi');
        await c.waitLine(/^error BAD_REQUEST: to: must be 1-32 letters.*\(usage: message <user> <text> \[\+file <id>\]\.\.\.\)$/);
        c.send(`message bob ${'t'.repeat(4001)}`);
        await c.waitLine(/^error BAD_REQUEST: text: must be at most 4000 characters/);
        c.send('ping');
        await c.waitLine('error BAD_REQUEST: Usage: ping <user>');
        await usableTcp(c);
        // At the username prompt, bad bytes re-prompt.
        const fresh = await h.tcp(1);
        await fresh.waitPrompt('Username: ');
        fresh.write(Buffer.from([0xc3, 0x28, 0x0a]));
        await fresh.waitLine(/^error INVALID_UTF8: /);
        await fresh.waitPrompt('Username: ');
        fresh.send('bob');
        await fresh.waitPrompt('Password: ');
        fresh.write(Buffer.from([0xff, 0x0a]));
        await fresh.waitLine(/^error INVALID_UTF8: /);
        await fresh.waitPrompt('Password: ');
        fresh.send('bob-pw');
        await fresh.waitLine('Welcome, bob!');
      });

      it('TCP: control characters of a message (C0, DEL and C1 such as CSI) reach a reader as spaces, never raw', async () => {
        const alice = await h.wsUser(0, 'alice');
        const bob = await h.tcpUser(1, 'bob');
        await alice.request({ type: 'message', to: 'bob', text: 'a\u001b[2Jb\u009b2Jc\u0085d\u007fe' });
        const line = await bob.waitLine(/alice \(private\): /);
        expect(line).toMatch(/alice \(private\): a \[2Jb 2Jc d e$/);
      });

      it('WS: a frame of exactly 64 KiB is read; one byte more closes the connection with 1009; others unaffected', async () => {
        const bystander = await h.wsUser(1, 'bob');
        await bystander.request({ type: 'watch', users: ['alice'] });
        const c = await h.wsUser(0, 'alice');
        const head = '{"id":1,"type":"message","to":"bob","text":"';
        const fits = `${head}${'x'.repeat(MAX_FRAME_BYTES - head.length - 2)}"}`;
        expect(Buffer.byteLength(fits)).toBe(MAX_FRAME_BYTES);
        // Read and answered (the text is over 4000 characters), not cut off.
        expect(await c.sendRawWithId(1, fits)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
        await usableWs(c);
        c.sendRaw('y'.repeat(MAX_FRAME_BYTES + 1));
        expect((await c.waitClosed()).code).toBe(1009);
        await bystander.waitEvent('presence', (e) => e.user === 'alice' && !e.online);
        await usableWs(bystander);
      });

      it('WS: invalid UTF-8, invalid JSON, non-objects, ids, unknown types, extra fields, wrong types, binary', async () => {
        const c = await h.wsUser(0, 'alice');
        c.sendRaw(Buffer.from([0x7b, 0xff, 0x7d]), false);
        expect((await c.waitOrphanError()).code).toBe('INVALID_UTF8');
        c.sendRaw('{"id":1,"type":');
        expect((await c.waitOrphanError()).code).toBe('INVALID_JSON');
        c.sendRaw('');
        expect((await c.waitOrphanError()).code).toBe('INVALID_JSON');
        for (const frame of ['[1,2]', '42', '"whoelse"', 'null']) {
          c.sendRaw(frame);
          expect(await c.waitOrphanError()).toMatchObject({ code: 'BAD_REQUEST', message: 'A request must be a JSON object' });
        }
        for (const id of [undefined, -1, 1.5, '', 'i'.repeat(65), {}, null, true]) {
          c.sendRaw(JSON.stringify({ id, type: 'whoelse' }));
          const e = await c.waitOrphanError();
          expect(e.code).toBe('BAD_REQUEST');
          expect(e.message).toMatch(/"id"/);
        }
        const unknown = await c.sendRawWithId('u1', JSON.stringify({ id: 'u1', type: 'dance' }));
        expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_COMMAND' } });
        const missingType = await c.sendRawWithId(7, JSON.stringify({ id: 7 }));
        expect(missingType).toMatchObject({ ok: false, error: { code: 'UNKNOWN_COMMAND' } });
        const extra = await c.sendRawWithId(8, JSON.stringify({ id: 8, type: 'whoelse', admin: true }));
        expect(extra).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'whoelse: unexpected field(s): admin' } });
        const wrong = await c.sendRawWithId(9, JSON.stringify({ id: 9, type: 'message', to: 5, text: 'x' }));
        expect(wrong).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
        expect((wrong as { error: { message: string } }).error.message).toMatch(/^message: to: /);
        const missing = await c.sendRawWithId(10, JSON.stringify({ id: 10, type: 'message', to: 'bob' }));
        expect(missing).toMatchObject({
          ok: false,
          error: { code: 'BAD_REQUEST', message: 'message: text: is required (not blank) unless the message carries attachments' },
        });
        const proto = await c.sendRawWithId(11, JSON.stringify({ id: 11, type: '__proto__' }));
        expect(proto).toMatchObject({ ok: false, error: { code: 'UNKNOWN_COMMAND' } });
        c.sendRaw(Buffer.from(JSON.stringify({ id: 12, type: 'whoelse' })), true);
        expect(await c.waitOrphanError()).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/Binary frames/) });
        await usableWs(c);
        // A string id is echoed back as is.
        const ok = await c.sendRawWithId('abc', JSON.stringify({ id: 'abc', type: 'blocklist' }));
        expect(ok).toEqual({ ok: true, result: { users: [] } });
      });

      it('WS: bad input before sign-in is answered too, and sign-in still works', async () => {
        const c = await h.ws(0);
        c.sendRaw('not json');
        expect((await c.waitOrphanError()).code).toBe('INVALID_JSON');
        expect((await c.expectError({ type: 'login', username: 'alice', password: 'alice-pw', token: 't'.repeat(20) })).code).toBe('BAD_REQUEST');
        await c.login('alice', 'alice-pw');
        expect((await c.expectError({ type: 'login', username: 'alice', password: 'alice-pw' })).code).toBe('ALREADY_AUTHENTICATED');
        await usableWs(c);
      });
    });

    describe('rate limit (5 per second, burst 5)', () => {
      // The servers' clock moves forward when a test "waits": no sleeping.
      const clock = testClock();
      const h = useBackend(backend, { rateLimit: 5, rateBurst: 5 }, clock.now);

      it('WS: a flood gets RATE_LIMITED with retryAfter; later commands work again', async () => {
        const c = await h.ws(0);
        await c.login('alice', 'alice-pw');
        const replies = await Promise.all(Array.from({ length: 12 }, () => c.send({ type: 'whoelse' })));
        const limited = replies.filter((r) => !r.ok);
        expect(limited.length).toBeGreaterThanOrEqual(6);
        const first = limited[0]!;
        expect(first.ok).toBe(false);
        if (first.ok) return;
        expect(first.error.code).toBe('RATE_LIMITED');
        expect(first.error.retryAfter).toBeGreaterThanOrEqual(1);
        clock.advance(first.error.retryAfter! * 1000);
        await usableWs(c);
      });

      it('TCP: a flood gets RATE_LIMITED lines; later commands work again', async () => {
        const c = await h.tcpUser(0, 'bob');
        for (let i = 0; i < 12; i++) c.send('whoelse');
        const line = await c.waitLine(/^error RATE_LIMITED: Too many commands\. Slow down \(try again in \d+ s\)\.$/);
        // Let as much time pass as the server asked for.
        const seconds = Number(/in (\d+) s/.exec(line)![1]);
        clock.advance(seconds * 1000);
        c.send('blocklist');
        await c.waitLine('You have blocked no one.');
      });
    });

    describe('dead and silent peers (heartbeatSeconds 0.5, idleSeconds 0.8)', () => {
      const h = useBackend(backend, { heartbeatSeconds: 0.5, idleSeconds: 0.8 });

      it('WS: a client that stops answering pings is terminated and shown offline; a live one stays', async () => {
        const live = await h.wsUser(0, 'alice');
        await live.request({ type: 'watch', users: ['bob'] });
        const url = h.backend.node(1).wsUrl;
        const mute = new WebSocket(url, { autoPong: false });
        const closed = new Promise<number>((resolve) => mute.once('close', (code) => resolve(code)));
        await new Promise<void>((resolve, reject) => {
          mute.once('message', () => resolve());
          mute.once('error', reject);
        });
        mute.send(JSON.stringify({ id: 1, type: 'login', username: 'bob', password: 'bob-pw' }));
        await live.waitEvent('presence', (e) => e.user === 'bob' && e.online);
        expect(await closed).toBe(1006);
        await live.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
        // alice kept answering pings (ws does it automatically) and is still connected.
        await usableWs(live);
        expect(live.closed).toBeNull();
      });

      it('TCP: a silent client is closed after the idle timeout', async () => {
        const watcher = await h.wsUser(0, 'alice');
        await watcher.request({ type: 'watch', users: ['bob'] });
        const silent = await h.tcpUser(1, 'bob');
        await silent.waitLine('Disconnected: idle for too long.', 5_000);
        await silent.waitClosed();
        await watcher.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
        await usableWs(watcher);
      });
    });
  });
}
