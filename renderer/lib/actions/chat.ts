// Conversation actions: open (and load history), page back, send, mark read,
// and the "Offline messages" list.
import { ErrorCode, MAX_PAGE_SIZE, type Delivery, type ResultOf } from '../../../server/protocol';
import type { ChatReply, QueuedWhy, SendCommand } from '../client/client';
import { toWireError } from '../client/errors';
import { conversations, directKey, entryFromMessage, localEntry, type Conversation, type DeliveryState, type Entry } from '../state/conversations.svelte';
import { compose } from '../state/compose.svelte';
import { notices } from '../state/notices.svelte';
import { profiles } from '../state/profiles.svelte';
import { session } from '../state/session.svelte';
import { activeOnScreen, conversationInView, ui } from '../state/ui.svelte';
import { client } from './client-ref';
import { markRead } from './conversations';
import { typingEnded } from './typing';
import { describeError } from './describe-error';

/** Messages in the first history page of a conversation: enough to fill the screen quickly. */
export const PAGE_SIZE = 50;
/**
 * Messages per older page when scrolling back. The list is virtualized, so a
 * big page costs little to show and means fewer round trips.
 */
export const OLDER_PAGE_SIZE = MAX_PAGE_SIZE;

function me(): string {
  return session.username ?? '';
}

function historyCommand(c: Conversation, before: number | null) {
  return {
    type: 'history' as const,
    ...(c.kind === 'everyone' ? { everyone: true } : { with: c.name }),
    limit: before === null ? PAGE_SIZE : OLDER_PAGE_SIZE,
    ...(c.kind === 'group' ? { group: true } : {}),
    ...(before !== null ? { before } : {}),
  };
}

/**
 * Shows a conversation, clears its unread count and loads its first page once.
 * `reveal` (default) also brings it on screen on a narrow window and sends
 * keyboard focus to its composer. `atNewest: false` opens it somewhere in its
 * older history (a search result): nothing is marked read here, the message
 * list marks what comes on screen once it shows the place.
 */
export async function openConversation(key: string, { reveal = true, atNewest = true }: { reveal?: boolean; atNewest?: boolean } = {}): Promise<void> {
  const c = conversations.ensure(key);
  conversations.activeKey = key;
  session.view = 'chat';
  if (reveal) {
    ui.pane = 'content';
    ui.focusComposer = true;
  }
  if (atNewest) c.unread = 0;
  if (!c.loaded) await loadOlder(c);
  if (atNewest && conversationInView(key)) await markRead(c);
}

export async function startDirectChat(user: string): Promise<void> {
  await openConversation(directKey(user));
}

/** Marks the conversation on screen as read (window refocused, view switched back). */
export function markActiveRead(): void {
  const c = conversations.active;
  if (c && activeOnScreen()) void markRead(c);
}

/** Loads the page before the oldest message shown. No-op while loading or when nothing older exists. */
export async function loadOlder(c: Conversation): Promise<void> {
  if (c.loading || !c.hasMore) return;
  c.loading = true;
  try {
    const result = await client().request(historyCommand(c, c.oldestId));
    c.merge(result.messages.map((m) => entryFromMessage(m, me())));
    c.hasMore = result.hasMore;
    c.loaded = true;
  } catch (err) {
    const error = toWireError(err);
    // A closed group or an unknown peer has no history to page; stop asking.
    if (error.code === ErrorCode.UNKNOWN_GROUP || error.code === ErrorCode.NOT_GROUP_MEMBER || error.code === ErrorCode.UNKNOWN_USER) {
      c.hasMore = false;
      c.loaded = true;
    }
    if (error.code !== ErrorCode.NOT_CONNECTED) notices.error(`Could not load history: ${describeError(error)}`);
  } finally {
    c.loading = false;
  }
}

function commandFor(c: Conversation, text: string, replyTo?: number): SendCommand {
  const reply = replyTo === undefined ? {} : { replyTo };
  if (c.kind === 'everyone') return { type: 'broadcast', text, ...reply };
  if (c.kind === 'group') return { type: 'message-group', group: c.name, text, ...reply };
  return { type: 'message', to: c.name, text, ...reply };
}

/**
 * The entry of a sent message, with its delivery state, from the server's reply
 * (sent now, or from the outbox: then possibly a repeat's reply, the message
 * stored the first time, which merges into its entry by id if already shown).
 */
export function describeSent(command: SendCommand, reply: ChatReply): Entry {
  let state: DeliveryState = 'delivered';
  let detail: string | null = null;
  if (command.type === 'message') {
    const r = reply as ResultOf<'message'>;
    if (r.queued) {
      state = 'queued';
      detail = `${profiles.displayName(command.to)} is offline: delivered when they sign in`;
    }
  } else if (command.type === 'broadcast') {
    const r = reply as ResultOf<'broadcast'>;
    detail = `Reached ${r.delivered} online user${r.delivered === 1 ? '' : 's'}`;
    if (r.blockedBy > 0) {
      state = 'partial';
      detail += `; ${r.blockedBy} have blocked you`;
    }
  } else {
    const r = reply as ResultOf<'message-group'>;
    const parts: string[] = [];
    if (r.queued.length > 0) {
      state = 'queued';
      parts.push(`queued for ${r.queued.map((u) => profiles.displayName(u)).join(', ')} (offline)`);
    }
    if (r.blockedBy > 0) {
      state = 'partial';
      parts.push(`${r.blockedBy} member(s) have blocked you`);
    }
    detail = parts.length > 0 ? parts.join('; ') : null;
  }
  return { ...entryFromMessage(reply.message, me()), state, detail };
}

/** The result line of a message that went to the outbox, by why it waits (a lost reply may have been stored: its resend is stored once). */
const QUEUED_LINE: Record<QueuedWhy, string> = {
  offline: 'Offline: the message waits in the outbox and goes out on reconnect.',
  behind: 'The message waits in the outbox behind earlier ones and goes out after them.',
  'no-reply': 'No reply from the server: the message waits in the outbox and goes out again at once; it is stored once.',
  dropped: 'The connection dropped before the server answered: the message waits in the outbox and goes out again on reconnect; it is stored once.',
};

/**
 * Sends `command` and records the outcome in its conversation: delivered,
 * queued for an offline recipient, waiting in the outbox, or failed.
 * Resolves the human result line; never rejects.
 */
export async function sendCommand(c: Conversation, command: SendCommand): Promise<{ ok: boolean; line: string }> {
  try {
    const outcome = await client().send(command);
    if (!outcome.sent) return { ok: true, line: QUEUED_LINE[outcome.why] };
    const entry = describeSent(command, outcome.result);
    c.merge([entry]);
    return { ok: true, line: entry.detail ?? 'Delivered.' };
  } catch (err) {
    const error = toWireError(err);
    const text = describeError(error);
    // The message row shows the failure; screen readers hear it once, no toast repeats it.
    c.merge([localEntry(me(), command.text ?? '', error.code === ErrorCode.BLOCKED ? 'blocked' : 'failed', text)]);
    notices.alert(text);
    return { ok: false, line: text };
  }
}

/**
 * Sends `text` (may be empty when files go along) with the uploaded `attachments`
 * (file ids), as a reply when the reply bar shows a message of this conversation.
 */
export async function sendText(c: Conversation, text: string, attachments: readonly string[] = []): Promise<void> {
  const replying = compose.replyTo?.key === c.key ? (compose.replyTo.entry.id ?? undefined) : undefined;
  if (replying !== undefined) compose.replyTo = null;
  const command = commandFor(c, text, replying);
  typingEnded(c);
  await sendCommand(c, attachments.length > 0 ? { ...command, attachments: [...attachments] } : command);
}

/** The `offline` command: what waited in my mailbox, oldest first. */
export async function loadOfflineMessages(): Promise<Delivery[]> {
  const result = await client().request({ type: 'offline' });
  return result.messages;
}
