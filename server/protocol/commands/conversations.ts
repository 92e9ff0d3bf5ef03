// conversations, read and settings: the conversation list with unread counts,
// durable read positions (which drive the counts and the read receipts), and
// the read-receipts setting.
import { z } from 'zod';
import { defineCommand } from '../command';
import { MAX_PAGE_SIZE } from '../limits';
import { ChatMessage, MessageId, Seq, Timestamp, Username } from '../models';
import { formatMessageContent, parseInteger, words, type TimeFormatter } from '../text';

/**
 * One conversation as the signed-in user sees it. `with` names the peer or the
 * group; Everyone (the broadcasts) has none. `lastMessage` is the newest one
 * they can see there (null when there is none), `at` its time; `read` is how
 * far they have read (a message id) and `unread` how many messages of others
 * after it they can see. Receipts (only while both sides have them on):
 * `peerRead` in a direct chat is how far the peer has read it; `reads` in a
 * group maps each other member who read something to how far.
 */
export const Conversation = z.object({
  kind: z.enum(['direct', 'group', 'everyone']),
  with: z.string().optional(),
  lastMessage: ChatMessage.nullable(),
  at: Timestamp.nullable(),
  read: Seq,
  unread: z.number().int().min(0),
  peerRead: Seq.optional(),
  reads: z.record(z.string(), Seq).optional(),
});
export type Conversation = z.infer<typeof Conversation>;

/** How a conversation is named on a text line: `bob`, `group team`, `everyone`. */
function conversationName(c: { kind: Conversation['kind']; with?: string | undefined }): string {
  if (c.kind === 'everyone') return 'everyone';
  return c.kind === 'group' ? `group ${c.with ?? ''}` : (c.with ?? '');
}

function describeConversation(c: Conversation, time: TimeFormatter, linkBase?: string): string {
  const unread = c.unread > 0 ? `${c.unread} unread` : 'read';
  const last = c.lastMessage
    ? `#${c.lastMessage.id} [${time(c.lastMessage.ts)}] ${c.lastMessage.from}: ${formatMessageContent(c.lastMessage, linkBase)}`
    : 'no messages';
  return `  ${conversationName(c)} (${unread}): ${last}`;
}

/**
 * Every conversation I have, newest last message first: direct peers (either
 * direction), my groups, and Everyone. Pages by the last message's id
 * (`before`); conversations without messages come last.
 */
export const conversations = defineCommand({
  schema: z.strictObject({
    type: z.literal('conversations'),
    before: MessageId.optional(),
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  }),
  result: z.object({ conversations: z.array(Conversation), hasMore: z.boolean() }),
  text: {
    words: ['conversations'],
    usage: 'conversations [before-id]',
    parse(rest) {
      const args = words(rest);
      if (args.length === 0) return {};
      const before = args.length === 1 ? parseInteger(args[0]) : null;
      return before === null ? null : { before };
    },
  },
  render: ({ conversations: list, hasMore }, time, linkBase) => {
    if (list.length === 0) return ['No conversations.'];
    const lines = [`Conversations (${list.length}):`, ...list.map((c) => describeConversation(c, time, linkBase))];
    const oldest = list[list.length - 1]?.lastMessage;
    if (hasMore && oldest) lines.push(`(older conversations: conversations ${oldest.id})`);
    return lines;
  },
});

/**
 * "I have read this conversation up to `messageId`": a user (`with`), a group
 * (`with` and `group: true`) or Everyone (`everyone: true`). The position never
 * moves back; the reply names it and the unread count after it.
 */
export const read = defineCommand({
  schema: z
    .strictObject({
      type: z.literal('read'),
      with: Username.optional(),
      group: z.boolean().optional(),
      everyone: z.boolean().optional(),
      messageId: MessageId,
    })
    .refine((r) => (r.everyone === true) !== (r.with !== undefined), { message: 'give either "with" or "everyone": true', path: ['with'] })
    .refine((r) => !(r.everyone === true && r.group === true), { message: 'a group is not Everyone', path: ['group'] }),
  result: z.object({
    /** The peer (registered spelling) or the group; absent for Everyone. */
    with: z.string().optional(),
    group: z.boolean(),
    everyone: z.boolean(),
    /** The read position now (never lower than before). */
    messageId: Seq,
    unread: z.number().int().min(0),
  }),
  text: {
    words: ['read'],
    usage: 'read <user> <id> | read group <name> <id> | read everyone <id>',
    parse(rest) {
      const args = words(rest);
      const first = args[0]?.toLowerCase();
      if (first === 'everyone' && args.length === 2) {
        const messageId = parseInteger(args[1]);
        return messageId === null ? null : { everyone: true, messageId };
      }
      if (first === 'group' && args.length === 3) {
        const messageId = parseInteger(args[2]);
        return messageId === null ? null : { with: args[1], group: true, messageId };
      }
      if (args.length !== 2) return null;
      const messageId = parseInteger(args[1]);
      return messageId === null ? null : { with: args[0], messageId };
    },
  },
  render: (r) => [
    `Read ${conversationName({ kind: r.everyone ? 'everyone' : r.group ? 'group' : 'direct', with: r.with })} up to #${r.messageId} (${r.unread} unread).`,
  ],
});

/**
 * My settings. `readReceipts` (default true): false stops telling anyone what I
 * read, and stops showing me what others read. Without fields: the current settings.
 */
export const settings = defineCommand({
  schema: z.strictObject({ type: z.literal('settings'), readReceipts: z.boolean().optional() }),
  result: z.object({ readReceipts: z.boolean() }),
  text: {
    words: ['settings'],
    usage: 'settings | settings receipts <on|off>',
    parse(rest) {
      const args = words(rest).map((w) => w.toLowerCase());
      if (args.length === 0) return {};
      if (args.length === 2 && args[0] === 'receipts' && (args[1] === 'on' || args[1] === 'off')) return { readReceipts: args[1] === 'on' };
      return null;
    },
  },
  render: ({ readReceipts }) => [`Read receipts: ${readReceipts ? 'on' : 'off'}.`],
});

/**
 * Someone read a conversation up to `messageId`. To the other side of a direct
 * chat (`with` = the reader) or to a group's members (`with` = the group,
 * `group: true`), only while both have read receipts on and neither blocks the other.
 */
export const ReadEvent = z.object({
  type: z.literal('event'),
  event: z.literal('read'),
  by: Username,
  with: Username,
  group: z.boolean().optional(),
  messageId: Seq,
});
