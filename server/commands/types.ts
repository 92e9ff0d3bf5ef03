// What a command handler is. Handlers change state only through services and
// return their result; expected failures are thrown as ProtocolError.
import type { HandlerContext } from '../connection';
import type { CommandOf, CommandType, ResultOf } from '../protocol';
import type { Services } from '../services/index';

export type CommandContext = HandlerContext<Services>;

export interface CommandSpec<K extends CommandType> {
  /** Refused with NOT_SIGNED_IN before a sign-in. */
  needsAuth: boolean;
  handle(ctx: CommandContext, command: CommandOf<K>): Promise<ResultOf<K>>;
}

/** One handler per wire command: a command the protocol defines but this table lacks fails to compile. */
export type CommandTable = { [K in CommandType]: CommandSpec<K> };
