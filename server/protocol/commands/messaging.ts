// Private messages, broadcasts and group messages, and what can be done to a
// message afterwards: reply to it, edit or delete it, react to it. Every
// message is named by its id (its position in the stream: the `#17` of TCP lines).
import { z } from 'zod';
import { defineCommand } from '../command';
import { AttachmentIds, ChatMessage, ClientKey, Emoji, GroupName, MessageId, OptionalText, Reaction, Text, Username } from '../models';
import { list, parseInteger, splitAttachments, splitWord, words } from '../text';

/** The text of a message line and its trailing `+file <id>` pairs; null when it has neither. */
function textAndFiles(rest: string): { text: string; attachments?: string[] } | null {
  const parsed = splitAttachments(rest);
  return parsed.text.trim() || parsed.attachments ? parsed : null;
}

/** `replyTo`: the id of a message of the same conversation that the sender can see. */
const ReplyTo = MessageId.optional();

/** Text is needed unless the message carries files. */
const textOrFiles = (cmd: { text?: string; attachments?: string[] }) => Boolean(cmd.text?.trim()) || (cmd.attachments?.length ?? 0) > 0;
const TEXT_OR_FILES = { message: 'is required (not blank) unless the message carries attachments', path: ['text'] };

/** What every chat send carries after its addressee: text and/or files, the message it answers, its idempotency key. */
const CHAT_CONTENT = { text: OptionalText, attachments: AttachmentIds.optional(), replyTo: ReplyTo, clientKey: ClientKey.optional() };

/** The text parser of `<name> <text> [+file <id>]...`: the name goes to `field`. */
function nameTextAndFiles(field: 'to' | 'group') {
  return (rest: string): Record<string, unknown> | null => {
    const [name, text] = splitWord(rest);
    const content = textAndFiles(text);
    return name && content ? { [field]: name, ...content } : null;
  };
}

export const message = defineCommand({
  schema: z
    .strictObject({
      type: z.literal('message'),
      to: Username,
      ...CHAT_CONTENT,
    })
    .refine(textOrFiles, TEXT_OR_FILES),
  result: z.object({ message: ChatMessage, queued: z.boolean() }),
  text: {
    words: ['message'],
    usage: 'message <user> <text> [+file <id>]...',
    parse: nameTextAndFiles('to'),
  },
  render: ({ message, queued }) => [
    `${queued ? `${message.to} is offline; the message is queued and will be delivered when they sign in.` : `Sent to ${message.to}.`} (#${message.id})`,
  ],
});

export const broadcast = defineCommand({
  schema: z
    .strictObject({
      type: z.literal('broadcast'),
      ...CHAT_CONTENT,
    })
    .refine(textOrFiles, TEXT_OR_FILES),
  result: z.object({
    message: ChatMessage,
    delivered: z.number().int().min(0),
    /** Online users who blocked the sender and so did not get it. */
    blockedBy: z.number().int().min(0),
  }),
  text: {
    words: ['broadcast'],
    usage: 'broadcast <text> [+file <id>]...',
    parse: (rest) => textAndFiles(rest.replace(/^ +/, '')),
  },
  render: ({ message, delivered, blockedBy }) => {
    const lines = [`Broadcast sent to ${delivered} user(s). (#${message.id})`];
    if (blockedBy > 0) lines.push(`Your message could not be delivered to some recipients (${blockedBy} have blocked you).`);
    return lines;
  },
});

/** Members only. */
export const messageGroup = defineCommand({
  schema: z
    .strictObject({
      type: z.literal('message-group'),
      group: GroupName,
      ...CHAT_CONTENT,
    })
    .refine(textOrFiles, TEXT_OR_FILES),
  result: z.object({
    message: ChatMessage,
    /** Members who were offline; they get it when they next sign in. */
    queued: z.array(Username),
    blockedBy: z.number().int().min(0),
  }),
  text: {
    words: ['message', 'group'],
    usage: 'message group <name> <text> [+file <id>]...',
    parse: nameTextAndFiles('group'),
  },
  render: ({ message, queued, blockedBy }) => {
    const lines = [`Sent to group ${message.group}. (#${message.id})`];
    if (queued.length > 0) lines.push(`Queued for offline member(s): ${list(queued)}`);
    if (blockedBy > 0) lines.push(`Your message could not be delivered to some members (${blockedBy} have blocked you).`);
    return lines;
  },
});

/** `<id> <text>` with a non-blank text, or null. */
function idAndText(rest: string): Record<string, unknown> | null {
  const [first, text] = splitWord(rest);
  const id = parseInteger(first);
  return id !== null && text.trim() ? { messageId: id, text } : null;
}

/**
 * A reply in the conversation of message `messageId` (the private chat with its
 * other party, its group, or the broadcasts): the same as `message`,
 * `message-group` or `broadcast` with `replyTo`.
 */
export const reply = defineCommand({
  schema: z.strictObject({ type: z.literal('reply'), messageId: MessageId, text: Text, clientKey: ClientKey.optional() }),
  result: z.object({ message: ChatMessage }),
  text: { words: ['reply'], usage: 'reply <message-id> <text>', parse: idAndText },
  render: ({ message }) => [`Replied to #${message.replyTo?.id ?? '?'}. (#${message.id})`],
});

/** The author replaces the text of their message (within --edit-minutes of sending). */
export const edit = defineCommand({
  schema: z.strictObject({ type: z.literal('edit'), messageId: MessageId, text: Text }),
  result: z.object({ message: ChatMessage }),
  text: { words: ['edit'], usage: 'edit <message-id> <text>', parse: idAndText },
  render: ({ message }) => [`Edited #${message.id}.`],
});

/** The author (or, in a group, the group's owner) deletes a message: a tombstone stays. */
export const deleteMessage = defineCommand({
  schema: z.strictObject({ type: z.literal('delete'), messageId: MessageId }),
  result: z.object({ messageId: MessageId }),
  text: {
    words: ['delete'],
    usage: 'delete <message-id>',
    parse(rest) {
      const args = words(rest);
      const id = args.length === 1 ? parseInteger(args[0]) : null;
      return id === null ? null : { messageId: id };
    },
  },
  render: ({ messageId }) => [`Deleted #${messageId}.`],
});

/** Toggles the caller's reaction `emoji` on a message they can see. */
export const react = defineCommand({
  schema: z.strictObject({ type: z.literal('react'), messageId: MessageId, emoji: Emoji }),
  result: z.object({
    messageId: MessageId,
    emoji: z.string(),
    /** True: the reaction was added; false: it was there and is now removed. */
    added: z.boolean(),
    /** The message's reactions afterwards. */
    reactions: z.array(Reaction),
  }),
  text: {
    words: ['react'],
    usage: 'react <message-id> <emoji>',
    parse(rest) {
      const args = words(rest);
      const id = args.length === 2 ? parseInteger(args[0]) : null;
      return id === null ? null : { messageId: id, emoji: args[1] };
    },
  },
  render: ({ messageId, emoji, added }) => [added ? `Reacted ${emoji} to #${messageId}.` : `Removed ${emoji} from #${messageId}.`],
});
