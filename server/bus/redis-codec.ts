// Wire format of RedisBus pub/sub messages: a JSON envelope naming the sending
// node around one BusEvent. Decoding validates the shape, because a message on
// the channel may come from another version of the server (or anyone with access).
import { z } from 'zod';
import { ChatMessage, MessageChangeEvent } from '../protocol';
import type { BusEvent } from './bus';

/** Sender id used for events the cluster announces on behalf of a dead node. */
export const SWEEPER_ORIGIN = 'sweeper';

const Int = z.number().int();

const BusEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('deliver'),
    // The protocol's own message shape: what the recipients' clients receive.
    message: ChatMessage,
    users: z.array(z.string()).nullable(),
    skip: z.array(z.string()),
  }),
  z.object({ kind: z.literal('presence'), user: z.string(), online: z.boolean(), at: Int, to: z.array(z.string()).optional() }),
  z.object({
    kind: z.literal('group'),
    name: z.string(),
    change: z.enum(['created', 'added', 'removed', 'left', 'deleted']),
    actor: z.string(),
    members: z.array(z.string()),
    notify: z.array(z.string()),
  }),
  z.object({ kind: z.literal('typing'), from: z.string(), group: z.string().optional(), to: z.array(z.string()) }),
  z.object({ kind: z.literal('blocks-changed'), user: z.string().nullable() }),
  z.object({ kind: z.literal('read'), by: z.string(), with: z.string(), group: z.boolean(), messageId: Int, to: z.array(z.string()) }),
  z.object({ kind: z.literal('profile'), user: z.string(), displayName: z.string().nullable(), avatar: z.string().nullable() }),
  z.object({ kind: z.literal('message-change'), event: MessageChangeEvent, users: z.array(z.string()).nullable(), skip: z.array(z.string()) }),
]);

const EnvelopeSchema = z.object({ origin: z.string(), sentAt: Int.optional(), event: BusEventSchema });

export interface Envelope {
  /** nodeId of the publisher, or SWEEPER_ORIGIN (delivered to every node). */
  origin: string;
  /** Publisher's clock (ms since the epoch) when sent; absent from older nodes. */
  sentAt?: number;
  event: BusEvent;
}

export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

/** The envelope, or null when the payload is not valid JSON of the right shape. */
export function decodeEnvelope(payload: string): Envelope | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  const parsed = EnvelopeSchema.safeParse(value);
  // The schema strips unknown keys; the result matches BusEvent structurally.
  return parsed.success ? parsed.data : null;
}
