// Schemas for every message on the wire, in both directions. Types are inferred
// from them so a shape is written once. Both codecs (text and JSON) produce the
// same `Command` values validated here; clients validate server frames with
// `ServerFrame` before trusting them.
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './errors';
import { MAX_GROUP_MEMBERS_PER_REQUEST, MAX_PAGE_SIZE, MAX_PASSWORD_LENGTH, MAX_REQUEST_ID_LENGTH, MAX_TEXT_LENGTH, NAME_PATTERN } from './limits';

// ---------------------------------------------------------------- primitives

export const Username = z.string().regex(NAME_PATTERN, 'must be 1-32 letters, digits, "_", "." or "-", starting with a letter or digit');
export const GroupName = Username;

export const Password = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`)
  .refine((s) => !/[\r\n\0]/.test(s), 'must not contain line breaks or NUL');

/** Chat text: not blank, bounded, no NUL. Line breaks are allowed (rendered as spaces on TCP). */
export const Text = z
  .string()
  .max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`)
  .refine((s) => s.trim().length > 0, 'must not be empty')
  .refine((s) => !s.includes('\0'), 'must not contain NUL');

export const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const MessageId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const Timestamp = z.number().int().min(0); // milliseconds since the Unix epoch

export const RequestId = z.union([z.string().min(1).max(MAX_REQUEST_ID_LENGTH), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);
export type RequestId = z.infer<typeof RequestId>;

const Members = z.array(Username).max(MAX_GROUP_MEMBERS_PER_REQUEST);

// ---------------------------------------------------------------- commands
// One schema per command. `type` is the seed's verb; multi-word verbs use '-'.

export const commandSchemas = {
  /** Sign in with a password or a sign-in token; `remember` asks for a token. */
  login: z.strictObject({
    type: z.literal('login'),
    username: Username,
    password: Password.optional(),
    token: z.string().min(16).max(256).optional(),
    remember: z.boolean().optional(),
    /** Resume after this per-recipient sequence number; default: the last acknowledged one. */
    resumeFrom: Seq.optional(),
    /** Receive `presence` events (default true). Bots and load tests switch them off. */
    presence: z.boolean().optional(),
  }),
  /** Create an account and sign in (only with --allow-register). */
  register: z.strictObject({
    type: z.literal('register'),
    username: Username,
    password: Password,
    remember: z.boolean().optional(),
  }),
  logout: z.strictObject({ type: z.literal('logout') }),
  message: z.strictObject({ type: z.literal('message'), to: Username, text: Text }),
  broadcast: z.strictObject({ type: z.literal('broadcast'), text: Text }),
  whoelse: z.strictObject({ type: z.literal('whoelse') }),
  wholasthr: z.strictObject({ type: z.literal('wholasthr') }),
  block: z.strictObject({ type: z.literal('block'), user: Username }),
  unblock: z.strictObject({ type: z.literal('unblock'), user: Username }),
  blocklist: z.strictObject({ type: z.literal('blocklist') }),
  ping: z.strictObject({ type: z.literal('ping'), user: Username }),
  offline: z.strictObject({ type: z.literal('offline') }),
  'create-group': z.strictObject({ type: z.literal('create-group'), group: GroupName, members: Members }),
  'message-group': z.strictObject({ type: z.literal('message-group'), group: GroupName, text: Text }),
  grouplist: z.strictObject({ type: z.literal('grouplist') }),
  'group-add': z.strictObject({ type: z.literal('group-add'), group: GroupName, members: Members.min(1) }),
  'group-remove': z.strictObject({ type: z.literal('group-remove'), group: GroupName, members: Members.min(1) }),
  'group-leave': z.strictObject({ type: z.literal('group-leave'), group: GroupName }),
  /** A page of one conversation, newest first, strictly older than `before` (a message id). */
  history: z.strictObject({
    type: z.literal('history'),
    with: Username,
    group: z.boolean().optional(),
    before: MessageId.optional(),
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  }),
  /** Everything up to and including `seq` has been received and processed. */
  ack: z.strictObject({ type: z.literal('ack'), seq: Seq }),
  help: z.strictObject({ type: z.literal('help') }),
} as const;

export type CommandType = keyof typeof commandSchemas;
export const COMMAND_TYPES = Object.keys(commandSchemas) as CommandType[];
export type Command = { [K in CommandType]: z.infer<(typeof commandSchemas)[K]> }[CommandType];
export type CommandOf<K extends CommandType> = z.infer<(typeof commandSchemas)[K]>;

export function isCommandType(value: unknown): value is CommandType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(commandSchemas, value);
}

// ---------------------------------------------------------------- shared models

export const MessageKind = z.enum(['private', 'broadcast', 'group']);
export type MessageKind = z.infer<typeof MessageKind>;

/** A chat message as every client sees it. `to` is set for private, `group` for group messages. */
export const ChatMessage = z.object({
  id: MessageId,
  kind: MessageKind,
  from: Username,
  to: Username.optional(),
  group: GroupName.optional(),
  text: z.string(),
  ts: Timestamp,
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** A message delivered to one recipient, with that recipient's sequence number. */
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
  members: z.array(Username),
  createdAt: Timestamp,
});
export type GroupInfo = z.infer<typeof GroupInfo>;

export const PresenceInfo = z.object({
  username: Username,
  online: z.boolean(),
  /** Last successful sign-in, or null if never. */
  lastLoginAt: Timestamp.nullable(),
});
export type PresenceInfo = z.infer<typeof PresenceInfo>;

// ---------------------------------------------------------------- results

export const resultSchemas = {
  login: z.object({
    username: Username,
    /** Present when `remember` was asked: sign in again with it instead of the password. */
    token: z.string().optional(),
    tokenExpiresAt: Timestamp.optional(),
    /** Deliveries after this sequence number follow as `message` events. */
    resumeFrom: Seq,
    /** Highest sequence number assigned to this user so far. */
    lastSeq: Seq,
    /** How many queued messages waited while this user was offline. */
    offlineCount: z.number().int().min(0),
  }),
  register: z.object({
    username: Username,
    token: z.string().optional(),
    tokenExpiresAt: Timestamp.optional(),
    resumeFrom: Seq,
    lastSeq: Seq,
    offlineCount: z.number().int().min(0),
  }),
  logout: z.object({}),
  message: z.object({ message: ChatMessage, queued: z.boolean() }),
  broadcast: z.object({
    message: ChatMessage,
    delivered: z.number().int().min(0),
    /** Online users who blocked the sender and so did not get it. */
    blockedBy: z.number().int().min(0),
  }),
  whoelse: z.object({ users: z.array(Username) }),
  wholasthr: z.object({ users: z.array(PresenceInfo) }),
  block: z.object({ user: Username }),
  unblock: z.object({ user: Username }),
  blocklist: z.object({ users: z.array(Username) }),
  ping: z.object({
    user: Username,
    online: z.boolean(),
    lastLoginAt: Timestamp.nullable(),
    blockedByMe: z.boolean(),
    blockedMe: z.boolean(),
  }),
  offline: z.object({ messages: z.array(Delivery) }),
  'create-group': z.object({ group: GroupInfo }),
  'message-group': z.object({
    message: ChatMessage,
    /** Members who were offline; they get it when they next sign in. */
    queued: z.array(Username),
    blockedBy: z.number().int().min(0),
  }),
  grouplist: z.object({ groups: z.array(GroupInfo) }),
  'group-add': z.object({ group: GroupInfo }),
  'group-remove': z.object({ group: GroupInfo }),
  'group-leave': z.object({ group: GroupName }),
  history: z.object({
    /** The conversation: a user, or a group when `group` is true. */
    with: z.string(),
    group: z.boolean(),
    messages: z.array(ChatMessage),
    hasMore: z.boolean(),
  }),
  ack: z.object({ seq: Seq }),
  help: z.object({ commands: z.array(z.string()) }),
} as const satisfies Record<CommandType, z.ZodType>;

export type ResultOf<K extends CommandType> = z.infer<(typeof resultSchemas)[K]>;

// ---------------------------------------------------------------- server frames

export const WireErrorSchema = z.object({
  code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  retryAfter: z.number().int().min(0).optional(),
});

export const ReplyFrame = z.union([
  z.object({ type: z.literal('reply'), id: RequestId, ok: z.literal(true), result: z.unknown() }),
  z.object({ type: z.literal('reply'), id: RequestId.nullable(), ok: z.literal(false), error: WireErrorSchema }),
]);
export type ReplyFrame = z.infer<typeof ReplyFrame>;

const HelloEvent = z.object({
  type: z.literal('event'),
  event: z.literal('hello'),
  server: z.string(),
  protocol: z.number().int(),
  allowRegister: z.boolean(),
  maxFrameBytes: z.number().int(),
});
const MessageEvent = z.object({ type: z.literal('event'), event: z.literal('message'), ...Delivery.shape });
const PresenceEvent = z.object({
  type: z.literal('event'),
  event: z.literal('presence'),
  user: Username,
  online: z.boolean(),
  at: Timestamp,
});
/** Membership changed in a group I am (or was) in. `group` is null once it no longer includes me or was deleted. */
const GroupEvent = z.object({
  type: z.literal('event'),
  event: z.literal('group'),
  name: GroupName,
  change: z.enum(['created', 'added', 'removed', 'left', 'deleted']),
  actor: Username,
  /** Who was added, removed or left. */
  members: z.array(Username),
  group: GroupInfo.nullable(),
});
/** The server is going away; reconnect later. */
const ShutdownEvent = z.object({ type: z.literal('event'), event: z.literal('shutdown'), reason: z.string() });

/** Every event the server pushes, discriminated by `event`. `hello` is the first frame on every connection. */
export const EventFrame = z.discriminatedUnion('event', [HelloEvent, MessageEvent, PresenceEvent, GroupEvent, ShutdownEvent]);
export type EventFrame = z.infer<typeof EventFrame>;
export type EventName = EventFrame['event'];
export type EventOf<K extends EventName> = Extract<EventFrame, { event: K }>;

export const ServerFrame = z.union([ReplyFrame, EventFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;
