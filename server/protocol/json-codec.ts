// JSON codec for WebSocket frames: one request or server frame per frame.
// Requests: {"id": 1, "type": "message", "to": "bob", "text": "hi"}.
// Replies:  {"type":"reply","id":1,"ok":true,"result":{...}} or {"type":"reply","id":1,"ok":false,"error":{...}}.
// Events:   {"type":"event","event":"message","seq":7,"offline":false,"message":{...}}.
import { ErrorCode, ProtocolError, type WireError } from './errors';
import { parseHotCommand } from './hot-commands';
import { RequestId, type ChatMessage, type RequestId as Id } from './models';
import type { Command, EventFrame } from './schemas';
import { parseCommand } from './validate';

export interface DecodedRequest {
  id: Id;
  command: Command;
}

/**
 * Decodes one request frame. On failure throws a ProtocolError that carries the
 * request id when one could be read, so the error reply can still be matched.
 */
export function decodeRequest(frame: string): DecodedRequest {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    throw new RequestError(null, new ProtocolError(ErrorCode.INVALID_JSON, 'The frame is not valid JSON'));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestError(null, new ProtocolError(ErrorCode.BAD_REQUEST, 'A request must be a JSON object'));
  }
  const fields = value as Record<string, unknown>;
  const rawId = fields.id;
  // The usual ids (a counter) are checked here; anything else goes through the schema.
  const id = typeof rawId === 'number' && Number.isSafeInteger(rawId) && rawId >= 0 ? { success: true as const, data: rawId } : RequestId.safeParse(rawId);
  if (!id.success) {
    throw new RequestError(
      null,
      new ProtocolError(ErrorCode.BAD_REQUEST, 'Every request needs an "id": a non-negative integer or a string of 1-64 characters'),
    );
  }
  // The usual commands are read without copying the frame's fields less its id.
  const hot = parseHotCommand(fields, true);
  if (hot !== null) return { id: id.data, command: hot };
  const { id: _id, ...rest } = fields;
  try {
    return { id: id.data, command: parseCommand(rest) };
  } catch (err) {
    if (err instanceof ProtocolError) throw new RequestError(id.data, err);
    throw err;
  }
}

/** A decoding failure, with the request id if the frame had a usable one. */
export class RequestError extends Error {
  constructor(
    readonly id: Id | null,
    readonly error: ProtocolError,
  ) {
    super(error.message);
    this.name = 'RequestError';
  }
}

export function encodeRequest(id: Id, command: Command): string {
  return JSON.stringify({ id, ...command });
}

export function encodeOk(id: Id, result: unknown): string {
  return JSON.stringify({ type: 'reply', id, ok: true, result });
}

/**
 * The same bytes as encodeOk(id, { message, ...rest }) given `encodedMessage`,
 * encodeMessageBody(message) (a delivery's body, encoded already). The keys of
 * `rest` are names (an array index would sort before `message` in the object).
 */
export function encodeOkWithMessage(id: Id, encodedMessage: string, rest: object): string {
  const fields = JSON.stringify(rest);
  // `{}` adds nothing; otherwise its members follow the message's.
  const more = fields.length > 2 ? `,${fields.slice(1, -1)}` : '';
  return `{"type":"reply","id":${JSON.stringify(id)},"ok":true,"result":{"message":${encodedMessage}${more}}}`;
}

export function encodeError(id: Id | null, error: WireError): string {
  return JSON.stringify({ type: 'reply', id, ok: false, error });
}

export function encodeEvent(event: EventFrame): string {
  return JSON.stringify(event);
}

/**
 * Encodes a message delivery. The message body is encoded once per fan-out and
 * shared by every recipient; only the offline flag differs.
 */
export function encodeDelivery(seq: number, offline: boolean, encodedMessage: string): string {
  return `{"type":"event","event":"message","seq":${seq},"offline":${offline},"message":${encodedMessage}}`;
}

export function encodeMessageBody(message: ChatMessage): string {
  return JSON.stringify(message);
}
