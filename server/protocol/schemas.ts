// The request, result and server-frame schemas of the wire, in both directions.
// Each command is defined once in commands/ (schema, result, text syntax,
// renderer); the maps and types here are derived from that table, so a shape is
// written once. Both codecs (text and JSON) produce the same `Command` values
// validated here; clients validate server frames with `ServerFrame`.
import { z } from 'zod';
import { ReadEvent } from './commands/conversations';
import { wireCommands } from './commands/index';
import { ERROR_CODES, type ErrorCode } from './errors';
import { Delivery, GroupInfo, GroupName, MessageId, MessageKind, Reaction, RequestId, Timestamp, UserProfile, Username } from './models';

type Wire = typeof wireCommands;

export type CommandType = keyof Wire;
export const COMMAND_TYPES = Object.keys(wireCommands) as CommandType[];
export type CommandOf<K extends CommandType> = z.infer<Wire[K]['schema']>;
export type Command = { [K in CommandType]: CommandOf<K> }[CommandType];
export type ResultOf<K extends CommandType> = z.infer<Wire[K]['result']>;

/** Each command's request schema, by type. */
export const commandSchemas = Object.fromEntries(Object.entries(wireCommands).map(([type, c]) => [type, c.schema])) as {
  [K in CommandType]: Wire[K]['schema'];
};

/** Each command's result schema, by type. */
export const resultSchemas = Object.fromEntries(Object.entries(wireCommands).map(([type, c]) => [type, c.result])) as {
  [K in CommandType]: Wire[K]['result'];
};

/** Compile-time check: every command's `type` literal is its key in the table (a mismatch names the key). */
type Misnamed = { [K in CommandType]: CommandOf<K>['type'] extends K ? never : K }[CommandType];
type MustBeTrue<T extends true> = T;
type _TypesMatchKeys = MustBeTrue<[Misnamed] extends [never] ? true : false>;

export function isCommandType(value: unknown): value is CommandType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(wireCommands, value);
}

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
  /**
   * False while the server has no accounts at all (a first run): nobody can sign
   * in until one is created, and clients say how. Absent from older servers.
   */
  hasAccounts: z.boolean().optional(),
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
/**
 * `from` is typing to me (or, with `group`, in that group). Ephemeral: show it
 * for TYPING_SHOWN_MS unless renewed, and drop it when their message arrives.
 */
const TypingEvent = z.object({ type: z.literal('event'), event: z.literal('typing'), from: Username, group: GroupName.optional() });
/** `username` changed their display name or picture (sent to everyone signed in but them). */
const ProfileEvent = z.object({ type: z.literal('event'), event: z.literal('profile'), ...UserProfile.shape });
/** Which message a change is about, and its conversation (as in ChatMessage). */
const MessageRef = {
  id: MessageId,
  kind: MessageKind,
  from: Username,
  to: Username.optional(),
  group: GroupName.optional(),
};
/** The author edited message `id` (to those who can see it, but the author). */
export const EditedEvent = z.object({ type: z.literal('event'), event: z.literal('edited'), ...MessageRef, text: z.string(), editedAt: Timestamp });
/** Message `id` was deleted by `by` (its author, or the group's owner): show a tombstone. */
export const DeletedEvent = z.object({ type: z.literal('event'), event: z.literal('deleted'), ...MessageRef, by: Username, at: Timestamp });
/** `user` added (or removed) their reaction `emoji` on message `id`; `reactions` is the new whole set. */
export const ReactionEvent = z.object({
  type: z.literal('event'),
  event: z.literal('reaction'),
  ...MessageRef,
  user: Username,
  emoji: z.string(),
  added: z.boolean(),
  reactions: z.array(Reaction),
});
/** The events about a change to a stored message. */
export const MessageChangeEvent = z.discriminatedUnion('event', [EditedEvent, DeletedEvent, ReactionEvent]);
export type MessageChangeEvent = z.infer<typeof MessageChangeEvent>;
/** The server is going away; reconnect later. */
const ShutdownEvent = z.object({ type: z.literal('event'), event: z.literal('shutdown'), reason: z.string() });

/** Every event the server pushes, discriminated by `event`. `hello` is the first frame on every connection. */
export const EventFrame = z.discriminatedUnion('event', [
  HelloEvent,
  MessageEvent,
  PresenceEvent,
  GroupEvent,
  TypingEvent,
  ReadEvent,
  ProfileEvent,
  EditedEvent,
  DeletedEvent,
  ReactionEvent,
  ShutdownEvent,
]);
export type EventFrame = z.infer<typeof EventFrame>;
export type EventName = EventFrame['event'];
export type EventOf<K extends EventName> = Extract<EventFrame, { event: K }>;

export const ServerFrame = z.union([ReplyFrame, EventFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;
