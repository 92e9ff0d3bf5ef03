// Wire limits shared by every side. The server enforces them; clients use them
// to refuse bad input before it is sent. Changing one is a protocol change.

/** Protocol version announced in the `hello` event. */
export const PROTOCOL_VERSION = 1;

/** Longest TCP line or WebSocket frame the server accepts, in bytes (64 KiB). */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Longest chat message text, in characters (Unicode code points, as the schema's max counts them: an emoji is one). */
export const MAX_TEXT_LENGTH = 4000;

/** Longest password accepted, in characters. */
export const MAX_PASSWORD_LENGTH = 1024;

/** Usernames and group names: 1-32 letters, digits, `_`, `.` or `-`, starting with a letter or digit. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** Names that would make the text command language ambiguous (`message group ...`). */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['group', 'everyone', 'server']);

/** Most members named in one group command. */
export const MAX_GROUP_MEMBERS_PER_REQUEST = 1000;

/** Largest page of history or offline messages one request returns. */
export const MAX_PAGE_SIZE = 200;

/** Default page size for `history`. */
export const DEFAULT_PAGE_SIZE = 50;

/** Longest request id a client may use (string ids). */
export const MAX_REQUEST_ID_LENGTH = 64;

/** Most accounts one `users` request lists (the result says when more match). */
export const MAX_DIRECTORY_SIZE = 500;

/** Longest `users` query, in characters (a name is at most 32). */
export const MAX_DIRECTORY_QUERY_LENGTH = 32;

/** A `typing` notice is forwarded at most once per conversation per this many milliseconds. */
export const TYPING_INTERVAL_MS = 2000;

/** How long a client shows "… is typing" after the last notice, in milliseconds. */
export const TYPING_SHOWN_MS = 5000;
/** Most files one message may carry. */
export const MAX_ATTACHMENTS = 10;

/**
 * A chat send's idempotency key (`clientKey`): 1-64 letters, digits, "_" or "-".
 * The client picks it (at random) once per message and repeats it on every resend.
 */
export const CLIENT_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** File ids are 22 characters of base64url (128 random bits). */
export const FILE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** Longest file name kept with an upload, in characters (longer names are shortened). */
export const MAX_FILE_NAME_LENGTH = 255;

/** Longest display name, in Unicode characters (code points) after trimming and NFC. */
export const MAX_DISPLAY_NAME_LENGTH = 64;

/** Most users one `profiles` lookup names. */
export const MAX_PROFILE_LOOKUP = 200;
/** Longest reaction emoji, in UTF-16 code units (a family or flag sequence fits). */
export const MAX_EMOJI_LENGTH = 16;

/** A reaction is one emoji: one grapheme cluster. */
export const MAX_EMOJI_GRAPHEMES = 1;

/** How much of the original's text a reply quotes, in characters. */
export const REPLY_EXCERPT_LENGTH = 100;

/** Default of `--edit-minutes`: how long after sending a message its author may edit it (0: no limit). */
export const DEFAULT_EDIT_MINUTES = 1440;
