// whoelse, wholasthr and ping.
import { ErrorCode, ProtocolError } from '../protocol';
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
    const { store, presence } = ctx.services;
    const user = await store.getUser(cmd.user);
    if (!user) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${cmd.user}"`);
    const [online, blockedByMe, blockedMe] = await Promise.all([
      presence.isOnline(cmd.user),
      store.isBlocked(ctx.user, cmd.user),
      store.isBlocked(cmd.user, ctx.user),
    ]);
    return { user: cmd.user, online, lastLoginAt: user.lastLoginAt, blockedByMe, blockedMe };
  },
};
