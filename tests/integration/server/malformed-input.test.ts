// Property-based suite (fast-check) of malformed input through a real server
// and real sockets: every command of the protocol, mutated so that it is wrong
// (a missing, extra or mistyped field, an out-of-range number, a name or text
// no schema accepts, Unicode edge cases, prototype keys, deep nesting, bytes
// that are not UTF-8, frames that are not JSON or not text). For each input:
// - exactly one error reply with the documented, stable code (`BAD_REQUEST`,
//   `UNKNOWN_COMMAND`, `INVALID_JSON`, `INVALID_UTF8`, `FRAME_TOO_LARGE`);
// - the connection stays usable (a `ping` right after it answers);
// - nobody else hears anything, the server logs no error, and what is stored
//   (histories, conversations, profile, settings, groups, blocks) is unchanged.
// A second property sends texts full of Unicode edge cases and checks that a
// text the server acknowledges reads back exactly as sent.
// Runs are bounded: the whole file takes a few seconds.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, type Command } from '../../../server/protocol';
import { captureLog, type CapturedLog } from '../../helpers/log-capture';
import { TcpClient } from '../../helpers/tcp-client';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { WsClient, type Reply } from '../../helpers/ws-client';

// ---------------------------------------------------------------- values

/** A value written into a frame as it is: JSON has no Infinity, but `1e309` parses to it. */
interface Raw {
  raw: string;
}
type Value = Raw | string | number | boolean | null | readonly unknown[] | Record<string, unknown>;

const raw = (text: string): Raw => ({ raw: text });
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && 'raw' in v && typeof (v as Raw).raw === 'string';
const encode = (v: Value): string => (isRaw(v) ? v.raw : JSON.stringify(v));

/** `[[[…]]]` nested `depth` deep: valid JSON no field accepts. */
const nested = (depth: number): Raw => raw(`${'['.repeat(depth)}${']'.repeat(depth)}`);

const LONE = ['\ud800', '\udfff', '\ud83d', '\ude00'];
/** Characters that are valid but easy to get wrong: RTL and isolate marks, zero-width, combining, BOM, NUL-free controls. */
const ODD = ['\u202e', '\u2067', '\u200b', '\u200d', '\u0301', '\ufeff', '\u0007', '\u2028', '\u00a0'];

/** Field kinds, and values of each that no schema accepts. */
type Kind =
  | 'name'
  | 'text'
  | 'id'
  | 'seq'
  | 'limit200'
  | 'limit100'
  | 'time'
  | 'bool'
  | 'names'
  | 'emoji'
  | 'files'
  | 'password'
  | 'displayName'
  | 'avatar'
  | 'searchQuery'
  | 'usersQuery';

const STRING_KINDS: ReadonlySet<Kind> = new Set(['name', 'text', 'emoji', 'password', 'displayName', 'avatar', 'searchQuery', 'usersQuery']);
const NUMBER_KINDS: ReadonlySet<Kind> = new Set(['id', 'seq', 'limit200', 'limit100', 'time']);

function wrongTypes(kind: Kind): Value[] {
  const containers: Value[] = [{}, { __proto__: 1 }, nested(3000)];
  if (STRING_KINDS.has(kind)) return [1, 0, -1, true, false, ...(kind === 'displayName' || kind === 'avatar' ? [] : [null]), [], ['bob'], ...containers];
  if (NUMBER_KINDS.has(kind)) return ['1', '', 'NaN', 'Infinity', true, null, [], [1], ...containers];
  if (kind === 'bool') return ['true', 'false', 1, 0, null, [], ...containers];
  return ['bob', 5, true, null, ...containers];
}

const tooMany = (n: number): string[] => Array.from({ length: n }, (_, i) => `u${i}`);
const BAD_NAMES: Value[] = [
  '',
  ' ',
  'a'.repeat(33),
  '_bob',
  '-bob',
  '.bob',
  'bo b',
  'bob\u0000',
  'bøb',
  '__proto__',
  'constructor()',
  ...LONE,
  ...ODD.map((c) => `b${c}ob`),
];

function badValues(kind: Kind): Value[] {
  switch (kind) {
    case 'name':
      return BAD_NAMES;
    case 'text':
      return [
        '',
        '   ',
        ' \n\t ',
        'x'.repeat(4001),
        `${'é'.repeat(4000)}x`,
        'a\u0000b',
        ...LONE,
        ...LONE.map((c) => `hi ${c} there`),
        `\u202e${LONE[0]}\u200b`,
      ];
    case 'id':
      return [0, -1, 1.5, -0.5, 9007199254740992, raw('1e309'), raw('-1e309'), raw('1e400'), raw('1.0000000000000002')];
    case 'seq':
      return [-1, 1.5, 9007199254740992, raw('1e309'), raw('-1e309')];
    case 'limit200':
      return [0, -1, 201, 1.5, raw('1e309')];
    case 'limit100':
      return [0, -1, 101, 1.5, raw('1e309')];
    case 'time':
      return [1.5, 9007199254740992, -9007199254740992, raw('1e309')];
    case 'bool':
      return [];
    case 'names':
      return [[''], ['_x'], [5], [null], [{}], ['bob', '\ud800'], tooMany(1001)];
    case 'emoji':
      return ['', 'a', '1', ' ', '👍👍', '\ud83d', 'x'.repeat(17), '\u0000', '\u200b', '!', '👍a'];
    case 'files':
      return [
        [],
        ['x'],
        ['../../../etc/passwd'],
        ['A'.repeat(21)],
        ['A'.repeat(22), 'A'.repeat(22)],
        Array.from({ length: 11 }, (_, i) => `${'A'.repeat(20)}${i}`.padEnd(22, 'A')),
      ];
    case 'password':
      return ['', 'a\nb', 'a\rb', 'a\u0000b', 'x'.repeat(1025)];
    case 'displayName':
      return ['', '   ', 'x'.repeat(65), 'a\u202eb', 'a\u2066b', 'a\u0007b', 'a\u2028b', 'a\nb', ...LONE, `Alice ${LONE[0]}`];
    case 'avatar':
      return ['x', '../../etc/passwd', 'A'.repeat(23), 'A'.repeat(21) + '/'];
    case 'searchQuery':
      return ['', '(', '""', '* - :', 'x'.repeat(201)];
    case 'usersQuery':
      return ['x'.repeat(33)];
  }
}

// ---------------------------------------------------------------- commands

interface Field {
  kind: Kind;
  /** A valid value. */
  valid: Value;
  /** Left out, the command is still valid. */
  optional?: true;
}

interface Template {
  type: string;
  /** The fields of a valid command of this type. */
  fields: Record<string, Field>;
  /** Fields the command takes that the template leaves out (added only with a bad value). */
  also?: Record<string, Kind>;
}

const f = (kind: Kind, valid: Value, optional?: true): Field => (optional ? { kind, valid, optional } : { kind, valid });

/** Every command of the protocol (server/protocol/commands), each valid as given. */
const TEMPLATES: Template[] = [
  {
    type: 'login',
    fields: { username: f('name', 'alice'), password: f('password', 'wrong-pw', true) },
    also: { remember: 'bool', resumeFrom: 'seq', presence: 'bool' },
  },
  { type: 'register', fields: { username: f('name', 'newbie'), password: f('password', 'long-enough-pw') }, also: { remember: 'bool' } },
  { type: 'message', fields: { to: f('name', 'bob'), text: f('text', 'hi') }, also: { replyTo: 'id', attachments: 'files' } },
  { type: 'message-group', fields: { group: f('name', 'team'), text: f('text', 'hi') }, also: { replyTo: 'id', attachments: 'files' } },
  { type: 'broadcast', fields: { text: f('text', 'hi') }, also: { replyTo: 'id', attachments: 'files' } },
  { type: 'reply', fields: { messageId: f('id', 1), text: f('text', 'hi') } },
  { type: 'edit', fields: { messageId: f('id', 1), text: f('text', 'hi') } },
  { type: 'delete', fields: { messageId: f('id', 1) } },
  { type: 'react', fields: { messageId: f('id', 1), emoji: f('emoji', '👍') } },
  { type: 'whoelse', fields: {} },
  { type: 'wholasthr', fields: {} },
  { type: 'block', fields: { user: f('name', 'bob') } },
  { type: 'unblock', fields: { user: f('name', 'bob') } },
  { type: 'blocklist', fields: {} },
  { type: 'ping', fields: { user: f('name', 'bob') } },
  { type: 'watch', fields: { users: f('names', ['bob']) } },
  { type: 'users', fields: { query: f('usersQuery', 'al', true) } },
  { type: 'profile', fields: { displayName: f('displayName', 'Alice', true) }, also: { avatar: 'avatar', user: 'name' } },
  { type: 'profiles', fields: { users: f('names', ['bob']) } },
  { type: 'typing', fields: { with: f('name', 'bob') }, also: { group: 'bool' } },
  { type: 'offline', fields: {} },
  { type: 'create-group', fields: { group: f('name', 'crew'), members: f('names', ['bob']) } },
  { type: 'group-add', fields: { group: f('name', 'team'), members: f('names', ['carol']) } },
  { type: 'group-remove', fields: { group: f('name', 'team'), members: f('names', ['bob']) } },
  { type: 'group-leave', fields: { group: f('name', 'team') } },
  { type: 'grouplist', fields: {} },
  {
    type: 'history',
    fields: { with: f('name', 'bob', true), before: f('id', 5, true), limit: f('limit200', 10, true) },
    also: { group: 'bool', everyone: 'bool' },
  },
  { type: 'conversations', fields: { before: f('id', 5, true), limit: f('limit200', 10, true) } },
  { type: 'read', fields: { with: f('name', 'bob', true), messageId: f('id', 1) }, also: { group: 'bool', everyone: 'bool' } },
  { type: 'settings', fields: { readReceipts: f('bool', false, true) } },
  {
    type: 'search',
    fields: { query: f('searchQuery', 'seed'), with: f('name', 'bob', true), before: f('time', 2, true), limit: f('limit100', 5, true) },
    also: { group: 'name', after: 'time', cursor: 'id' },
  },
  { type: 'ack', fields: { seq: f('seq', 0) } },
  { type: 'file-token', fields: {} },
  { type: 'logout', fields: {} },
  { type: 'help', fields: {} },
];

/** Keys no command has; JSON.parse makes `__proto__` an own key like any other. */
const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'admin', 'Type', 'type ', 'ïd', '\ud800', ''];
const BAD_TYPES: Value[] = [
  '',
  'Message',
  'message ',
  'MESSAGE',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'x'.repeat(5000),
  '\ud800',
  'мessage',
  7,
  null,
  true,
  [],
  {},
  ['message'],
];
const BAD_IDS: Value[] = [-1, 1.5, raw('1e309'), 9007199254740992, '', 'i'.repeat(65), null, true, {}, [], [1], nested(100)];

// ---------------------------------------------------------------- WebSocket inputs

/** The error reply expected: with the request's own id, or with `id: null` for a frame whose id could not be read. */
interface WsExpect {
  id: 'own' | null;
  code: string;
}
interface WsInput {
  label: string;
  /** The frame: text, or bytes sent as a text (`binary: false`) or binary frame; a function of the request id for those that carry one. */
  frame: string | Buffer | ((id: string) => string);
  binary?: boolean;
  expect: WsExpect;
  /** Sent by the client that has not signed in. */
  anonymous: boolean;
}

type Entry = [string, Value];

function frameOf(id: Value | undefined, type: Value | undefined, entries: readonly Entry[]): string {
  const parts: string[] = [];
  if (id !== undefined) parts.push(`"id":${encode(id)}`);
  if (type !== undefined) parts.push(`"type":${encode(type)}`);
  for (const [key, value] of entries) parts.push(`${JSON.stringify(key)}:${encode(value)}`);
  return `{${parts.join(',')}}`;
}

const validEntries = (t: Template): Entry[] => Object.entries(t.fields).map(([k, field]) => [k, field.valid]);

/** One mutation of template `t` that makes it invalid, with the code it must get. */
function mutationsOf(t: Template): fc.Arbitrary<{ label: string; type: Value | undefined; entries: Entry[]; code: string }> {
  const base = validEntries(t);
  const options: fc.Arbitrary<{ label: string; type: Value | undefined; entries: Entry[]; code: string }>[] = [];
  const fields = Object.entries(t.fields);
  const allFields: [string, Kind][] = [...fields.map(([k, field]): [string, Kind] => [k, field.kind]), ...Object.entries(t.also ?? {})];
  const required = fields.filter(([, field]) => !field.optional).map(([k]) => k);
  const replace = (key: string, value: Value): Entry[] => {
    const kept = base.filter(([k]) => k !== key);
    return [...kept, [key, value]];
  };
  if (required.length > 0) {
    options.push(
      fc
        .constantFrom(...required)
        .map((key) => ({ label: `${t.type} without ${key}`, type: t.type, entries: base.filter(([k]) => k !== key), code: 'BAD_REQUEST' })),
    );
  }
  for (const [key, kind] of allFields) {
    const bad = [...wrongTypes(kind), ...badValues(kind)];
    options.push(
      fc
        .constantFrom(...bad)
        .map((value) => ({ label: `${t.type} ${key}=${encode(value).slice(0, 60)}`, type: t.type, entries: replace(key, value), code: 'BAD_REQUEST' })),
    );
  }
  options.push(
    fc.tuple(fc.constantFrom(...EXTRA_KEYS), fc.constantFrom<Value>(1, 'x', null, {}, { polluted: true }, nested(50))).map(([key, value]) => ({
      label: `${t.type} +${key}`,
      type: t.type,
      entries: [...base, [key, value] as Entry],
      code: 'BAD_REQUEST',
    })),
  );
  options.push(fc.constantFrom(...BAD_TYPES).map((type) => ({ label: `type=${encode(type).slice(0, 40)}`, type, entries: base, code: 'UNKNOWN_COMMAND' })));
  options.push(fc.constant({ label: `${t.type} without type`, type: undefined, entries: base, code: 'UNKNOWN_COMMAND' }));
  return fc.oneof(...options);
}

const NOT_JSON = [
  '',
  ' ',
  'NaN',
  'undefined',
  '{',
  '{"id":1,"type":"whoelse"',
  "{'id':1}",
  '{"id":1,}',
  '{"id":01,"type":"whoelse"}',
  '[',
  '"\\x"',
  '{"id":1}}',
  'whoelse',
  '\u0000',
  `${'['.repeat(70000)}`.slice(0, 60000),
  `{"a":${'{"a":'.repeat(10000)}1`,
];
const NOT_OBJECTS = ['[]', '[{"id":1,"type":"whoelse"}]', '42', '-0', '"whoelse"', 'null', 'true', '1e309', nested(20000).raw];
const INVALID_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]];

const wsInput: fc.Arbitrary<WsInput> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(fc.constantFrom(...TEMPLATES), fc.boolean())
      .chain(([t, anonymous]) =>
        mutationsOf(t).map((m): WsInput => ({ label: m.label, frame: (id) => frameOf(id, m.type, m.entries), expect: { id: 'own', code: m.code }, anonymous })),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...TEMPLATES), fc.constantFrom<Value | undefined>(undefined, ...BAD_IDS), fc.boolean())
      .map(([t, id, anonymous]): WsInput => ({
        label: `id=${id === undefined ? 'none' : encode(id).slice(0, 30)}`,
        frame: frameOf(id, t.type, validEntries(t)),
        expect: { id: null, code: 'BAD_REQUEST' },
        anonymous,
      })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...NOT_JSON), fc.boolean())
      .map(([frame, anonymous]): WsInput => ({ label: `not JSON ${frame.slice(0, 20)}`, frame, expect: { id: null, code: 'INVALID_JSON' }, anonymous })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...NOT_OBJECTS), fc.boolean())
      .map(([frame, anonymous]): WsInput => ({ label: `not an object ${frame.slice(0, 20)}`, frame, expect: { id: null, code: 'BAD_REQUEST' }, anonymous })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...INVALID_UTF8), fc.boolean()).map(([bytes, anonymous]): WsInput => ({
      label: `invalid UTF-8 ${bytes.join(',')}`,
      frame: Buffer.concat([Buffer.from('{"id":1,"type":"message","to":"bob","text":"'), Buffer.from(bytes), Buffer.from('"}')]),
      binary: false,
      expect: { id: null, code: 'INVALID_UTF8' },
      anonymous,
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...TEMPLATES), fc.boolean()).map(([t, anonymous]): WsInput => ({
      label: `binary ${t.type}`,
      frame: Buffer.from(frameOf(1, t.type, validEntries(t))),
      binary: true,
      expect: { id: null, code: 'BAD_REQUEST' },
      anonymous,
    })),
  },
);

// ---------------------------------------------------------------- TCP inputs

interface TcpInput {
  label: string;
  /** The line without its LF (OVER_LONG: one byte over MAX_FRAME_BYTES, made when sent so reports stay short). */
  line: string | Buffer;
  code: string;
}

const OVER_LONG = '<over-long>';
const lineBytes = (line: string | Buffer): Buffer =>
  line === OVER_LONG ? Buffer.from(`broadcast ${'x'.repeat(MAX_FRAME_BYTES)}\n`) : Buffer.concat([Buffer.from(line), Buffer.from('\n')]);

const BAD_TCP_IDS = ['-1', '1.5', '0x10', '1e3', 'abc', '99999999999999999999', '١', '１', '1_000', 'NaN', 'Infinity', '+5', '#5'];
const BAD_TCP_NAMES = ['_x', '-x', '.x', 'a'.repeat(33), 'bøb', 'a!b', '__proto__', 'b\u200bob', '\u202ebob', 'bo\u0301b', '\ufeffbob'];
const BAD_TCP_TEXTS = ['x'.repeat(4001), 'a\u0000b'];
const tcpInput: fc.Arbitrary<TcpInput> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('dance', 'mesage', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '\u202emessage', 'message\u200b'),
        fc.constantFrom('', ' bob hi', ' 1'),
      )
      .map(([verb, rest]) => ({ label: `verb ${verb}`, line: `${verb}${rest}`, code: 'UNKNOWN_COMMAND' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        'message',
        'message group',
        'message bob',
        'reply',
        'reply 1',
        'edit',
        'edit 1',
        'delete',
        'react',
        'react 1',
        'block',
        'unblock',
        'ping',
        'typing',
        'typing group',
        'read',
        'read bob',
        'read everyone',
        'create group',
        'add group team',
        'remove group team',
        'leave group',
        'history',
        'search',
        'ack',
        'profiles',
        'create',
        'leave',
      )
      .map((line) => ({ label: `missing arguments: ${line}`, line, code: 'BAD_REQUEST' })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'delete X',
          'edit X hi',
          'reply X hi',
          'react X 👍',
          'ack X',
          'history bob X',
          'history everyone X',
          'conversations X',
          'read bob X',
          'read everyone X',
          'read group team X',
        ),
        fc.constantFrom(...BAD_TCP_IDS),
      )
      .map(([pattern, id]) => ({ label: `id ${id}: ${pattern}`, line: pattern.replace('X', id), code: 'BAD_REQUEST' })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'message X hi',
          'message group X hi',
          'block X',
          'ping X',
          'typing X',
          'watch X',
          'profiles X',
          'history X',
          'create group X',
          'leave group X',
          'read X 1',
        ),
        fc.constantFrom(...BAD_TCP_NAMES),
      )
      .map(([pattern, name]) => ({ label: `name ${name}: ${pattern}`, line: pattern.replace('X', name), code: 'BAD_REQUEST' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('message alice X', 'broadcast X', 'message group team X', 'edit 1 X', 'reply 1 X'), fc.constantFrom(...BAD_TCP_TEXTS))
      .map(([pattern, text]) => ({ label: `text: ${pattern}`, line: pattern.replace('X', text), code: 'BAD_REQUEST' })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('a', '1', '👍👍', '!', '👍a').map((emoji) => ({ label: `emoji ${emoji}`, line: `react 1 ${emoji}`, code: 'BAD_REQUEST' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('message alice ', 'broadcast ', 'edit 1 ', 'search ', 'users ', 'profile name ', ''), fc.constantFrom(...INVALID_UTF8))
      .map(([prefix, bytes]) => ({
        label: `invalid UTF-8 after "${prefix}"`,
        line: Buffer.concat([Buffer.from(prefix), Buffer.from(bytes)]),
        code: 'INVALID_UTF8',
      })),
  },
  { weight: 1, arbitrary: fc.constant({ label: 'over-long line', line: OVER_LONG, code: 'FRAME_TOO_LARGE' }) },
);

// ---------------------------------------------------------------- the server and its clients

let server: TestServer;
let captured: CapturedLog;
let alice: WsClient;
let anon: WsClient;
let bob: TcpClient;
let carol: WsClient;
let nextId = 1;
/** Every reply each client received, in the order received: its id and error code (null when ok). */
const replyLog = new Map<WsClient, { id: unknown; code: string | null }[]>();

function logReplies(c: WsClient): void {
  const log: { id: unknown; code: string | null }[] = [];
  replyLog.set(c, log);
  c.ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { type?: unknown; id?: unknown; error?: { code?: string } };
    if (frame.type === 'reply') log.push({ id: frame.id, code: frame.error?.code ?? null });
  });
}

/** What alice reads of the stored data: must not change under malformed input. */
async function snapshot(): Promise<unknown> {
  const reads: Command[] = [
    { type: 'history', with: 'bob' },
    { type: 'history', with: 'team' },
    { type: 'history', everyone: true },
    { type: 'conversations' },
    { type: 'profile' },
    { type: 'profiles', users: ['alice', 'bob', 'carol', 'dave', 'erin'] },
    { type: 'settings' },
    { type: 'grouplist' },
    { type: 'blocklist' },
    { type: 'search', query: 'seed' },
    { type: 'users' },
  ];
  const replies: Reply[] = [];
  for (const read of reads) replies.push(await alice.send(read));
  return JSON.parse(JSON.stringify(replies, (key, value: unknown) => (key === 'lastLoginAt' || key === 'online' ? undefined : value))) as unknown;
}

async function pingAnswers(c: WsClient): Promise<void> {
  const reply = await c.send({ type: 'ping', user: 'bob' });
  // A client not signed in is told so, which still shows the connection reads and answers.
  if (c === anon) expect(reply).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });
  else expect(reply).toMatchObject({ ok: true, result: { user: 'bob', online: true } });
}

beforeAll(async () => {
  captured = captureLog('warn');
  server = await startTestServer({ logger: captured.log, loginTimeoutSeconds: 600, idleSeconds: 600 });
  [alice, anon, carol] = await Promise.all([WsClient.connect(server.wsUrl), WsClient.connect(server.wsUrl), WsClient.connect(server.wsUrl)]);
  bob = await TcpClient.connect(server.tcpPort);
  logReplies(alice);
  logReplies(anon);
  await Promise.all([alice.login('alice', 'alice-pw'), carol.login('carol', 'carol-pw'), bob.login('bob', 'bob-pw')]);
  // Something of everything, for the snapshot to hold: messages, a reply, an edit, a reaction, a group, a read position, a profile.
  const first = await alice.request({ type: 'message', to: 'bob', text: 'seed one' });
  await alice.request({ type: 'reply', messageId: first.message.id, text: 'seed reply' });
  await alice.request({ type: 'edit', messageId: first.message.id, text: 'seed one, edited' });
  await alice.request({ type: 'react', messageId: first.message.id, emoji: '👍' });
  await alice.request({ type: 'create-group', group: 'team', members: ['bob'] });
  await alice.request({ type: 'message-group', group: 'team', text: 'seed group' });
  await alice.request({ type: 'broadcast', text: 'seed broadcast' });
  await alice.request({ type: 'read', with: 'bob', messageId: first.message.id });
  await alice.request({ type: 'profile', displayName: 'Alice Liddell' });
  await alice.request({ type: 'block', user: 'erin' });
  await bob.waitLine(/seed broadcast/);
  await bob.waitLine(/^\* alice updated their profile/);
  await carol.waitEvent('message', (e) => e.message.text === 'seed broadcast');
  await carol.waitEvent('profile');
}, 20_000);

afterAll(async () => {
  alice.close();
  anon.close();
  carol.close();
  bob.close();
  await server?.stop();
});

/** Nothing reached anyone else, nothing was logged as an error. */
function expectQuiet(): void {
  expect(carol.events).toEqual([]);
  expect(bob.unread()).toEqual([]);
  expect(captured.entries.filter((e) => (e.level as number) >= 50)).toEqual([]);
}

describe('malformed input', () => {
  it('WebSocket: every malformed frame gets one coded error, the connection stays usable, nothing changes', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(fc.array(wsInput, { minLength: 1, maxLength: 8 }), async (inputs) => {
        // Sent back to back (pipelined); replies must come in the same order, one each.
        const logged = { alice: replyLog.get(alice)!.length, anon: replyLog.get(anon)!.length };
        const expected = new Map<WsClient, { id: unknown; code: string | null; label: string }[]>([
          [alice, []],
          [anon, []],
        ]);
        const replies: Promise<unknown>[] = [];
        for (const input of inputs) {
          const c = input.anonymous ? anon : alice;
          if (typeof input.frame === 'function') {
            const id = `f${nextId++}`;
            replies.push(c.sendRawWithId(id, input.frame(id)));
            expected.get(c)!.push({ id, code: input.expect.code, label: input.label });
          } else {
            c.sendRaw(input.frame, input.binary ?? false);
            replies.push(c.waitOrphanError());
            expected.get(c)!.push({ id: null, code: input.expect.code, label: input.label });
          }
        }
        await Promise.all(replies);
        await Promise.all([pingAnswers(alice), pingAnswers(anon)]);
        for (const [c, start] of [
          [alice, logged.alice],
          [anon, logged.anon],
        ] as const) {
          const got = replyLog.get(c)!.slice(start);
          const want = expected.get(c)!;
          // Then the ping's reply, and nothing else.
          expect(got.length, want.map((w) => w.label).join(' | ')).toBe(want.length + 1);
          want.forEach((w, i) => expect(got[i], w.label).toEqual({ id: w.id, code: w.code }));
        }
        expect(alice.orphanErrors).toEqual([]);
        expect(anon.orphanErrors).toEqual([]);
        expect(alice.closed).toBeNull();
        expect(anon.closed).toBeNull();
        expectQuiet();
      }),
      { numRuns: 60, seed: Number(process.env.FUZZ_SEED ?? 1) },
    );
    expect(await snapshot()).toEqual(before);
  }, 30_000);

  it('WebSocket: orphan errors carry the documented code (checked one by one)', async () => {
    await fc.assert(
      fc.asyncProperty(
        wsInput.filter((i) => typeof i.frame !== 'function'),
        async (input) => {
          const c = input.anonymous ? anon : alice;
          c.sendRaw(input.frame as string | Buffer, input.binary ?? false);
          const error = await c.waitOrphanError();
          expect(error.code, input.label).toBe(input.expect.code);
          expect(error.message.length).toBeGreaterThan(0);
          await pingAnswers(c);
          expect(c.orphanErrors).toEqual([]);
        },
      ),
      { numRuns: 40, seed: Number(process.env.FUZZ_SEED ?? 1) },
    );
    expectQuiet();
  }, 30_000);

  it('TCP: every malformed line gets exactly one `error CODE: ...` line, and the session stays usable', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(fc.array(tcpInput, { minLength: 1, maxLength: 6 }), async (inputs) => {
        const start = bob.lines.length;
        for (const input of inputs) {
          bob.write(lineBytes(input.line));
        }
        bob.send('ping alice');
        await bob.waitLine(/^alice is online\.$/);
        const end = bob.lines.lastIndexOf('alice is online.');
        const answers = bob.lines.slice(start, end);
        expect(answers.length, inputs.map((i) => i.label).join(' | ')).toBe(inputs.length);
        answers.forEach((line, i) => {
          expect(line, inputs[i]!.label).toMatch(new RegExp(`^error ${inputs[i]!.code}: \\S`));
        });
        expect(bob.closed).toBe(false);
        expectQuiet();
      }),
      { numRuns: 60, seed: Number(process.env.FUZZ_SEED ?? 1) },
    );
    expect(await snapshot()).toEqual(before);
  }, 30_000);
});

describe('before sign-in', () => {
  it('a request no one could run is BAD_REQUEST before sign-in too, as any malformed request (not NOT_SIGNED_IN)', async () => {
    for (const [request, message] of [
      [{ type: 'search', query: '(' }, 'search: the query needs at least one word (letters or digits)'],
      [{ type: 'search', query: 'x', with: 'bob', group: 'team' }, 'search: give either "with" or "group", not both'],
      [{ type: 'search', query: 'x', after: 5, before: 5 }, 'search: "after" must be earlier than "before"'],
      [{ type: 'profile', user: 'bob', displayName: 'Bob' }, 'profile: "user" reads a profile; it cannot be combined with displayName or avatar'],
      [{ type: 'profile', user: 'bob', avatar: null }, 'profile: "user" reads a profile; it cannot be combined with displayName or avatar'],
    ] as const) {
      expect(await anon.expectError(request), request.type).toEqual({ code: 'BAD_REQUEST', message });
      expect(await alice.expectError(request), request.type).toEqual({ code: 'BAD_REQUEST', message });
    }
    // A sign-in with neither a password nor a token, or both, is malformed too, also on a connection signed in already.
    for (const request of [
      { type: 'login', username: 'alice' },
      { type: 'login', username: 'alice', password: 'alice-pw', token: 't'.repeat(20) },
    ] as const) {
      for (const c of [anon, alice]) {
        expect(await c.expectError(request)).toEqual({ code: 'BAD_REQUEST', message: 'login: give either a password or a token' });
      }
    }
    // Well-formed, the same requests need a sign-in.
    expect((await anon.expectError({ type: 'search', query: 'x' })).code).toBe('NOT_SIGNED_IN');
    expect((await anon.expectError({ type: 'profile', user: 'bob' })).code).toBe('NOT_SIGNED_IN');
  });
});

describe('reply order', () => {
  it('TCP: an over-long line is answered in its turn, after the replies to the lines before it', async () => {
    const start = bob.lines.length;
    // One write: the lines before it are still waiting to be handled when the long one is framed.
    bob.write(Buffer.concat([Buffer.from('settings\nblocklist\n'), lineBytes(OVER_LONG), Buffer.from('grouplist\n')]));
    await bob.waitLine('  team (owner alice)');
    expect(bob.lines.slice(start).map((l) => l.replace(/^(error [A-Z_]+|Your groups).*/, '$1'))).toEqual([
      'Read receipts: on.',
      'You have blocked no one.',
      'error FRAME_TOO_LARGE',
      'Your groups',
      '  team (owner alice): alice, bob',
    ]);
  });
});

// ---------------------------------------------------------------- what is acknowledged is what is stored

/** Text with the Unicode a client may send: astral characters, marks, RTL, zero-width, and now and then half a surrogate pair. */
const edgyText = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }) },
      { weight: 2, arbitrary: fc.constantFrom(...ODD, '😀', '👍🏽', '🇫🇷', 'é', 'e\u0301', '中文', 'עברית', '\t', '\n') },
      { weight: 1, arbitrary: fc.constantFrom(...LONE) },
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) => `t ${parts.join('')}`);

describe('stored text', () => {
  it('a text the server acknowledges (message, edit, reply) reads back from history exactly as sent; others are BAD_REQUEST', async () => {
    const dave = await WsClient.connect(server.wsUrl);
    const erin = await WsClient.connect(server.wsUrl);
    await Promise.all([dave.login('dave', 'dave-pw'), erin.login('erin', 'erin-pw')]);
    const stored = async (id: number) => {
      const page = await dave.request({ type: 'history', with: 'erin', limit: 200 });
      return page.messages.find((m) => m.id === id);
    };
    await fc.assert(
      fc.asyncProperty(edgyText, edgyText, async (text, edited) => {
        const sent = await dave.send({ type: 'message', to: 'erin', text });
        if (!sent.ok) {
          expect(sent.error.code).toBe('BAD_REQUEST');
          return;
        }
        const message = (sent.result as { message: { id: number; text: string } }).message;
        expect(message.text).toBe(text);
        expect((await stored(message.id))?.text).toBe(text);
        const live = await erin.waitEvent('message', (e) => e.message.id === message.id);
        expect(live.message.text).toBe(text);
        const edit = await dave.send({ type: 'edit', messageId: message.id, text: edited });
        if (edit.ok) expect((await stored(message.id))?.text).toBe(edited);
        else expect(edit.error.code).toBe('BAD_REQUEST');
        const reply = await erin.send({ type: 'reply', messageId: message.id, text: edited });
        if (reply.ok) {
          const id = (reply.result as { message: { id: number } }).message.id;
          expect((await stored(id))?.text).toBe(edited);
        } else expect(reply.error.code).toBe('BAD_REQUEST');
      }),
      { numRuns: 40, seed: Number(process.env.FUZZ_SEED ?? 1) },
    );
    dave.close();
    erin.close();
  }, 30_000);

  it('a text or new password with half a surrogate pair is refused on every command that stores one; a whole pair is kept', async () => {
    const half = 'x \ud83d y';
    for (const command of [
      { type: 'message', to: 'bob', text: half },
      { type: 'message', to: 'bob', text: half, replyTo: 1 },
      { type: 'broadcast', text: half },
      { type: 'message-group', group: 'team', text: half },
      { type: 'reply', messageId: 1, text: half },
      { type: 'edit', messageId: 1, text: half },
      { type: 'profile', displayName: half },
    ] as const) {
      const error = await alice.expectError(command);
      expect(error, command.type).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/must be valid Unicode/) });
    }
    // A new password too (checked before registration is: this server does not allow it).
    expect(await anon.expectError({ type: 'register', username: 'newbie', password: `long enough ${half}` })).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'register: password: must be valid Unicode (no unpaired surrogates)',
    });
    const whole = await alice.request({ type: 'message', to: 'carol', text: 'x \ud83d\ude00 y' });
    const page = await alice.request({ type: 'history', with: 'carol' });
    expect(page.messages.find((m) => m.id === whole.message.id)?.text).toBe('x 😀 y');
    await carol.waitEvent('message', (e) => e.message.id === whole.message.id);
    expectQuiet();
  });
});
