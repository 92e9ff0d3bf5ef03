// block, unblock and blocklist.
import type { CommandSpec } from './types';

/** block <user> — their messages, broadcasts and group messages stop reaching me */
export const block: CommandSpec<'block'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return { user: await ctx.services.blocks.block(ctx.user, cmd.user) };
  },
};

/** unblock <user> */
export const unblock: CommandSpec<'unblock'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return { user: await ctx.services.blocks.unblock(ctx.user, cmd.user) };
  },
};

/** blocklist — whom I blocked */
export const blocklist: CommandSpec<'blocklist'> = {
  needsAuth: true,
  async handle(ctx) {
    return { users: await ctx.services.blocks.list(ctx.user) };
  },
};
