// A fast path for the commands nearly every frame or line carries (a private
// message, an acknowledgement), in their plain form: checked by hand instead of
// by the schema (and, for a line, without the general syntax matching), which
// cost several times as much per command. It only ever accepts: whatever it does
// not recognise at a glance (attachments, a reply, a missing or extra field, any
// doubtful value) it leaves to the general path, so the results and the error
// messages are that path's own. tests/unit/protocol/hot-commands.test.ts checks
// that it accepts nothing the schema or the syntaxes refuse and returns what
// they would (same fields, same order).
import { CLIENT_KEY_PATTERN, MAX_TEXT_LENGTH, NAME_PATTERN } from './limits';
import { LONE_SURROGATE } from './models';
import type { Command } from './schemas';

/**
 * `input` as a command if it is a plain `message` ({type, to, text}, with or
 * without a `clientKey`: the clients put one on every message) or `ack`
 * ({type, seq}) the schema accepts, else null (then ask parseCommand). With
 * `withId`, `input` also holds the request's `id` (checked already by the
 * caller), which is not part of the command.
 */
export function parseHotCommand(input: Record<string, unknown>, withId: boolean): Command | null {
  const type = input.type;
  if (type === 'message') {
    const keyed = Object.prototype.hasOwnProperty.call(input, 'clientKey');
    if (!hasOnlyKeys(input, withId, keyed ? 4 : 3, 'to', 'text', keyed ? 'clientKey' : 'text')) return null;
    const { to, text, clientKey } = input;
    if (typeof to !== 'string' || !NAME_PATTERN.test(to)) return null;
    if (typeof text !== 'string' || text.length > MAX_TEXT_LENGTH || text.includes('\0') || text.trim().length === 0 || LONE_SURROGATE.test(text)) return null;
    if (!keyed) return { type, to, text };
    // The schema's field order: type, to, text, clientKey.
    return typeof clientKey === 'string' && CLIENT_KEY_PATTERN.test(clientKey) ? { type, to, text, clientKey } : null;
  }
  if (type === 'ack') {
    if (!hasOnlyKeys(input, withId, 2, 'seq', 'seq', 'seq')) return null;
    const { seq } = input;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return null;
    return { type, seq };
  }
  return null;
}

/**
 * A trimmed text line that is a plain private message (`message <user> <text>`,
 * the verb in any case, no `+file`) as the command parseTextCommand would make
 * of it, else null (then parse it the usual way). `message group ...` and
 * anything doubtful go the usual way.
 */
export function parseHotLine(trimmed: string): Command | null {
  if (trimmed.length < 10 || trimmed.charCodeAt(7) !== 0x20 || trimmed.slice(0, 7).toLowerCase() !== 'message') return null;
  // The user: the word after the verb (and any further spaces); the text: all after the spaces that end it.
  let start = 8;
  while (trimmed.charCodeAt(start) === 0x20) start++;
  const end = trimmed.indexOf(' ', start);
  if (end === -1) return null;
  const to = trimmed.slice(start, end);
  let textStart = end + 1;
  while (trimmed.charCodeAt(textStart) === 0x20) textStart++;
  const text = trimmed.slice(textStart);
  if (to.toLowerCase() === 'group' || text.includes('+file') || !NAME_PATTERN.test(to)) return null;
  if (text.length > MAX_TEXT_LENGTH || text.includes('\0') || text.trim().length === 0 || LONE_SURROGATE.test(text)) return null;
  return { type: 'message', to, text };
}

/** True when the own keys of `input` are exactly `type`, `a`, `b`, `c` (and `id` with `withId`): `count` keys besides `id`. */
function hasOnlyKeys(input: Record<string, unknown>, withId: boolean, count: number, a: string, b: string, c: string): boolean {
  let seen = 0;
  for (const key in input) {
    if (!Object.prototype.hasOwnProperty.call(input, key)) return false;
    if (key === 'type' || key === a || key === b || key === c || (withId && key === 'id')) seen++;
    else return false;
  }
  // Keys are unique, so as many allowed keys as expected means each one is there.
  return seen === count + (withId ? 1 : 0);
}
