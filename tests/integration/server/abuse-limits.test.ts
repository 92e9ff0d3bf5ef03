// Abuse limits that hold before any expensive work (README "Abuse limits"):
// sign-in budgets and a fair, bounded hash queue; the TCP prompts counted like
// commands. Attackers connect from 127.0.0.1 and the victim from 127.0.0.2
// (Linux routes all of 127/8 to loopback), so per-address rules can tell them apart.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_FRAME_BYTES } from '../../../server/protocol';
import type { ServerOptions } from '../../../server/index';
import { TcpClient } from '../../helpers/tcp-client';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { waitUntil } from '../../helpers/wait';
import { WsClient, type Reply } from '../../helpers/ws-client';

const VICTIM = '127.0.0.2';

let server: TestServer | null = null;
const open: { kill(): void }[] = [];

afterEach(async () => {
  for (const c of open.splice(0)) c.kill();
  await server?.stop();
  server = null;
});

async function start(options: Partial<ServerOptions> & { users?: Record<string, string> }): Promise<TestServer> {
  server = await startTestServer(options);
  return server;
}

async function ws(localAddress?: string): Promise<WsClient> {
  const c = await WsClient.connect(server!.wsUrl, localAddress ? { localAddress } : {});
  open.push(c);
  return c;
}

async function tcp(localAddress?: string): Promise<TcpClient> {
  const c = await TcpClient.connect(server!.tcpPort, localAddress);
  open.push(c);
  return c;
}

const randomName = () => `guess${randomBytes(4).toString('hex')}`;

/** One sign-in from the victim's address, in ms (connect, hello, login reply). */
async function timedSignIn(): Promise<number> {
  const started = performance.now();
  const c = await ws(VICTIM);
  await c.login('alice', 'alice-pw');
  const ms = performance.now() - started;
  c.kill();
  return ms;
}

describe('sign-in budgets before hashing', () => {
  it('six connections guessing names do not push a normal sign-in far beyond its usual time', async () => {
    // A real hash cost, so that queueing behind the guesses would show.
    await start({ hashCost: 16, users: { alice: 'alice-pw' } });
    const usual = [await timedSignIn(), await timedSignIn(), await timedSignIn()].sort((x, y) => x - y)[1]!;

    let stop = false;
    let attempts = 0;
    const guessers: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await ws();
      guessers.push(
        (async () => {
          while (!stop && !c.closed) {
            const reply = await c.send({ type: 'login', username: randomName(), password: 'wrong-password' }).catch(() => null);
            if (reply && !reply.ok) attempts++;
          }
        })(),
      );
    }
    for (let i = 0; i < 3; i++) {
      const c = await tcp();
      guessers.push(
        (async () => {
          while (!stop && !c.closed) {
            await c.waitPrompt('Username: ', 20_000).catch(() => (stop = true));
            c.send(randomName());
            await c.waitPrompt('Password: ', 20_000).catch(() => (stop = true));
            c.send('wrong-password');
            await c.waitLine(/^error /, 20_000).catch(() => (stop = true));
            attempts++;
          }
        })(),
      );
    }
    try {
      // The guesses are queueing for the hash slot(s) by now.
      await waitUntil(() => attempts >= 6, 'the guessers to be answered a few times', 30_000);
      const underAttack = [await timedSignIn(), await timedSignIn(), await timedSignIn()].sort((x, y) => x - y)[1]!;
      // Fair queueing: one hash per other address ahead at most (today's FIFO put all six first).
      console.log(`sign-in: usual ${usual.toFixed(0)} ms, under attack ${underAttack.toFixed(0)} ms (${attempts} guesses answered)`);
      expect(underAttack, `usual ${usual.toFixed(0)} ms`).toBeLessThan(usual * 2.5 + 250);
    } finally {
      // The guessers end on their own once their connections are gone (afterEach kills them).
      stop = true;
    }
  }, 90_000);

  it('an address over its budget gets RATE_LIMITED with retryAfter before any hashing; other addresses still sign in', async () => {
    await start({ signInBudgetPerAddress: 5 });
    const guesser = await ws();
    const codes: string[] = [];
    for (let i = 0; i < 7; i++) codes.push((await guesser.expectError({ type: 'login', username: 'bob', password: `wrong-${i}` })).code);
    // Lockout after 3 (per account), then the address budget after 5 attempts.
    expect(codes.slice(0, 2)).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS']);
    const limited = await guesser.expectError({ type: 'login', username: 'carol', password: 'carol-pw' });
    expect(limited).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(limited.message).toMatch(/^Too many failed sign-ins from your address\. Try again in \d+ s\.$/);
    // Successful sign-ins give their token back: the victim's address signs in many times.
    for (let i = 0; i < 8; i++) await (await ws(VICTIM)).login('dave', 'dave-pw').then(() => open.pop()!.kill());
    // TCP from the guessing address is refused too, and asked for the password again.
    const t = await tcp();
    await t.waitPrompt('Username: ');
    t.send('erin');
    await t.waitPrompt('Password: ');
    t.send('erin-pw');
    await t.waitLine(/^error RATE_LIMITED: Too many failed sign-ins from your address\. Try again in \d+ s\.$/);
    await t.waitPrompt('Password: ');
  });

  it('the node-wide budget answers SERVER_BUSY with retryAfter', async () => {
    await start({ signInBudgetTotal: 3 });
    const a = await ws();
    const b = await ws(VICTIM);
    for (let i = 0; i < 3; i++)
      expect((await (i % 2 ? a : b).expectError({ type: 'login', username: `nobody${i}`, password: 'x' })).code).toBe('INVALID_CREDENTIALS');
    const busy = await b.expectError({ type: 'login', username: 'alice', password: 'alice-pw' });
    expect(busy).toMatchObject({ code: 'SERVER_BUSY', retryAfter: expect.any(Number) });
  });

  it('a full hash queue answers SERVER_BUSY with retryAfter instead of waiting', async () => {
    await start({ hashCost: 15, maxHashQueue: 1, users: { alice: 'alice-pw' } });
    const clients = await Promise.all(Array.from({ length: 8 }, () => ws()));
    // Different names: checks of one name run one at a time (the lockout's reservation), so only
    // guesses spread over names can fill the hash queue.
    const replies: Reply[] = await Promise.all(clients.map((c, i) => c.send({ type: 'login', username: `guess${i}`, password: 'not-it' }, 30_000)));
    const busy = replies.filter((r) => !r.ok && r.error.code === 'SERVER_BUSY');
    expect(busy.length).toBeGreaterThan(0);
    for (const r of busy) if (!r.ok) expect(r.error.retryAfter).toBeGreaterThanOrEqual(1);
    // A refused sign-in was never checked, so it leaves its name free: the next one for it is
    // checked at once, not held up (then RATE_LIMITED) by a reservation nobody is using.
    const refusedName = `guess${replies.findIndex((r) => !r.ok && r.error.code === 'SERVER_BUSY')}`;
    const again = await (await ws()).send({ type: 'login', username: refusedName, password: 'not-it' }, 30_000);
    expect(again).toMatchObject({ ok: false, error: { code: 'INVALID_CREDENTIALS' } });
  });
});

describe('TCP sign-in prompts are rate-limited like commands', () => {
  it('a flood of username lines gets RATE_LIMITED, and the prompt works again afterwards', async () => {
    await start({ rateLimit: 2, rateBurst: 3 });
    const c = await tcp();
    await c.waitPrompt('Username: ');
    for (let i = 0; i < 10; i++) c.send('!bad name!');
    // Each answer is followed by the prompt again, so it starts with "Username: ".
    await c.waitLine(/error RATE_LIMITED: Too many commands\. Slow down \(try again in \d+ s\)\.$/);
  });
});

/** Opens a raw WebSocket and resolves with how it ended: open (then hello) or closed with a code. */
function rawWs(localAddress?: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const socket = new WebSocket(server!.wsUrl, localAddress ? { localAddress } : {});
  open.push({ kill: () => socket.terminate() });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ ws: socket, closed }));
    socket.once('unexpected-response', () => reject(new Error('upgrade refused')));
  });
}

describe('connection caps', () => {
  it('unauthenticated WebSocket connections from one address are refused beyond the default cap (64) with 1008 TOO_MANY_CONNECTIONS', async () => {
    await start({});
    const accepted = await Promise.all(Array.from({ length: 64 }, () => ws()));
    const refused = await rawWs();
    const ended = await refused.closed;
    expect(ended.code).toBe(1008);
    expect(ended.reason).toMatch(/^TOO_MANY_CONNECTIONS: Too many connections from your address that have not signed in \(at most 64\)/);
    // Another address is not affected.
    await (await ws(VICTIM)).login('bob', 'bob-pw');
    // Signing in on one of them makes room for one more.
    await accepted[0]!.login('alice', 'alice-pw');
    await ws();
    expect((await (await rawWs()).closed).code).toBe(1008);
    // TCP shares the count: refused with a coded line.
    const t = await tcp();
    await t.waitLine(/^error TOO_MANY_CONNECTIONS: /);
    await t.waitClosed();
    // Closing one gives its place back.
    accepted[1]!.close();
    await waitUntil(
      async () => server!.server && (await fetch(`${server!.httpUrl}healthz`).then((r) => r.json() as Promise<{ connections: number }>)).connections === 65,
      'the close to be seen',
    );
    await ws();
  });

  it('caps connections per address and not-signed-in connections in total (flags)', async () => {
    await start({ maxConnectionsPerAddress: 3, maxUnauthenticated: 4 });
    const three = await Promise.all([ws(), ws(), ws()]);
    await Promise.all(three.map((c, i) => c.login(['alice', 'bob', 'carol'][i]!, `${['alice', 'bob', 'carol'][i]!}-pw`)));
    const perAddress = await (await rawWs()).closed;
    expect(perAddress).toMatchObject({
      code: 1008,
      reason: expect.stringMatching(/^TOO_MANY_CONNECTIONS: Too many connections from your address \(at most 3\)/),
    });
    // Four not signed in from other addresses fill the node-wide cap.
    await Promise.all(['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'].map((a) => ws(a)));
    const total = await (await rawWs('127.0.0.7')).closed;
    expect(total).toMatchObject({ code: 1008, reason: expect.stringMatching(/^TOO_MANY_CONNECTIONS: Too many connections are waiting to sign in/) });
  });

  it('a WebSocket frame over the protocol limit (64 KiB) closes the connection with 1009 before it is buffered', async () => {
    await start({});
    const c = await ws();
    c.sendRaw('z'.repeat(MAX_FRAME_BYTES + 1));
    expect((await c.waitClosed()).code).toBe(1009);
  });
});
