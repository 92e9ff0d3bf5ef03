// Field schemas and the models every side shares (messages, deliveries, groups,
// presence). Commands, results and events are built from these.
import { z } from 'zod';
import {
  CLIENT_KEY_PATTERN,
  FILE_ID_PATTERN,
  MAX_ATTACHMENTS,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_EMOJI_GRAPHEMES,
  MAX_EMOJI_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_REQUEST_ID_LENGTH,
  MAX_TEXT_LENGTH,
  NAME_PATTERN,
} from './limits';

// ---------------------------------------------------------------- primitives

export const Username = z.string().regex(NAME_PATTERN, 'must be 1-32 letters, digits, "_", "." or "-", starting with a letter or digit');
/** Group names follow the username rules: users and groups share one namespace. */
export const GroupName = Username.describe('group name');

export const Password = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`)
  .refine((s) => !/[\r\n\0]/.test(s), 'must not contain line breaks or NUL');

/**
 * A UTF-16 surrogate without its other half (JSON can carry one as "\ud800").
 * It is no character: storage and UTF-8 turn it into U+FFFD, so a text holding
 * one would be acknowledged as sent and read back as something else.
 */
export const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATE_MESSAGE = 'must be valid Unicode (no unpaired surrogates)';

/**
 * A password being chosen (registration): also valid Unicode. Half a surrogate
 * pair hashes as U+FFFD, so any other half (or U+FFFD itself) would sign in too.
 */
export const NewPassword = Password.refine((s) => !LONE_SURROGATE.test(s), LONE_SURROGATE_MESSAGE);

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/**
 * A text's length as the limits on chat text count it: in code points (an
 * emoji is one, though two UTF-16 units), as zod's max does. Clients check
 * MAX_TEXT_LENGTH with it, never with `.length`.
 */
export function characterCount(text: string): number {
  return text.length - (text.match(SURROGATE_PAIR)?.length ?? 0);
}

/** Chat text: not blank, bounded, no NUL, valid Unicode. Line breaks are allowed (rendered as spaces on TCP). */
export const Text = z
  .string()
  .max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`)
  .refine((s) => s.trim().length > 0, 'must not be empty')
  .refine((s) => !s.includes('\0'), 'must not contain NUL')
  .refine((s) => !LONE_SURROGATE.test(s), LONE_SURROGATE_MESSAGE);

/** Text of a message that carries files: may be left out or blank, otherwise as Text. */
export const OptionalText = z
  .string()
  .max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`)
  .refine((s) => !s.includes('\0'), 'must not contain NUL')
  .refine((s) => !LONE_SURROGATE.test(s), LONE_SURROGATE_MESSAGE)
  .optional();

export const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const MessageId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const Timestamp = z.number().int().min(0); // milliseconds since the Unix epoch

export const RequestId = z.union([z.string().min(1).max(MAX_REQUEST_ID_LENGTH), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);
export type RequestId = z.infer<typeof RequestId>;

/**
 * A chat send's idempotency key, chosen by the client: a repeat of a send with a
 * key its sender already used for a stored message is answered with that message
 * and not stored or delivered again (see the README, "Sending exactly once").
 */
export const ClientKey = z.string().regex(CLIENT_KEY_PATTERN, 'must be 1-64 letters, digits, "_" or "-"');

// ---------------------------------------------------------------- shared models

/** An uploaded file's id, as `POST /api/files` returned it. */
export const FileId = z.string().regex(FILE_ID_PATTERN, 'must be a file id returned by POST /api/files');

/** The files a message carries, by id: at least one, at most MAX_ATTACHMENTS, no repeats. */
export const AttachmentIds = z
  .array(FileId)
  .min(1, 'must name at least one file')
  .max(MAX_ATTACHMENTS, `must name at most ${MAX_ATTACHMENTS} files`)
  .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a file');

/**
 * A file carried by a message, as recipients see it. `url` and `thumbnailUrl`
 * are paths on the server's HTTP port with a short-lived signature (anyone
 * holding them can download until `linkExpires`); with a bearer token the same
 * path works without the query. Images have `width`, `height` and a thumbnail.
 */
export const Attachment = z.object({
  id: FileId,
  name: z.string(),
  /** Bytes. */
  size: z.number().int().min(0),
  /** Media type sniffed from the bytes (application/octet-stream when unknown). */
  type: z.string(),
  width: z.number().int().min(1).optional(),
  height: z.number().int().min(1).optional(),
  url: z.string(),
  thumbnailUrl: z.string().optional(),
  /** When the signatures in the URLs stop working (ms since the epoch). */
  linkExpires: Timestamp,
});
export type Attachment = z.infer<typeof Attachment>;

/**
 * The message a reply answers, as a short quote: its author and the first
 * REPLY_EXCERPT_LENGTH characters of its text now (edits show; a deleted
 * original quotes '' with `deleted`).
 */
export const ReplyQuote = z.object({
  id: MessageId,
  from: Username,
  text: z.string(),
  deleted: z.literal(true).optional(),
});
export type ReplyQuote = z.infer<typeof ReplyQuote>;

/** One emoji on a message and who put it there, in the order they reacted. */
export const Reaction = z.object({ emoji: z.string(), users: z.array(Username) });
export type Reaction = z.infer<typeof Reaction>;

/** A keycap emoji (1️⃣, #️⃣, *️⃣): a digit or sign, an optional VS16, the combining keycap. */
const KEYCAP = /[0-9#*]\ufe0f?\u20e3/gu;

/** Joiners and selectors that only shape the symbols around them: never an emoji on their own. */
const EMOJI_JOINERS = /\u200d|\ufe0f|\u20e3/g;

/**
 * A reaction: one emoji (a short run of emoji, or of other symbols; no letters,
 * digits, spaces or control characters outside a keycap, and at least one
 * symbol or keycap, so a lone joiner is no reaction), at most
 * MAX_EMOJI_LENGTH UTF-16 units and MAX_EMOJI_GRAPHEMES grapheme.
 */
export const Emoji = z
  .string()
  .min(1, 'must not be empty')
  // UTF-16 units, not code points (what zod's max counts): the stored size of an emoji stays bounded.
  .refine((s) => s.length <= MAX_EMOJI_LENGTH, `must be at most ${MAX_EMOJI_LENGTH} UTF-16 units`)
  .refine((s) => {
    const rest = s.replace(KEYCAP, '').replace(EMOJI_JOINERS, '');
    return !/[\p{L}\p{N}\p{P}\p{Z}\p{C}]/u.test(rest) && (rest !== '' || s.replace(KEYCAP, '') !== s);
  }, 'must be an emoji')
  .refine((s) => graphemeCount(s) <= MAX_EMOJI_GRAPHEMES, 'must be a single emoji');

function graphemeCount(s: string): number {
  // Intl.Segmenter exists in every runtime we ship to (Node 16+, Chromium); count code points otherwise.
  const Segmenter = (Intl as { Segmenter?: new (locale?: string, options?: { granularity: 'grapheme' }) => { segment(s: string): Iterable<unknown> } })
    .Segmenter;
  return Segmenter ? [...new Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].length : [...s].length;
}

export const MessageKind = z.enum(['private', 'broadcast', 'group']);
export type MessageKind = z.infer<typeof MessageKind>;

/**
 * A chat message, as every client sees it and as every store keeps it. `to` is
 * set for private messages only, `group` for group messages only; an absent
 * field is left out, never `undefined`.
 */
export const ChatMessage = z.object({
  id: MessageId,
  kind: MessageKind,
  from: Username,
  to: Username.optional(),
  group: GroupName.optional(),
  text: z.string(),
  ts: Timestamp,
  /** Files the message carries, in the order sent; absent when it carries none (and once deleted). */
  attachments: z.array(Attachment).optional(),
  /** The message this one replies to (same conversation), quoted. */
  replyTo: ReplyQuote.optional(),
  /** When its author last edited the text. */
  editedAt: Timestamp.optional(),
  /** Deleted: a tombstone, `text` is '' and nothing else of its content remains. */
  deleted: z.literal(true).optional(),
  /** Reactions, by emoji (ordered by their oldest reaction); absent when none. */
  reactions: z.array(Reaction).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** A message delivered to one recipient. `seq` is its position in the server's one stream: the message id. */
export const Delivery = z.object({
  seq: Seq,
  /** True when it was queued because the recipient was offline. */
  offline: z.boolean(),
  message: ChatMessage,
});
export type Delivery = z.infer<typeof Delivery>;

export const GroupInfo = z.object({
  name: GroupName,
  owner: Username,
  /** Members in the order they joined. */
  members: z.array(Username),
  createdAt: Timestamp,
});
export type GroupInfo = z.infer<typeof GroupInfo>;

// ---------------------------------------------------------------- profiles

/**
 * Characters a display name may not hold: control characters, line and
 * paragraph separators, and the bidirectional overrides and isolates that can
 * make a name read as another (U+202A-U+202E, U+2066-U+2069).
 */
const DISPLAY_NAME_FORBIDDEN = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A display name as stored and shown: trimmed, then Unicode NFC. */
export function normalizeDisplayName(raw: string): string {
  return raw.trim().normalize('NFC');
}

/**
 * A display name as sent: after trimming and NFC (which the server applies
 * before storing), 1 to MAX_DISPLAY_NAME_LENGTH characters, no control
 * characters, line separators or bidirectional controls, valid Unicode.
 */
export const DisplayName = z
  .string()
  .max(MAX_DISPLAY_NAME_LENGTH * 8, `must be at most ${MAX_DISPLAY_NAME_LENGTH} characters`)
  .refine((s) => normalizeDisplayName(s).length > 0, 'must not be empty')
  .refine((s) => [...normalizeDisplayName(s)].length <= MAX_DISPLAY_NAME_LENGTH, `must be at most ${MAX_DISPLAY_NAME_LENGTH} characters`)
  .refine((s) => !DISPLAY_NAME_FORBIDDEN.test(s), 'must not contain control characters, line breaks or bidirectional controls')
  .refine((s) => !LONE_SURROGATE.test(s), LONE_SURROGATE_MESSAGE);

/**
 * How a person presents themselves. `displayName` null: show the username.
 * `avatarUrl`: a signed path on the HTTP port (like an attachment's `url`; the
 * image's 128 px square avatar picture, or its thumbnail for a picture set
 * before those were made) that works until its signature expires, or null:
 * show initials.
 */
export const UserProfile = z.object({
  username: Username,
  displayName: z.string().nullable(),
  avatarUrl: z.string().nullable(),
});
export type UserProfile = z.infer<typeof UserProfile>;

export const PresenceInfo = z.object({
  username: Username,
  online: z.boolean(),
  /** Last successful sign-in, or null if never. */
  lastLoginAt: Timestamp.nullable(),
  /** The user's profile (see UserProfile); present in `users` and `wholasthr` answers. */
  displayName: z.string().nullable().optional(),
  avatarUrl: z.string().nullable().optional(),
});
export type PresenceInfo = z.infer<typeof PresenceInfo>;
