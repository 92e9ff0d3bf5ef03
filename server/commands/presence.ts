// whoelse, wholasthr, ping and watch.
import type { CommandSpec } from './types';

/** whoelse — users online now, except me */
export const whoelse: CommandSpec<'whoelse'> = {
  needsAuth: true,
  async handle(ctx) {
    const users = await ctx.services.presence.othersOnline(ctx.user);
    const profiles = await ctx.services.profiles.byName(users);
    return { users, profiles: users.map((u) => profiles.get(u) ?? { username: u, displayName: null, avatarUrl: null }) };
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
