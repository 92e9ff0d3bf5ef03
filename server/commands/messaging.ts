// Private messages, broadcasts and group messages.
import type { CommandSpec } from './types';

/** message <user> <text>  (JSON: {to, text?, attachments?: [fileId, ...]}) */
export const message: CommandSpec<'message'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    const out = await ctx.services.delivery.sendPrivate(ctx.user, cmd.to, cmd.text ?? '', cmd.attachments);
    return { message: out.message, queued: out.queued.length > 0 };
  },
};

/** broadcast <text> */
export const broadcast: CommandSpec<'broadcast'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    const out = await ctx.services.delivery.sendBroadcast(ctx.user, cmd.text ?? '', cmd.attachments);
    return { message: out.message, delivered: out.delivered, blockedBy: out.blockedBy };
  },
};

/** message group <name> <text> — members only */
export const messageGroup: CommandSpec<'message-group'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    const group = await ctx.services.groups.requireGroup(cmd.group, ctx.user);
    const out = await ctx.services.delivery.sendGroup(ctx.user, group.name, group.members, cmd.text ?? '', cmd.attachments);
    return { message: out.message, queued: out.queued, blockedBy: out.blockedBy };
  },
};
