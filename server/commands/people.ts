// typing and users.
import { ErrorCode, ProtocolError } from '../protocol';
import type { CommandContext, CommandSpec } from './types';

function sessionOf(ctx: CommandContext) {
  const session = ctx.client.session;
  if (!session) throw new ProtocolError(ErrorCode.NOT_SIGNED_IN, 'Sign in first');
  return session;
}

/** typing <user> | typing group <name> — tells them I am typing (never stored) */
export const typing: CommandSpec<'typing'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    const group = cmd.group === true;
    if (group) {
      await ctx.services.typing.inGroup(sessionOf(ctx), cmd.with);
      return { with: cmd.with, group };
    }
    // The reply names the registered spelling, whatever case was typed.
    return { with: await ctx.services.typing.toUser(sessionOf(ctx), cmd.with), group };
  },
};

/** users [query] — the people directory: every account matching, online or not */
export const users: CommandSpec<'users'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return ctx.services.presence.directory(cmd.query ?? '');
  },
};
