// whoelse, wholasthr, ping and watch.
import type { CommandSpec } from './types';

/** whoelse — users online now, except me */
export const whoelse: CommandSpec<'whoelse'> = {
  needsAuth: true,
  async handle(ctx) {
    return { users: await ctx.services.presence.othersOnline(ctx.user) };
  },
};

/** wholasthr — users online now or signed in within the last hour, except me */
export const wholasthr: CommandSpec<'wholasthr'> = {
  needsAuth: true,
  async handle(ctx) {
    return { users: await ctx.services.presence.lastHour(ctx.user) };
  },
};

/** ping <user> — online or not, and whether either side blocked the other */
export const ping: CommandSpec<'ping'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return ctx.services.presence.ping(ctx.user, cmd.user);
  },
};

/** watch [user ...] — presence changes of these users too (replaces the list; none: stop) */
export const watch: CommandSpec<'watch'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return { users: await ctx.services.presence.watch(ctx.user, cmd.users) };
  },
};
