// Turns an untyped object into a validated Command, with one readable error
// message for the first problem found. Used by both codecs and by Electron's IPC.
import type { z } from 'zod';
import { ErrorCode, ProtocolError } from './errors';
import { parseHotCommand } from './hot-commands';
import { commandSchemas, isCommandType, type Command } from './schemas';

/**
 * Formats the first zod issue as "field: problem". Parse with `{ reportInput: true }`:
 * without the input zod cannot tell a missing field from one of the wrong type,
 * and both would read "is required".
 */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  if (issue.code === 'unrecognized_keys') return `unexpected field(s): ${issue.keys.join(', ')}`;
  // A rule about the request as a whole says so itself.
  if (issue.code === 'custom' && issue.path.length === 0) return issue.message;
  const path = issue.path.length > 0 ? issue.path.join('.') : 'value';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${path}: is required`;
  return `${path}: ${issue.message}`;
}

/**
 * Validates `input` as a command. Throws ProtocolError UNKNOWN_COMMAND for an
 * unknown `type` and BAD_REQUEST for anything else that does not fit.
 */
export function parseCommand(input: unknown): Command {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, 'A request must be a JSON object');
  }
  const hot = parseHotCommand(input as Record<string, unknown>, false);
  if (hot !== null) return hot;
  const type = (input as { type?: unknown }).type;
  if (!isCommandType(type)) {
    const shown = typeof type === 'string' ? `"${type.slice(0, 40)}"` : 'missing';
    throw new ProtocolError(ErrorCode.UNKNOWN_COMMAND, `Unknown command type ${shown}. Send {"type":"help"} for the list.`);
  }
  const parsed = commandSchemas[type].safeParse(input, { reportInput: true });
  if (!parsed.success) {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `${type}: ${describeIssue(parsed.error)}`);
  }
  return parsed.data;
}
