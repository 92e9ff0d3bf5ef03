// offline, history, ack and help: reading what was delivered, confirming
// receipt, and the list of commands.
import { TEXT_USAGES } from '../protocol';
import type { CommandSpec } from './types';

/** offline — the messages that waited for me while I was offline (newest 200) */
export const offline: CommandSpec<'offline'> = {
  needsAuth: true,
  async handle(ctx) {
    return { messages: await ctx.services.mailbox.offline(ctx.user) };
  },
};

/** history <user|group> [before-id] — newest first; a name is a group when no user has it */
export const history: CommandSpec<'history'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return ctx.services.mailbox.history(ctx.user, cmd);
  },
};

/** ack <seq> — everything up to seq was received */
export const ack: CommandSpec<'ack'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    // The reply names what was actually acknowledged (never beyond what was sent),
    // and is sent only once that is stored: a crash after the reply repeats nothing.
    return { seq: await ctx.client.session!.acknowledge(cmd.seq) };
  },
};

/** help */
export const help: CommandSpec<'help'> = {
  needsAuth: false,
  async handle() {
    return { commands: [...TEXT_USAGES] };
  },
};
