// The fast path for plain `message` and `ack` commands: whatever it accepts, the
// schema accepts with the same command (same fields, in the same order), and it
// does take the usual forms (else it would save nothing).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH, ProtocolError, commandSchemas, decodeRequest, parseTextCommandBySyntax } from '../../../server/protocol';
import { parseHotCommand, parseHotLine } from '../../../server/protocol/hot-commands';

/** The schema's answer: the command, or null when it refuses. */
function schemaAnswer(input: Record<string, unknown>): unknown {
  const type = input.type;
  if (type !== 'message' && type !== 'ack') return null;
  const parsed = commandSchemas[type].safeParse(input);
  return parsed.success ? parsed.data : null;
}

/** Values near the edges of every rule the schemas check. */
const texts = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '',
    ' ',
    '\t',
    '\n',
    ' \u00a0',
    'hi',
    'a\0b',
    '\u2028',
    'x'.repeat(MAX_TEXT_LENGTH),
    'x'.repeat(MAX_TEXT_LENGTH + 1),
    `${'é'.repeat(MAX_TEXT_LENGTH)}`,
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const names = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('bob', 'b', '_bob', '.a', '-a', 'a-b.c_d', 'A'.repeat(32), 'A'.repeat(33), 'bob\n', 'bøb', 'bob ', '0'),
);
const anyValue = fc.oneof(
  fc.constantFrom(undefined, null, true, 0, -0, 1, -1, 1.5, NaN, Infinity, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, [], {}),
  fc.string(),
  fc.integer(),
);
const seqs = fc.oneof(anyValue, fc.nat(), fc.double());
/** Idempotency keys near the edges of ClientKey (1-64 of [A-Za-z0-9_-]). */
const clientKeys = fc.oneof(
  fc.constantFrom('', 'k', 'a1B2_c3-d4', 'x'.repeat(64), 'x'.repeat(65), 'has space', 'dot.ted', 'ключ', 'k\n', '-', '_'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/),
  fc.string({ maxLength: 8 }),
);
const extraKeys = fc.constantFrom('attachments', 'replyTo', 'clientKey', 'id', 'seq', 'to', 'text', 'extra', '__proto__', 'constructor');

/** Extra fields, added the way JSON.parse adds them (a `__proto__` key is an own field). */
function withExtra(fields: Record<string, unknown>, extra: readonly [string, unknown][]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) input[key] = value;
  for (const [key, value] of extra) Object.defineProperty(input, key, { value, enumerable: true, writable: true, configurable: true });
  return input;
}

const fewExtra = fc.oneof(
  { weight: 4, arbitrary: fc.constant([] as [string, unknown][]) },
  fc.array(fc.tuple(extraKeys, anyValue), { minLength: 1, maxLength: 2 }),
);

/** Mostly well-formed messages and acks, near the edges of each rule, sometimes with a field missing, odd or extra. */
const inputs = fc.oneof(
  fc
    .record({
      type: fc.constant('message'),
      to: fc.oneof({ weight: 4, arbitrary: names }, anyValue),
      text: fc.oneof({ weight: 4, arbitrary: texts }, anyValue),
      clientKey: fc.oneof({ weight: 4, arbitrary: clientKeys }, anyValue),
    })
    .chain((fields) =>
      fc
        .tuple(fc.subarray(Object.keys(fields), { minLength: 2 }), fewExtra)
        .map(([keys, extra]) => withExtra(Object.fromEntries(keys.map((k) => [k, fields[k as keyof typeof fields]])), extra)),
    ),
  fc.record({ type: fc.constant('ack'), seq: seqs }).chain((fields) => fewExtra.map((extra) => withExtra(fields, extra))),
  fc
    .record({ type: fc.oneof(fc.constantFrom('broadcast', 'Message', 'message '), anyValue), to: names, text: texts, seq: seqs }, { requiredKeys: [] })
    .chain((fields) => fewExtra.map((extra) => withExtra(fields, extra))),
);

describe('parseHotCommand', () => {
  it('accepts only what the schema accepts, and returns what the schema returns', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const hot = parseHotCommand(input, false);
        if (hot === null) return;
        const expected = schemaAnswer(input);
        expect(hot).toEqual(expected);
        expect(Object.keys(hot)).toEqual(Object.keys(expected as object));
      }),
      { numRuns: 20_000 },
    );
  });

  it('with an id, ignores the id and nothing else', () => {
    fc.assert(
      fc.property(inputs, fc.oneof(fc.nat(), fc.string({ minLength: 1 })), (input, id) => {
        const withId = { id, ...input };
        const hot = parseHotCommand(withId, true);
        if (hot === null) return;
        const { id: _id, ...rest } = withId;
        expect(hot).toEqual(schemaAnswer(rest));
        expect(Object.keys(hot)).toEqual(Object.keys(schemaAnswer(rest) as object));
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the usual message and ack', () => {
    expect(parseHotCommand({ type: 'message', to: 'bob', text: 'hi there' }, false)).toEqual({ type: 'message', to: 'bob', text: 'hi there' });
    expect(parseHotCommand({ id: 3, type: 'message', to: 'bob', text: 'hi', clientKey: 'a1B2_c3-d4' }, true)).toEqual({
      type: 'message',
      to: 'bob',
      text: 'hi',
      clientKey: 'a1B2_c3-d4',
    });
    expect(parseHotCommand({ id: 7, type: 'ack', seq: 12 }, true)).toEqual({ type: 'ack', seq: 12 });
  });

  it('leaves everything else to the schema', () => {
    expect(parseHotCommand({ type: 'message', to: 'bob', text: 'hi', attachments: [] }, false)).toBeNull();
    expect(parseHotCommand({ type: 'message', to: 'bob', text: '  ' }, false)).toBeNull();
    expect(parseHotCommand({ type: 'message', to: 'bob', text: 'hi', clientKey: 'bad key' }, false)).toBeNull();
    expect(parseHotCommand({ type: 'message', to: 'bob', text: 'hi', clientKey: undefined }, false)).toBeNull();
    expect(parseHotCommand({ type: 'message', to: 'bob', text: 'hi', id: 1 }, false)).toBeNull();
    expect(parseHotCommand(JSON.parse('{"type":"ack","seq":1,"__proto__":2}') as Record<string, unknown>, false)).toBeNull();
    expect(parseHotCommand(Object.assign(Object.create({ to: 'bob' }) as Record<string, unknown>, { type: 'message', text: 'x' }), false)).toBeNull();
  });
});

describe('decodeRequest with the fast path', () => {
  it('answers refusals as the schema does', () => {
    expect(() => decodeRequest('{"id":1,"type":"message","to":"bob","text":" "}')).toThrow(
      'message: text: is required (not blank) unless the message carries attachments',
    );
    expect(() => decodeRequest('{"id":1,"type":"ack","seq":-1}')).toThrow(/^ack: seq: /);
    expect(() => decodeRequest('{"id":1,"type":"ack","seq":1,"x":2}')).toThrow('ack: unexpected field(s): x');
  });
});

/** What the syntaxes make of `line` (without the hot path): the command, or the error they throw. */
function textAnswer(line: string): unknown {
  try {
    return parseTextCommandBySyntax(line);
  } catch (err) {
    if (err instanceof ProtocolError) return err.toWire();
    throw err;
  }
}

describe('parseHotLine', () => {
  const verbs = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('message', 'MESSAGE', 'Message') },
    fc.constantFrom('messages', 'messag', 'message\u0130', 'msg'),
  );
  const spaces = fc.constantFrom(' ', '  ', '   ');
  const lineTexts = fc.oneof(texts, fc.constantFrom('+file abcdefghijklmnopqrstuv', 'hi +file', 'a  b', '+filex', ' lead', 'group hi'));
  const lineNames = fc.oneof(names, fc.constantFrom('group', 'GROUP', 'Group'));
  /** Lines shaped like `message <user> <text>`, with odd verbs, names, spacing and texts. */
  const lines = fc
    .tuple(verbs, spaces, lineNames, fc.oneof({ weight: 4, arbitrary: spaces }, fc.constant('')), lineTexts)
    .map(([verb, gap, name, gap2, text]) => `${verb}${gap}${name}${gap2}${text}`.trim());

  it('reads only lines the syntaxes read the same way', () => {
    let taken = 0;
    fc.assert(
      fc.property(lines, (line) => {
        const hot = parseHotLine(line);
        if (hot === null) return;
        taken++;
        const expected = textAnswer(line);
        expect(hot).toEqual(expected);
        expect(Object.keys(hot)).toEqual(Object.keys(expected as object));
      }),
      { numRuns: 20_000 },
    );
    // Most generated lines are plain messages: the fast path must take them.
    expect(taken).toBeGreaterThan(1000);
  });

  it('takes the usual line and leaves group messages, files and bare names to the parser', () => {
    expect(parseHotLine('MESSAGE bob  hi there ')).toEqual({ type: 'message', to: 'bob', text: 'hi there ' });
    expect(parseHotLine('message   bob hi')).toEqual({ type: 'message', to: 'bob', text: 'hi' });
    expect(parseHotLine('message group team hi')).toBeNull();
    expect(parseHotLine('message bob look +file abcdefghijklmnopqrstuv')).toBeNull();
    expect(parseHotLine('message bob')).toBeNull();
    expect(parseHotLine('message bob  ')).toBeNull();
  });
});
