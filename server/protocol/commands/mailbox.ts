// offline, history, ack and help: reading what was delivered, confirming
// receipt, and the list of commands.
import { z } from 'zod';
import { defineCommand } from '../command';
import { MAX_PAGE_SIZE } from '../limits';
import { ChatMessage, Delivery, MessageId, Seq, Username } from '../models';
import { formatDelivery, formatHistoryLine, noArguments, parseInteger, words } from '../text';

/** The messages that waited for me while I was offline (the newest MAX_PAGE_SIZE). */
export const offline = defineCommand({
  schema: z.strictObject({ type: z.literal('offline') }),
  result: z.object({ messages: z.array(Delivery) }),
  text: { words: ['offline'], usage: 'offline', parse: noArguments },
  render: ({ messages }, time, linkBase) => {
    if (messages.length === 0) return ['No messages waited for you while you were offline.'];
    return [
      `Messages that waited for you while you were offline (${messages.length}):`,
      ...messages.map((d) => formatDelivery(d.seq, true, d.message, time, linkBase)),
    ];
  },
});

/**
 * A page of one conversation, newest first, strictly older than `before` (a
 * message id). Without `group`, a name is a group when no user has it. With
 * `everyone: true` (and no `with`): the broadcasts.
 */
export const history = defineCommand({
  schema: z
    .strictObject({
      type: z.literal('history'),
      with: Username.optional(),
      group: z.boolean().optional(),
      everyone: z.boolean().optional(),
      before: MessageId.optional(),
      limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
    })
    .refine((r) => (r.everyone === true) !== (r.with !== undefined), { message: 'give either "with" or "everyone": true', path: ['with'] })
    .refine((r) => !(r.everyone === true && r.group === true), { message: 'a group is not Everyone', path: ['group'] }),
  result: z.object({
    /** The conversation: a user, or a group when `group` is true; `everyone` for the broadcasts. */
    with: z.string(),
    group: z.boolean(),
    /** True: the broadcasts (absent otherwise). */
    everyone: z.boolean().optional(),
    messages: z.array(ChatMessage),
    hasMore: z.boolean(),
  }),
  text: {
    words: ['history'],
    usage: 'history <user|group> [before-id] | history everyone [before-id]',
    parse(rest) {
      const args = words(rest);
      if (args[0]?.toLowerCase() === 'everyone' && args.length <= 2) {
        const before = args[1] === undefined ? undefined : parseInteger(args[1]);
        if (before === null) return null;
        return { everyone: true, ...(before !== undefined ? { before } : {}) };
      }
      let [first, second, third] = args;
      let group = false;
      if (first?.toLowerCase() === 'group' && second !== undefined) {
        group = true;
        [first, second] = [second, third];
        third = args[3];
      }
      if (!first || third !== undefined) return null;
      const before = second === undefined ? undefined : parseInteger(second);
      if (before === null) return null;
      return { with: first, ...(group ? { group } : {}), ...(before !== undefined ? { before } : {}) };
    },
  },
  render: ({ messages, hasMore, with: peer, group }, time, linkBase) => {
    if (messages.length === 0) return ['No messages.'];
    const lines = [...messages].reverse().map((m) => formatHistoryLine(m, time, linkBase));
    if (hasMore) lines.push(`(older messages: history ${group ? 'group ' : ''}${peer} ${messages[messages.length - 1]!.id})`);
    // Broadcasts: `with` is "everyone" (a reserved name), so the hint reads `history everyone <id>`.
    return lines;
  },
});

/** Everything up to and including `seq` has been received and processed. */
export const ack = defineCommand({
  schema: z.strictObject({ type: z.literal('ack'), seq: Seq }),
  result: z.object({ seq: Seq }),
  text: {
    words: ['ack'],
    usage: 'ack <seq>',
    parse(rest) {
      const args = words(rest);
      const seq = args.length === 1 ? parseInteger(args[0]) : null;
      return seq === null ? null : { seq };
    },
  },
  render: ({ seq }) => [`Acknowledged up to #${seq}.`],
});

/** The text syntax of every command. */
export const help = defineCommand({
  schema: z.strictObject({ type: z.literal('help') }),
  result: z.object({ commands: z.array(z.string()) }),
  text: { words: ['help'], usage: 'help', parse: noArguments },
  render: ({ commands }) => ['Commands:', ...commands.map((s) => `  ${s}`)],
});
