// Private messages, broadcasts and group messages, replies, and changes to
// sent messages (edit, delete, react).
import { OutboundMessage, SentResult } from '../connection';
import { Repeat, type SendOptions } from '../services/delivery';
import type { CommandContext, CommandSpec } from './types';

// A send with `clientKey` (JSON only) that its sender already used for a stored
// message is a repeat: answered with that message, nothing stored or delivered
// again, even where a new send would be refused (services/delivery.ts).

/** The options of a chat send as its request gives them, in the connection's pipeline turn. */
function sendOptions(
  ctx: CommandContext,
  cmd: { attachments?: readonly string[] | undefined; replyTo?: number | undefined; clientKey?: string | undefined },
): SendOptions {
  return { attachments: cmd.attachments, turn: ctx.turn, replyTo: cmd.replyTo, clientKey: cmd.clientKey };
}

/** message <user> <text> [+file <id>]...  (JSON: {to, text?, attachments?: [fileId, ...], replyTo?, clientKey?}) */
export const message: CommandSpec<'message'> = {
  needsAuth: true,
  pipelined: true,
  async handle(ctx, cmd) {
    const out = await ctx.services.delivery.sendPrivate(ctx.user, cmd.to, cmd.text ?? '', sendOptions(ctx, cmd));
    return SentResult.of(out.outbound, { queued: out.queued.length > 0 });
  },
};

/** broadcast <text> [+file <id>]... */
export const broadcast: CommandSpec<'broadcast'> = {
  needsAuth: true,
  pipelined: true,
  async handle(ctx, cmd) {
    const out = await ctx.services.delivery.sendBroadcast(ctx.user, cmd.text ?? '', sendOptions(ctx, cmd));
    return SentResult.of(out.outbound, { delivered: out.delivered, blockedBy: out.blockedBy });
  },
};

/** message group <name> <text> [+file <id>]... — members only (a repeat too: membership is checked outside the repeat's fallback) */
export const messageGroup: CommandSpec<'message-group'> = {
  needsAuth: true,
  pipelined: true,
  async handle(ctx, cmd) {
    const group = await ctx.services.groups.requireGroup(cmd.group, ctx.user);
    const out = await ctx.services.delivery.sendGroup(ctx.user, group, cmd.text ?? '', sendOptions(ctx, cmd));
    return SentResult.of(out.outbound, { queued: out.queued, blockedBy: out.blockedBy });
  },
};

/** reply <message-id> <text> — in the conversation of that message (private, its group, or broadcast) */
export const reply: CommandSpec<'reply'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    const { delivery, groups } = ctx.services;
    const { clientKey } = cmd;
    const answering: SendOptions = { replyTo: cmd.messageId, clientKey };
    // A repeat is answered even when the original is deleted or out of sight by now (a group left since):
    // every refusal here falls back to the key (orRepeat).
    const sent = await delivery.orRepeat(ctx.user, clientKey, async () => {
      const { message: original } = await ctx.services.changes.visible(ctx.user, cmd.messageId);
      if (original.kind === 'private') {
        const peer = original.from === ctx.user ? original.to! : original.from;
        return (await delivery.sendPrivate(ctx.user, peer, cmd.text, answering)).outbound;
      }
      if (original.kind === 'group') {
        const group = await groups.requireGroup(original.group!, ctx.user);
        return (await delivery.sendGroup(ctx.user, group, cmd.text, answering)).outbound;
      }
      return (await delivery.sendBroadcast(ctx.user, cmd.text, answering)).outbound;
    });
    return SentResult.of(sent instanceof Repeat ? new OutboundMessage(sent.earlier) : sent, {});
  },
};

/** edit <message-id> <text> — the author, within --edit-minutes */
export const edit: CommandSpec<'edit'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return { message: await ctx.services.changes.edit(ctx.user, cmd.messageId, cmd.text) };
  },
};

/** delete <message-id> — the author, or the group's owner */
export const deleteMessage: CommandSpec<'delete'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    await ctx.services.changes.remove(ctx.user, cmd.messageId);
    return { messageId: cmd.messageId };
  },
};

/** react <message-id> <emoji> — toggles the caller's reaction */
export const react: CommandSpec<'react'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    const toggled = await ctx.services.changes.react(ctx.user, cmd.messageId, cmd.emoji);
    return { messageId: cmd.messageId, emoji: cmd.emoji, added: toggled.added, reactions: toggled.reactions };
  },
};
