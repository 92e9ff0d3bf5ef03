// What a command handler is. Handlers change state only through services and
// return their result; expected failures are thrown as ProtocolError.
import type { HandlerContext } from '../connection';
import type { CommandOf, CommandType, ResultOf } from '../protocol';
import type { Services } from '../services/index';

export type CommandContext = HandlerContext<Services>;

export interface CommandSpec<K extends CommandType> {
  /** Refused with NOT_SIGNED_IN before a sign-in. */
  needsAuth: boolean;
  /**
   * Consecutive pipelined commands of a connection run concurrently: each issues
   * its store write in command order (ctx.turn) and its reply waits for the
   * replies before it. Only for commands whose outcome does not depend on the
   * pipelined commands before them (sends).
   */
  pipelined?: true;
  handle(ctx: CommandContext, command: CommandOf<K>): Promise<ResultOf<K>>;
}

/** One handler per wire command: a command the protocol defines but this table lacks fails to compile. */
export type CommandTable = { [K in CommandType]: CommandSpec<K> };
