// conversations, read and settings: the conversation list, read positions
// (with the receipts they send) and the read-receipts setting.
import type { CommandSpec } from './types';

/** conversations [before-id] — my conversations, newest last message first, with unread counts */
export const conversations: CommandSpec<'conversations'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return ctx.services.conversations.list(ctx.user, cmd);
  },
};

/** read <user> <id> | read group <name> <id> | read everyone <id> — I have read up to id */
export const read: CommandSpec<'read'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return ctx.services.conversations.read(ctx.user, cmd);
  },
};

/** settings | settings receipts <on|off> */
export const settings: CommandSpec<'settings'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return ctx.services.conversations.settings(ctx.user, cmd);
  },
};
