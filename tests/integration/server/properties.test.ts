// Property-based suite (fast-check) through the real server on SQLite: random
// sequences of valid and invalid commands from three signed-in clients, two
// on WebSocket and one on TCP. After every sequence the server must be
// - responsive: every client gets its `ping` answered, /healthz says ok;
// - consistent: every message acknowledged is delivered exactly once, to its
//   recipient only, and a refused one is delivered to no one;
// - coded: every refusal carries a code from the error catalogue.
// Runs are bounded (a fixed number of short sequences) to stay well under 60 s.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../server/protocol';
import { TcpClient } from '../../helpers/tcp-client';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { waitUntil } from '../../helpers/wait';
import { WsClient } from '../../helpers/ws-client';

const PEOPLE = ['alice', 'bob', 'carol'] as const;
type Person = (typeof PEOPLE)[number];
/** alice and carol use WebSocket, bob types on TCP. */
const ON_TCP: Person = 'bob';

type Step =
  | { kind: 'message'; from: Person; to: string; long: boolean }
  | { kind: 'block' | 'unblock'; from: Person; user: Person }
  | { kind: 'whoelse'; from: Person }
  | { kind: 'garbage'; from: Person; text: string }
  | { kind: 'relogin'; from: Person };

const person = fc.constantFrom(...PEOPLE);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('message' as const), from: person, to: fc.constantFrom<string>(...PEOPLE, 'nobody'), long: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('block' as const, 'unblock' as const), from: person, user: person }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('whoelse' as const), from: person }) },
  // Unknown commands, bad JSON, characters of every kind (no line breaks: one line each).
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('garbage' as const),
      from: person,
      text: fc.string({ maxLength: 40 }).map((s) => `zz${s.replace(/[\r\n]/g, ' ')}`),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('relogin' as const), from: person }) },
);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({});
});
afterAll(async () => {
  await server.stop();
});

interface Clients {
  ws: Partial<Record<Person, WsClient>>;
  tcp: TcpClient;
}

async function connectAll(): Promise<Clients> {
  const [alice, carol, tcp] = await Promise.all([WsClient.connect(server.wsUrl), WsClient.connect(server.wsUrl), TcpClient.connect(server.tcpPort)]);
  await Promise.all([alice.login('alice', 'alice-pw'), carol.login('carol', 'carol-pw'), tcp.login('bob', 'bob-pw')]);
  return { ws: { alice, carol }, tcp };
}

/** The next TCP line that answers a command (not a delivery `#…` or an event `* …`). */
function tcpReply(tcp: TcpClient): Promise<string> {
  return tcp.waitLine(/^(?!#\d+ |\* )/, 5_000);
}

function expectCoded(code: string): void {
  expect(ERROR_CODES as readonly string[]).toContain(code);
}

/** Runs one step; returns the text of a message the server acknowledged (and for whom), if any. */
async function run(c: Clients, s: Step, label: string): Promise<{ to: string; text: string } | null> {
  const text = s.kind === 'message' ? (s.long ? `${label} ${'x'.repeat(4001)}` : label) : '';
  if (s.from === ON_TCP) {
    const line =
      s.kind === 'message'
        ? `message ${s.to} ${text}`
        : s.kind === 'block' || s.kind === 'unblock'
          ? `${s.kind} ${s.user}`
          : s.kind === 'garbage'
            ? s.text
            : s.kind === 'relogin'
              ? 'login bob bob-pw'
              : 'whoelse';
    c.tcp.send(line);
    const reply = await tcpReply(c.tcp);
    const error = /^error ([A-Z_]+): /.exec(reply);
    if (error) {
      expectCoded(error[1]!);
      return null;
    }
    // A garbage line that is not a command is always refused; blank ones are ignored (none are sent).
    expect(s.kind).not.toBe('garbage');
    return s.kind === 'message' ? (expect(reply).toMatch(new RegExp(`^Sent to ${s.to}\\. \\(#\\d+\\)$`)), { to: s.to, text }) : null;
  }
  const ws = c.ws[s.from]!;
  if (s.kind === 'garbage') {
    // Half the time a request with an unknown type (answered with its id), half text that is not JSON.
    if (s.text.length % 2) {
      const reply = await ws.sendRawWithId(label, JSON.stringify({ id: label, type: s.text }));
      expect(reply.ok).toBe(false);
      if (!reply.ok) expectCoded(reply.error.code);
    } else {
      ws.sendRaw(s.text);
      expectCoded((await ws.waitOrphanError()).code);
    }
    return null;
  }
  const command =
    s.kind === 'message'
      ? ({ type: 'message', to: s.to, text } as const)
      : s.kind === 'block' || s.kind === 'unblock'
        ? ({ type: s.kind, user: s.user } as const)
        : s.kind === 'relogin'
          ? ({ type: 'login', username: s.from, password: `${s.from}-pw` } as const)
          : ({ type: 'whoelse' } as const);
  const reply = await ws.send(command, 5_000);
  if (!reply.ok) {
    expectCoded(reply.error.code);
    return null;
  }
  expect(s.kind).not.toBe('relogin');
  return s.kind === 'message' ? { to: s.to, text } : null;
}

/** Texts of the messages `who` has received on this connection so far. */
function received(c: Clients, who: Person): string[] {
  if (who === ON_TCP) {
    // Every line the TCP client read, replies waited for included.
    return c.tcp.lines.flatMap((line) => {
      const m = /^#\d+ \[[^\]]+\] \S+ \(private\): (.*)$/.exec(line);
      return m ? [m[1]!] : [];
    });
  }
  return c.ws[who]!.events.filter((e) => e.event === 'message').map((e) => (e as { message: { text: string } }).message.text);
}

let runNo = 0;

it('random command sequences over TCP and WebSocket keep the server responsive, consistent and coded', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 24 }), async (steps) => {
      const c = await connectAll();
      const run_ = ++runNo;
      const acknowledged: { to: string; text: string }[] = [];
      const refused: string[] = [];
      try {
        for (const [i, s] of steps.entries()) {
          const label = `r${run_}s${i}`;
          const ok = await run(c, s, label);
          if (ok) acknowledged.push(ok);
          else if (s.kind === 'message') refused.push(label);
        }
        // Responsive: everyone gets an answer, and the node reports healthy.
        for (const who of PEOPLE) {
          if (who === ON_TCP) {
            c.tcp.send('ping alice');
            expect(await tcpReply(c.tcp)).toMatch(/^alice /);
          } else {
            expect((await c.ws[who]!.send({ type: 'ping', user: 'bob' }, 5_000)).ok).toBe(true);
          }
        }
        expect((await fetch(`${server.httpUrl}healthz`)).status).toBe(200);
        // Consistent: each acknowledged message arrives exactly once at its recipient and nowhere else.
        const texts = (who: Person) => received(c, who).map((t) => t.split(' ')[0]!);
        await waitUntil(() => acknowledged.every((a) => texts(a.to as Person).includes(a.text.split(' ')[0]!)), 'every acknowledged message to arrive', 5_000);
        for (const who of PEOPLE) {
          const got = texts(who).filter((t) => t.startsWith(`r${run_}s`));
          const expected = acknowledged.filter((a) => a.to === who).map((a) => a.text.split(' ')[0]!);
          expect(got.sort()).toEqual(expected.sort());
          for (const r of refused) expect(got).not.toContain(r);
        }
      } finally {
        // Sign everyone out so the next sequence can sign in again.
        await Promise.all([...Object.values(c.ws).map((w) => w.send({ type: 'logout' }, 5_000).catch(() => null)), (async () => c.tcp.send('logout'))()]);
        await waitUntil(() => Object.values(c.ws).every((w) => w.closed !== null) && c.tcp.closed, 'the clients to be signed out', 5_000).catch(() => {
          for (const w of Object.values(c.ws)) w.kill();
          c.tcp.kill();
        });
        await waitUntil(
          async () => ((await (await fetch(`${server.httpUrl}healthz`)).json()) as { sessions: number }).sessions === 0,
          'the sessions to end',
          5_000,
        );
        // Blocks are left as they are: later sequences start from whatever earlier ones built.
      }
    }),
    { numRuns: 50, endOnFailure: true },
  );
}, 120_000);

it('random lines and frames pipelined without waiting are all answered, in order, and the connection stays usable', async () => {
  const line = fc.oneof(
    fc.constant('whoelse'),
    fc.constant('blocklist'),
    fc.string({ maxLength: 30 }).map((s) => `zz${s.replace(/[\r\n]/g, ' ')}`),
    fc.string({ maxLength: 30 }).map((s) => `message alice ${s.replace(/[\r\n]/g, ' ')}x`),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 200 }), async (lines) => {
      const [tcp, ws] = await Promise.all([TcpClient.connect(server.tcpPort), WsClient.connect(server.wsUrl)]);
      try {
        await Promise.all([tcp.login('bob', 'bob-pw'), ws.login('carol', 'carol-pw')]);
        // Everything at once: TCP in one write, WebSocket as back-to-back frames.
        // `ping nobody` (the only UNKNOWN_USER) marks the end.
        tcp.write(lines.map((l) => `${l}\n`).join('') + 'ping nobody\n');
        const arrival: number[] = [];
        const replies = lines.map((l, i) =>
          ws.send(l.startsWith('zz') ? ({ type: 'ping', user: 'nobody' } as const) : ({ type: 'whoelse' } as const), 10_000).then((r) => {
            arrival.push(i);
            return r;
          }),
        );
        await tcp.waitLine(/^error UNKNOWN_USER: /, 10_000);
        // Every TCP line before the ping got its answer: one error per unknown command at least.
        const errors = tcp.lines.filter((l) => l.startsWith('error ') && !l.startsWith('error UNKNOWN_USER'));
        for (const e of errors) expectCoded(/^error ([A-Z_]+): /.exec(e)![1]!);
        expect(errors.length).toBeGreaterThanOrEqual(lines.filter((l) => l.startsWith('zz')).length);
        const answered = await Promise.all(replies);
        // Replies arrive in request order.
        expect(arrival).toEqual(lines.map((_, i) => i));
        for (const r of answered) if (!r.ok) expectCoded(r.error.code);
      } finally {
        await ws.send({ type: 'logout' }, 5_000).catch(() => null);
        tcp.send('logout');
        await waitUntil(
          async () => ((await (await fetch(`${server.httpUrl}healthz`)).json()) as { sessions: number }).sessions === 0,
          'the sessions to end',
          5_000,
        );
        ws.kill();
        tcp.kill();
      }
    }),
    { numRuns: 20, endOnFailure: true },
  );
}, 120_000);
