// The command bar: one line of the seed's text language, parsed with the
// protocol's parseTextCommand and answered with formatResult / formatError.
import { ErrorCode, formatError, formatResult, parseTextCommand, type Command } from '../../../server/protocol';
import { toWireError } from '../client/errors';
import { conversations, keyOfCommand } from '../state/conversations.svelte';
import { applyResult } from './apply';
import { sendCommand } from './chat';
import { client } from './client-ref';
import { signOut } from './session';

export interface CommandOutput {
  ok: boolean;
  /** Reply lines in display order. */
  lines: string[];
}

export async function runCommand(line: string): Promise<CommandOutput> {
  let command: Command;
  try {
    command = parseTextCommand(line);
  } catch (err) {
    return { ok: false, lines: [formatError(toWireError(err))] };
  }
  switch (command.type) {
    case 'login':
    case 'register':
      return { ok: false, lines: [formatError({ code: ErrorCode.ALREADY_AUTHENTICATED, message: 'You are already signed in' })] };
    case 'logout':
      await signOut(false);
      return { ok: true, lines: ['Goodbye.'] };
    case 'message':
    case 'broadcast':
    case 'message-group': {
      // Chat messages go through the same path as the composer, so they show in
      // their conversation and wait in the outbox while offline.
      const outcome = await sendCommand(conversations.ensure(keyOfCommand(command)), command);
      return { ok: outcome.ok, lines: [outcome.line] };
    }
    default:
      try {
        const result = await client().request(command);
        applyResult(command.type, result);
        return { ok: true, lines: formatResult(command.type, result) };
      } catch (err) {
        return { ok: false, lines: [formatError(toWireError(err))] };
      }
  }
}
