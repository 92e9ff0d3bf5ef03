// The JSON codec: decodeRequest on random bytes and random JSON never throws
// anything but RequestError, valid requests round-trip, encoders produce
// frames the ServerFrame schema accepts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_TYPES,
  ProtocolError,
  RequestError,
  ServerFrame,
  decodeRequest,
  encodeDelivery,
  encodeError,
  encodeEvent,
  encodeMessageBody,
  encodeOk,
  encodeOkWithMessage,
  encodeRequest,
  parseCommand,
  type ChatMessage,
  type Command,
} from '../../../server/protocol';

function decodeOutcome(frame: string): { ok: true; command: Command } | { ok: false; error: RequestError } {
  try {
    return { ok: true, command: decodeRequest(frame).command };
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    expect(err.error).toBeInstanceOf(ProtocolError);
    return { ok: false, error: err };
  }
}

describe('decodeRequest', () => {
  it('decodes a request and keeps its id', () => {
    expect(decodeRequest('{"id":1,"type":"message","to":"bob","text":"hi"}')).toEqual({ id: 1, command: { type: 'message', to: 'bob', text: 'hi' } });
    expect(decodeRequest('{"type":"whoelse","id":"a-b"}')).toEqual({ id: 'a-b', command: { type: 'whoelse' } });
  });

  it.each([
    ['', 'INVALID_JSON', null],
    ['{', 'INVALID_JSON', null],
    ['[]', 'BAD_REQUEST', null],
    ['"x"', 'BAD_REQUEST', null],
    ['null', 'BAD_REQUEST', null],
    ['{"type":"whoelse"}', 'BAD_REQUEST', null],
    ['{"id":-1,"type":"whoelse"}', 'BAD_REQUEST', null],
    ['{"id":"","type":"whoelse"}', 'BAD_REQUEST', null],
    [`{"id":"${'x'.repeat(65)}","type":"whoelse"}`, 'BAD_REQUEST', null],
    ['{"id":1.5,"type":"whoelse"}', 'BAD_REQUEST', null],
    ['{"id":1}', 'UNKNOWN_COMMAND', 1],
    ['{"id":2,"type":"nope"}', 'UNKNOWN_COMMAND', 2],
    ['{"id":3,"type":"toString"}', 'UNKNOWN_COMMAND', 3],
    ['{"id":4,"type":"whoelse","x":1}', 'BAD_REQUEST', 4],
    ['{"id":5,"type":"ack","seq":"1"}', 'BAD_REQUEST', 5],
    ['{"id":6,"type":"message","to":"bob","text":"   "}', 'BAD_REQUEST', 6],
    ['{"id":7,"type":"history","with":"bob","limit":201}', 'BAD_REQUEST', 7],
    ['{"id":8,"type":"create-group","group":"g","members":"bob"}', 'BAD_REQUEST', 8],
    ['{"id":9,"type":"group-add","group":"g","members":[]}', 'BAD_REQUEST', 9],
  ])('%s → %s (id %s)', (frame, code, id) => {
    const out = decodeOutcome(frame);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.error.code).toBe(code);
    expect(out.error.id).toBe(id);
  });

  it.each([
    ['{"id":1,"type":"edit","text":"x"}', 'edit: messageId: is required'],
    ['{"id":2,"type":"edit","messageId":"12","text":"x"}', 'edit: messageId: Invalid input: expected number, received string'],
    ['{"id":3,"type":"message","to":5,"text":"x"}', 'message: to: Invalid input: expected string, received number'],
    ['{"id":4,"type":"react","messageId":1,"emoji":null}', 'react: emoji: Invalid input: expected string, received null'],
  ])('%s names the field and what is wrong with it: %s', (frame, message) => {
    const out = decodeOutcome(frame);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.error.message).toBe(message);
  });

  it('a reaction is one emoji: keycaps (1️⃣, #️⃣, *️⃣) are, a bare digit or sign is not', () => {
    for (const emoji of ['1️⃣', '#️⃣', '*️⃣', '1\u20e3', '🇫🇷', '👍🏽']) {
      expect(decodeOutcome(JSON.stringify({ id: 1, type: 'react', messageId: 1, emoji })), emoji).toMatchObject({ ok: true });
    }
    for (const emoji of ['1', '#', '1️⃣1', '1️⃣2️⃣', 'a\u20e3']) {
      expect(decodeOutcome(JSON.stringify({ id: 1, type: 'react', messageId: 1, emoji })), emoji).toMatchObject({ ok: false });
    }
  });

  it('random bytes never throw anything but RequestError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        decodeOutcome(Buffer.from(bytes).toString('utf8'));
      }),
      { numRuns: 1000 },
    );
  });

  it('random JSON values never throw anything but RequestError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        decodeOutcome(JSON.stringify(value) ?? 'undefined');
      }),
      { numRuns: 1000 },
    );
  });

  it('near-valid requests either decode to a schema-valid command or fail with a code', () => {
    const field = fc.constantFrom(
      'to',
      'text',
      'user',
      'group',
      'members',
      'seq',
      'with',
      'before',
      'limit',
      'username',
      'password',
      'token',
      'remember',
      'extra',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('bob', 'team', 'pw-123456789'),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.constantFrom('bob', 'carol', '!')),
      fc.constant(null),
    );
    const request = fc.record({
      id: fc.oneof(fc.nat(), fc.string({ minLength: 1, maxLength: 5 })),
      type: fc.constantFrom(...COMMAND_TYPES),
      fields: fc.dictionary(field, value, { maxKeys: 4 }),
    });
    fc.assert(
      fc.property(request, ({ id, type, fields }) => {
        const out = decodeOutcome(JSON.stringify({ ...fields, id, type }));
        if (out.ok) {
          expect(out.command.type).toBe(type);
          // What decodes also re-validates and re-encodes to itself.
          expect(parseCommand(out.command)).toEqual(out.command);
          expect(decodeRequest(encodeRequest(id, out.command))).toEqual({ id, command: out.command });
        } else {
          expect(['BAD_REQUEST']).toContain(out.error.error.code);
          expect(out.error.id).toBe(id);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('encoders', () => {
  const message: ChatMessage = { id: 3, kind: 'group', from: 'alice', group: 'team', text: 'a "quoted"\ntext', ts: 1700000000000 };

  it('produce frames that ServerFrame accepts', () => {
    const frames = [
      encodeOk(1, { users: [] }),
      encodeOk('x', {}),
      encodeError(null, { code: 'INVALID_JSON', message: 'bad' }),
      encodeError(2, { code: 'RATE_LIMITED', message: 'slow', retryAfter: 1 }),
      encodeEvent({ type: 'event', event: 'presence', user: 'bob', online: true, at: 5 }),
      encodeDelivery(7, true, encodeMessageBody(message)),
    ];
    for (const f of frames) expect(ServerFrame.safeParse(JSON.parse(f)).success, f).toBe(true);
    expect(JSON.parse(encodeDelivery(7, true, encodeMessageBody(message)))).toEqual({ type: 'event', event: 'message', seq: 7, offline: true, message });
  });

  it('encodeOkWithMessage is byte for byte encodeOk of { message, ...rest } (ids and fields that need escaping, undefined fields, no fields)', () => {
    const rest = fc.dictionary(
      // Names, as results have: an array index would sort before `message` in any object.
      fc.string({ maxLength: 6 }).filter((k) => k !== 'message' && !/^(0|[1-9][0-9]*)$/.test(k)),
      fc.oneof(fc.boolean(), fc.integer(), fc.string({ maxLength: 8 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), fc.constant(undefined)),
      { maxKeys: 3 },
    );
    const id = fc.oneof(fc.nat(), fc.string({ minLength: 1, maxLength: 8 }));
    fc.assert(
      fc.property(id, fc.string({ maxLength: 12 }), rest, (requestId, text, fields) => {
        const sent: ChatMessage = { ...message, text };
        expect(encodeOkWithMessage(requestId, encodeMessageBody(sent), fields)).toBe(encodeOk(requestId, { message: sent, ...fields }));
      }),
      { numRuns: 500 },
    );
    expect(encodeOkWithMessage('a"b', encodeMessageBody(message), {})).toBe(encodeOk('a"b', { message }));
  });
});
