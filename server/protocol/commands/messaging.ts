// Private messages, broadcasts and group messages.
import { z } from 'zod';
import { defineCommand } from '../command';
import { AttachmentIds, ChatMessage, GroupName, OptionalText, Username } from '../models';
import { list, splitAttachments, splitWord } from '../text';

/** The text of a message line and its trailing `+file <id>` pairs; null when it has neither. */
function textAndFiles(rest: string): { text: string; attachments?: string[] } | null {
  const parsed = splitAttachments(rest);
  return parsed.text.trim() || parsed.attachments ? parsed : null;
}

/** Text is needed unless the message carries files. */
const textOrFiles = (cmd: { text?: string; attachments?: string[] }) => Boolean(cmd.text?.trim()) || (cmd.attachments?.length ?? 0) > 0;
const TEXT_OR_FILES = { message: 'is required (not blank) unless the message carries attachments', path: ['text'] };

export const message = defineCommand({
  schema: z
    .strictObject({ type: z.literal('message'), to: Username, text: OptionalText, attachments: AttachmentIds.optional() })
    .refine(textOrFiles, TEXT_OR_FILES),
  result: z.object({ message: ChatMessage, queued: z.boolean() }),
  text: {
    words: ['message'],
    usage: 'message <user> <text> [+file <id>]...',
    parse(rest) {
      const [to, text] = splitWord(rest);
      const content = textAndFiles(text);
      return to && content ? { to, ...content } : null;
    },
  },
  render: ({ message, queued }) => [
    queued ? `${message.to} is offline; the message is queued and will be delivered when they sign in.` : `Sent to ${message.to}.`,
  ],
});

export const broadcast = defineCommand({
  schema: z.strictObject({ type: z.literal('broadcast'), text: OptionalText, attachments: AttachmentIds.optional() }).refine(textOrFiles, TEXT_OR_FILES),
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
  render: ({ delivered, blockedBy }) => {
    const lines = [`Broadcast sent to ${delivered} user(s).`];
    if (blockedBy > 0) lines.push(`Your message could not be delivered to some recipients (${blockedBy} have blocked you).`);
    return lines;
  },
});

/** Members only. */
export const messageGroup = defineCommand({
  schema: z
    .strictObject({ type: z.literal('message-group'), group: GroupName, text: OptionalText, attachments: AttachmentIds.optional() })
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
    parse(rest) {
      const [group, text] = splitWord(rest);
      const content = textAndFiles(text);
      return group && content ? { group, ...content } : null;
    },
  },
  render: ({ message, queued, blockedBy }) => {
    const lines = [`Sent to group ${message.group}.`];
    if (queued.length > 0) lines.push(`Queued for offline member(s): ${list(queued)}`);
    if (blockedBy > 0) lines.push(`Your message could not be delivered to some members (${blockedBy} have blocked you).`);
    return lines;
  },
});
