// Building blocks of the text command language shared by the per-command
// modules: splitting a line into words, and rendering values on one line.
import type { ChatMessage, Reaction, ReplyQuote } from './models';

/** Renders a timestamp for a text line. Injected so tests and clients can pick a zone. */
export type TimeFormatter = (ts: number) => string;

let clockMinute = Number.NaN;
let clockText = '';

/**
 * Local `HH:MM`. Every delivered line asks for it, so the last answer is kept
 * per UTC minute: time zone offsets (and their changes) are whole minutes, so
 * the local clock reads the same throughout one UTC minute.
 */
export const formatClock: TimeFormatter = (ts) => {
  const minute = Math.floor(ts / 60_000);
  if (minute !== clockMinute) {
    const d = new Date(ts);
    clockText = `${twoDigits(d.getHours())}:${twoDigits(d.getMinutes())}`;
    clockMinute = minute;
  }
  return clockText;
};

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Splits off the first space-separated word; runs of spaces count as one, so
 * the rest starts at the next word (`message bob   hi` sends "hi", as
 * `broadcast   hi` does). Spacing inside the rest is kept.
 */
export function splitWord(input: string): [string, string] {
  const s = input.startsWith(' ') ? input.replace(/^ +/, '') : input;
  const i = s.indexOf(' ');
  if (i === -1) return [s, ''];
  let next = i + 1;
  while (s.charCodeAt(next) === 0x20) next++;
  return [s.slice(0, i), s.slice(next)];
}

/** The space-separated words of `input`. */
export function words(input: string): string[] {
  return input.split(' ').filter((w) => w.length > 0);
}

const TRAILING_FILE = /(?:^| +)\+file +(\S+) *$/;

/**
 * A message's text with the files it carries split off: every `+file <id>`
 * pair at the end of the line (`look +file ID1 +file ID2`), in order. Only
 * trailing pairs count, so `+file` inside the text stays text. `attachments`
 * is absent when there are none; the ids are checked by the command's schema.
 */
export function splitAttachments(input: string): { text: string; attachments?: string[] } {
  // Most lines carry no file: one substring search instead of the regex scan below.
  if (!input.includes('+file')) return { text: input };
  const ids: string[] = [];
  let text = input;
  for (let m = TRAILING_FILE.exec(text); m; m = TRAILING_FILE.exec(text)) {
    ids.unshift(m[1]!);
    text = text.slice(0, m.index);
  }
  return ids.length > 0 ? { text, attachments: ids } : { text };
}

/** A non-negative integer of at most 15 digits, or null. */
export function parseInteger(word: string | undefined): number | null {
  if (word === undefined || !/^\d{1,15}$/.test(word)) return null;
  return Number(word);
}

// C0, DEL and C1: a terminal acts on C1 too (U+009B is CSI, U+0085 a line break), so `nc` must not get them raw.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_RUNS = /[\u0000-\u001f\u007f-\u009f]+/g;

/** Control characters (including line breaks) would split or corrupt a line, or drive the reader's terminal. */
export function oneLine(text: string): string {
  // Most texts have none: a test is cheaper than a replace that finds nothing.
  return CONTROL.test(text) ? text.replace(CONTROL_RUNS, ' ') : text;
}

/** `a, b, c`, or `(none)`. */
export function list(names: readonly string[]): string {
  return names.length === 0 ? '(none)' : names.join(', ');
}

/** Parser of a command that takes no arguments. */
export function noArguments(rest: string): Record<string, unknown> | null {
  return words(rest).length > 0 ? null : {};
}

/** Parser of a command that takes exactly one word, stored under `field`. */
export function oneWord(field: string): (rest: string) => Record<string, unknown> | null {
  return (rest) => {
    const args = words(rest);
    return args.length === 1 ? { [field]: args[0] } : null;
  };
}

function describeSource(message: ChatMessage, offline: boolean): string {
  const kind = message.kind === 'group' ? `group ${message.group}` : message.kind;
  return offline ? `${kind}, offline` : kind;
}

/** `512 B`, `12.3 KiB`, `4.0 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * A message's text and files on one line: `hi [file: cat.png (12.3 KiB)] <link>`.
 * `linkBase` (e.g. `http://chat.example:4001`) turns the attachments' signed
 * paths into links a line client can open; without it the paths stay relative.
 */
export function formatMessageContent(message: ChatMessage, linkBase = ''): string {
  // A tombstone shows only that it was deleted: the quote was part of what its author took back.
  if (message.deleted) return '(message deleted)';
  // Plain text (the usual case) needs no parts to join.
  if (!message.replyTo && !message.attachments?.length && message.editedAt === undefined && !message.reactions?.length) {
    return message.text.trim() ? oneLine(message.text) : '';
  }
  const parts: string[] = [];
  if (message.replyTo) parts.push(formatQuote(message.replyTo));
  if (message.text.trim()) parts.push(oneLine(message.text));
  for (const file of message.attachments ?? []) parts.push(`[file: ${oneLine(file.name)} (${formatSize(file.size)})] ${linkBase}${file.url}`);
  if (message.editedAt !== undefined) parts.push('(edited)');
  if (message.reactions?.length) parts.push(formatReactions(message.reactions));
  return parts.join(' ');
}

/** How much of a quoted message a text line shows, in characters. */
const QUOTE_CHARS = 30;

/** `(re alice: "first words…")`, or `(re alice: deleted message)`. */
export function formatQuote(quote: ReplyQuote): string {
  if (quote.deleted) return `(re ${quote.from}: deleted message)`;
  const chars = [...oneLine(quote.text).trim()];
  const excerpt = chars.length > QUOTE_CHARS ? `${chars.slice(0, QUOTE_CHARS).join('').trimEnd()}…` : chars.join('');
  return `(re ${quote.from}: "${excerpt}")`;
}

/** `[👍 2, ❤️ 1]` */
export function formatReactions(reactions: readonly Reaction[]): string {
  return `[${reactions.map((r) => `${oneLine(r.emoji)} ${r.users.length}`).join(', ')}]`;
}

/**
 * Everything of a delivery line after its `#<seq> `: the same for every
 * recipient of a message, so a fan-out renders it once (see formatDelivery).
 */
export function formatDeliveryBody(offline: boolean, message: ChatMessage, time: TimeFormatter = formatClock, linkBase = ''): string {
  return `[${time(message.ts)}] ${message.from} (${describeSource(message, offline)}): ${formatMessageContent(message, linkBase)}`;
}

/** `#17 [12:31] alice (private): hi` */
export function formatDelivery(seq: number, offline: boolean, message: ChatMessage, time: TimeFormatter = formatClock, linkBase = ''): string {
  return `#${seq} ${formatDeliveryBody(offline, message, time, linkBase)}`;
}

/** `42 [12:31] alice: hi` — a history line, keyed by message id for paging. */
export function formatHistoryLine(message: ChatMessage, time: TimeFormatter = formatClock, linkBase = ''): string {
  return `${message.id} [${time(message.ts)}] ${message.from}: ${formatMessageContent(message, linkBase)}`;
}
