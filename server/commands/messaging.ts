// Private messages, broadcasts and group messages.
import type { CommandSpec } from './types';

/** message <user> <text> [+file <id>]...  (JSON: {to, text?, attachments?: [fileId, ...]}) */
export const message: CommandSpec<'message'> = {
  needsAuth: true,
  pipelined: true,
  async handle(ctx, cmd) {
    const out = await ctx.services.delivery.sendPrivate(ctx.user, cmd.to, cmd.text ?? '', cmd.attachments, ctx.turn);
    return { message: out.message, queued: out.queued.length > 0 };
  },
};

/** broadcast <text> [+file <id>]... */
export const broadcast: CommandSpec<'broadcast'> = {
  needsAuth: true,
  pipelined: true,
  async handle(ctx, cmd) {
    const out = await ctx.services.delivery.sendBroadcast(ctx.user, cmd.text ?? '', cmd.attachments, ctx.turn);
    return { message: out.message, delivered: out.delivered, blockedBy: out.blockedBy };
  },
};

/** message group <name> <text> [+file <id>]... — members only */
export const messageGroup: CommandSpec<'message-group'> = {
  needsAuth: true,
  pipelined: true,
  async handle(ctx, cmd) {
    const group = await ctx.services.groups.requireGroup(cmd.group, ctx.user);
    const out = await ctx.services.delivery.sendGroup(ctx.user, group, cmd.text ?? '', cmd.attachments, ctx.turn);
    return { message: out.message, queued: out.queued, blockedBy: out.blockedBy };
  },
};
