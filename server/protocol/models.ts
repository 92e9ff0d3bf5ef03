// Field schemas and the models every side shares (messages, deliveries, groups,
// presence). Commands, results and events are built from these.
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MAX_REQUEST_ID_LENGTH, MAX_TEXT_LENGTH, NAME_PATTERN } from './limits';

// ---------------------------------------------------------------- primitives

export const Username = z.string().regex(NAME_PATTERN, 'must be 1-32 letters, digits, "_", "." or "-", starting with a letter or digit');
/** Group names follow the username rules: users and groups share one namespace. */
export const GroupName = Username.describe('group name');

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

// ---------------------------------------------------------------- shared models

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

export const PresenceInfo = z.object({
  username: Username,
  online: z.boolean(),
  /** Last successful sign-in, or null if never. */
  lastLoginAt: Timestamp.nullable(),
});
export type PresenceInfo = z.infer<typeof PresenceInfo>;
