// Delivery guarantees on every backend: per-recipient sequence numbers without
// gaps, offline queues (also across a restart where the backend can restart),
// WebSocket resume after a dropped connection, resume from the last ack, TCP
// catch-up right after sign-in, and presence when a client vanishes.
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import type { WsClient } from '../../helpers/ws-client';
import { useBackend } from './harness';

/** Sends `count` private messages `prefix1..prefixN` in windows (the server queues at most 64 per connection). */
async function sendMany(from: WsClient, to: string, count: number, prefix: string, text = ''): Promise<void> {
  const WINDOW = 32;
  for (let i = 1; i <= count; i += WINDOW) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < i + WINDOW && j <= count; j++) batch.push(from.request({ type: 'message', to, text: `${prefix}${j}${text}` }));
    await Promise.all(batch);
  }
}

function expectConsecutive(seqs: number[], first: number): void {
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => first + i));
}

for (const backend of backends) {
  describe(`delivery [${backend.name}]`, () => {
    const h = useBackend(backend);

    it('gives each recipient sequence numbers increasing by 1 with no gaps, from concurrent senders', async () => {
      const bob = await h.wsUser(0, 'bob');
      const alice = await h.wsUser(1, 'alice');
      const carol = await h.wsUser(0, 'carol');
      await alice.request({ type: 'create-group', group: 'g', members: ['bob', 'carol'] });
      const group = alice.request({ type: 'message-group', group: 'g', text: 'group' });
      await Promise.all([sendMany(alice, 'bob', 60, 'a'), sendMany(carol, 'bob', 60, 'c'), group, carol.request({ type: 'broadcast', text: 'bc' })]);
      const got = await bob.waitMessages(122);
      expectConsecutive(
        got.map((m) => m.seq),
        1,
      );
      // Each sender's messages keep their order.
      for (const p of ['a', 'c']) {
        const texts = got.map((m) => m.message.text).filter((t) => t.startsWith(p) && t !== 'bc');
        expect(texts).toEqual(Array.from({ length: 60 }, (_, i) => `${p}${i + 1}`));
      }
      expect(got.every((m) => !m.offline)).toBe(true);
    });

    it('WS: resumes after a dropped connection from the last seq seen, exactly once and in order', async () => {
      const watcher = await h.wsUser(0, 'carol');
      await watcher.request({ type: 'watch', users: ['bob'] });
      const bob = await h.wsUser(0, 'bob');
      const alice = await h.wsUser(1, 'alice');
      const sending = sendMany(alice, 'bob', 200, 'm');
      // Drop bob mid-stream.
      const firstPart = await bob.waitMessages(40, 10_000);
      bob.kill();
      // Frames parsed in the same read as the 40th may have arrived too: they count as seen.
      const seen = [...firstPart, ...bob.takeMessages()];
      const lastSeen = seen[seen.length - 1]!.seq;
      expectConsecutive(
        seen.map((m) => m.seq),
        1,
      );
      await watcher.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
      await sending;
      // Back on the other node (on the cluster): the resume comes from the shared store.
      const again = await h.ws(1);
      const login = await again.login('bob', 'bob-pw', { resumeFrom: lastSeen });
      expect(login).toMatchObject({ resumeFrom: lastSeen, lastSeq: 200 });
      const rest = await again.waitMessages(200 - lastSeen, 10_000);
      expectConsecutive(
        rest.map((m) => m.seq),
        lastSeen + 1,
      );
      expect(rest.map((m) => m.message.text)).toEqual(Array.from({ length: 200 - lastSeen }, (_, i) => `m${lastSeen + i + 1}`));
      // Some arrived while bob was away: those are marked offline, and nothing repeats.
      expect(rest.some((m) => m.offline)).toBe(true);
      await alice.request({ type: 'message', to: 'bob', text: 'live again' });
      const [live] = await again.waitMessages(1);
      expect(live).toMatchObject({ seq: 201, offline: false });
    });

    it('WS: without resumeFrom resumes after the last acknowledged seq', async () => {
      const watcher = await h.wsUser(1, 'carol');
      await watcher.request({ type: 'watch', users: ['bob'] });
      const bob = await h.wsUser(0, 'bob');
      const alice = await h.wsUser(1, 'alice');
      await sendMany(alice, 'bob', 10, 'x');
      await bob.waitMessages(10);
      await bob.request({ type: 'ack', seq: 6 });
      // An acknowledgement never runs ahead of what was delivered, and the reply says so.
      expect(await bob.request({ type: 'ack', seq: 4 })).toEqual({ seq: 6 });
      bob.kill();
      await watcher.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
      const again = await h.ws(0);
      const login = await again.login('bob', 'bob-pw');
      expect(login).toMatchObject({ resumeFrom: 6, lastSeq: 10 });
      const rest = await again.waitMessages(4);
      expect(rest.map((m) => m.seq)).toEqual([7, 8, 9, 10]);
      // A resumeFrom beyond what exists is clamped to lastSeq.
      again.close();
      await watcher.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
      const third = await h.ws(1);
      expect((await third.login('bob', 'bob-pw', { resumeFrom: 999 })).resumeFrom).toBe(10);
    });

    it('WS: every message sent right before closing is delivered, beyond what one turn handles', async () => {
      const bob = await h.wsUser(1, 'bob');
      const alice = await h.wsUser(0, 'alice');
      const COUNT = 40;
      // No reply is awaited: the frames and the close leave together, as when a script quits.
      for (let i = 0; i < COUNT; i++) alice.sendRaw(JSON.stringify({ id: i + 1, type: 'message', to: 'bob', text: `last ${i}` }));
      alice.close();
      const got = await bob.waitMessages(COUNT);
      expect(got.map((m) => m.message.text)).toEqual(Array.from({ length: COUNT }, (_, i) => `last ${i}`));
      // And the session ended afterwards: alice can sign in again.
      await h.wsUser(0, 'alice');
    });

    it('WS: an ack sent right before closing still counts (a client quitting without logout)', async () => {
      const watcher = await h.wsUser(1, 'carol');
      await watcher.request({ type: 'watch', users: ['bob'] });
      const alice = await h.wsUser(1, 'alice');
      for (let round = 1; round <= 3; round++) {
        await alice.request({ type: 'message', to: 'bob', text: `round ${round}` });
        const bob = await h.wsUser(0, 'bob');
        const [got] = await bob.waitMessages(1);
        expect(got!.message.text).toBe(`round ${round}`);
        // The ack and the close leave in one go, as when a client quits: no reply is awaited.
        bob.sendRaw(JSON.stringify({ id: 1, type: 'ack', seq: got!.seq }));
        bob.close();
        await watcher.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
        const again = await h.ws(0);
        expect((await again.login('bob', 'bob-pw')).resumeFrom).toBe(got!.seq);
        again.close();
        await watcher.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
      }
    });

    it('TCP: delivers queued messages right after sign-in, in order, and counts them as received', async () => {
      const alice = await h.wsUser(0, 'alice');
      await sendMany(alice, 'bob', 5, 'q');
      const bob = await h.tcp(1);
      await bob.login('bob', 'bob-pw');
      await bob.waitLine('5 message(s) arrived while you were offline; they follow.');
      for (let i = 1; i <= 5; i++) await bob.waitLine(new RegExp(`^#${i} \\[\\d\\d:\\d\\d\\] alice \\(private, offline\\): q${i}$`));
      bob.send('logout');
      await bob.waitClosed();
      await alice.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
      // Written to the socket = acknowledged: nothing is replayed next time.
      const ws = await h.ws(1);
      expect(await ws.login('bob', 'bob-pw')).toMatchObject({ resumeFrom: 5, offlineCount: 0 });
    });

    it('a broadcast sent while a user had no session is not theirs at a later sign-in either (WS and TCP)', async () => {
      const alice = await h.wsUser(0, 'alice');
      const watcher = await h.wsUser(0, 'erin');
      await watcher.request({ type: 'watch', users: ['bob', 'carol', 'dave'] });
      await alice.request({ type: 'broadcast', text: 'before carol and dave ever came' });
      await alice.request({ type: 'message', to: 'carol', text: 'p1' });
      await alice.request({ type: 'message', to: 'bob', text: 'b1' });
      await alice.request({ type: 'broadcast', text: 'while carol and dave were away' });
      // carol (WS) gets only her private message, acknowledges it and signs out.
      const carol = await h.wsUser(1, 'carol');
      const [p1] = await carol.waitMessages(1);
      expect(p1!.message.text).toBe('p1');
      await carol.request({ type: 'ack', seq: p1!.seq });
      expect(await carol.request({ type: 'logout' })).toEqual({});
      // dave (TCP) gets nothing at all and drops the connection.
      const dave = await h.tcpUser(1, 'dave');
      dave.kill();
      // bob (WS) gets his private message and drops without acknowledging it.
      const bob = await h.wsUser(1, 'bob');
      expect((await bob.waitMessages(1))[0]!.message.text).toBe('b1');
      bob.kill();
      await watcher.waitEvent('presence', (e) => e.user === 'carol' && !e.online);
      await watcher.waitEvent('presence', (e) => e.user === 'dave' && !e.online);
      await watcher.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
      await alice.request({ type: 'message', to: 'carol', text: 'p2' });
      await alice.request({ type: 'message', to: 'dave', text: 'd1' });
      await alice.request({ type: 'message', to: 'bob', text: 'b2' });
      // Their next sessions start with the message sent since, and neither broadcast before it.
      const carolAgain = await h.wsUser(0, 'carol');
      const [next] = await carolAgain.waitMessages(1);
      expect(next!.message.text).toBe('p2');
      const daveAgain = await h.tcpUser(0, 'dave');
      await daveAgain.waitLine(/^#\d+ \[\d\d:\d\d\] alice \(private, offline\): d1$/);
      expect(daveAgain.lines.filter((l) => l.includes('broadcast'))).toEqual([]);
      // bob's unacknowledged message comes again, the broadcasts of his absence before it do not.
      const bobAgain = await h.wsUser(0, 'bob');
      expect((await bobAgain.waitMessages(2)).map((m) => m.message.text)).toEqual(['b1', 'b2']);
    });

    it('a broadcast sent before an account existed never reaches it, even after sessions that left deliveries unacknowledged', async () => {
      await h.startFresh({ allowRegister: true });
      const alice = await h.wsUser(0, 'alice');
      await alice.request({ type: 'broadcast', text: 'before frank existed' });
      const frank = await h.ws(1);
      await frank.request({ type: 'register', username: 'frank', password: 'frank-long-pw' });
      await alice.request({ type: 'watch', users: ['frank'] });
      // Three sessions in a row, each dropping without acknowledging what it was sent.
      await alice.request({ type: 'message', to: 'frank', text: 'p1' });
      let session = frank;
      for (let i = 0; i < 3; i++) {
        expect((await session.waitMessages(1)).map((m) => m.message.text)).toEqual(['p1']);
        session.kill();
        await alice.waitEvent('presence', (e) => e.user === 'frank' && !e.online);
        session = await h.ws(i % 2);
        await session.login('frank', 'frank-long-pw');
      }
      await alice.request({ type: 'message', to: 'frank', text: 'p2' });
      expect((await session.waitMessages(2)).map((m) => m.message.text)).toEqual(['p1', 'p2']);
    });

    it('a client that drops is signed out at once: presence event and whoelse (WS and TCP)', async () => {
      const alice = await h.wsUser(0, 'alice');
      await alice.request({ type: 'watch', users: ['bob', 'carol'] });
      const tcpWatcher = await h.tcpUser(0, 'erin');
      tcpWatcher.send('watch bob');
      await tcpWatcher.waitLine('Watching (1): bob');
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.tcpUser(1, 'carol');
      expect((await alice.request({ type: 'whoelse' })).users).toEqual(['bob', 'carol', 'erin']);
      bob.kill();
      carol.kill();
      await alice.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
      await alice.waitEvent('presence', (e) => e.user === 'carol' && !e.online);
      await tcpWatcher.waitLine('* bob went offline');
      expect((await alice.request({ type: 'whoelse' })).users).toEqual(['erin']);
      tcpWatcher.send('whoelse');
      await tcpWatcher.waitLine('Online now (1): alice');
      // Messages to them are queued now.
      expect((await alice.request({ type: 'message', to: 'bob', text: 'x' })).queued).toBe(true);
    });

    it('a client vanishing while the server writes a large backlog harms no one else', async () => {
      const alice = await h.wsUser(0, 'alice');
      const carol = await h.wsUser(1, 'carol');
      await carol.request({ type: 'watch', users: ['bob', 'dave'] });
      const big = ` ${'y'.repeat(3900)}`;
      await sendMany(alice, 'bob', 150, 'big', big);
      await sendMany(alice, 'dave', 150, 'big', big);
      const bob = await h.ws(1);
      await bob.login('bob', 'bob-pw');
      bob.kill();
      const dave = await h.tcp(0);
      await dave.login('dave', 'dave-pw');
      dave.kill();
      await carol.waitEvent('presence', (e) => e.user === 'dave' && !e.online);
      await carol.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
      await alice.request({ type: 'message', to: 'carol', text: 'still fine' });
      const [m] = await carol.waitMessages(1);
      expect(m!.message.text).toBe('still fine');
      // bob can come back and gets the whole backlog.
      const back = await h.ws(0);
      await back.login('bob', 'bob-pw', { resumeFrom: 0 });
      const all = await back.waitMessages(150, 15_000);
      expectConsecutive(
        all.map((d) => d.seq),
        1,
      );
    });

    for (const transport of ['TCP', 'WS'] as const) {
      it(`${transport}: a slow consumer (not reading) is disconnected once its send queue overflows; the sender is fine`, async () => {
        await h.startFresh({ maxSendQueueBytes: 256 * 1024 });
        if (transport === 'TCP') (await h.tcpUser(0, 'bob')).socket.pause();
        else (await h.wsUser(0, 'bob')).ws.pause();
        const alice = await h.wsUser(1, 'alice');
        const big = 'z'.repeat(3990);
        // Bounded: kernel buffers plus 256 KiB are far below 3000 x 4 KB.
        let queued = false;
        for (let i = 0; i < 3000 && !queued; i += 32) {
          const batch = Array.from({ length: 32 }, (_, j) => alice.request({ type: 'message', to: 'bob', text: `${i + j} ${big}` }));
          queued = (await Promise.all(batch)).some((r) => r.queued);
        }
        expect(queued).toBe(true);
        await alice.waitEvent('presence', (e) => e.user === 'bob' && !e.online);
        expect((await alice.request({ type: 'whoelse' })).users).toEqual([]);
      });
    }

    it('WS: pipelined replies arrive whole and in order, and the logout reply comes before the close frame', async () => {
      const alice = await h.wsUser(1, 'alice');
      const bob = await h.wsUser(0, 'bob');
      const replies: number[] = [];
      bob.ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { type: string; id?: unknown };
        if (frame.type === 'reply' && typeof frame.id === 'number') replies.push(frame.id);
      });
      const sends = Array.from({ length: 40 }, (_, i) => bob.request({ type: 'message', to: 'alice', text: `m${i}` }));
      const bye = bob.request({ type: 'logout' });
      await Promise.all(sends);
      await bye;
      expect(await bob.waitClosed()).toMatchObject({ code: 1000 });
      expect(replies).toHaveLength(41);
      expect(replies).toEqual([...replies].sort((a, b) => a - b));
      const got = await alice.waitMessages(40);
      expect(got.map((m) => m.message.text)).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
    });

    it.runIf(backend.canRestart)(`offline messages survive a restart (runs only where the backend can restart: single node)`, async () => {
      const alice = await h.wsUser(0, 'alice');
      const before = await alice.request({ type: 'message', to: 'bob', text: 'before restart' });
      await alice.request({ type: 'message', to: 'carol', text: 'tcp before restart' });
      alice.kill();
      await h.backend.restart!();
      const bob = await h.ws(0);
      expect(await bob.login('bob', 'bob-pw')).toMatchObject({ offlineCount: 1, lastSeq: 2 });
      const [m] = await bob.waitMessages(1);
      expect(m).toMatchObject({ seq: before.message.id, offline: true, message: { from: 'alice', text: 'before restart' } });
      const carol = await h.tcp(0);
      await carol.login('carol', 'carol-pw');
      await carol.waitLine(/^#2 \[\d\d:\d\d\] alice \(private, offline\): tcp before restart$/);
      // Positions continue after the restart.
      const again = await h.wsUser(0, 'alice');
      await again.request({ type: 'message', to: 'bob', text: 'after' });
      expect((await bob.waitMessages(1))[0]!.seq).toBe(3);
    });
  });
}
