// The conversation list from the server (built at every sign-in), read
// positions (sent for the newest message on screen) and the read-receipts
// setting. Unread badges come from the server's counts, so they agree on
// every device.
import { MAX_PAGE_SIZE, type ResultOf } from '../../../server/protocol';
import { conversations, directKey, EVERYONE, groupKey, type Conversation } from '../state/conversations.svelte';
import { receipts } from '../state/receipts.svelte';
import { session } from '../state/session.svelte';
import { ui } from '../state/ui.svelte';
import { client } from './client-ref';

/** Pages fetched at sign-in at most (MAX_PAGE_SIZE conversations each). */
const MAX_LIST_PAGES = 10;

type Listed = ResultOf<'conversations'>['conversations'][number];

function keyOf(c: Listed): string {
  if (c.kind === 'everyone') return EVERYONE;
  return c.kind === 'group' ? groupKey(c.with ?? '') : directKey(c.with ?? '');
}

function apply(listed: Listed): void {
  // The last message only orders the sidebar: opening the conversation loads its newest page.
  const c = conversations.ensure(keyOf(listed));
  c.list(listed.at ?? 0);
  c.readUpTo = Math.max(c.readUpTo, listed.read);
  c.countedUpTo = Math.max(c.countedUpTo, listed.lastMessage?.id ?? 0);
  const last = listed.lastMessage;
  if (last && last.id >= (c.listedLast?.id ?? 0)) {
    c.listedLast = { id: last.id, from: last.from, text: last.text, deleted: last.deleted === true, files: last.attachments?.length ?? 0 };
  }
  c.unread = conversations.activeKey === c.key && c.unread === 0 ? 0 : listed.unread;
  c.peerRead = listed.peerRead ?? 0;
  c.reads = listed.reads ?? {};
}

/** Builds the sidebar from the server's list: every direct chat, group and Everyone, with unread counts. */
export async function refreshConversations(): Promise<void> {
  let before: number | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const result = await client().request({ type: 'conversations', limit: MAX_PAGE_SIZE, ...(before !== undefined ? { before } : {}) });
    for (const listed of result.conversations) apply(listed);
    const last = result.conversations.at(-1)?.lastMessage;
    if (!result.hasMore || !last) return;
    before = last.id;
  }
}

/** The read request naming `c`. */
function target(c: Conversation): { with: string; group?: true } | { everyone: true } {
  if (c.kind === 'everyone') return { everyone: true };
  return c.kind === 'group' ? { with: c.name, group: true } : { with: c.name };
}

/**
 * Tells the server I read `c` up to its newest message on screen (no-op when
 * nothing new there). While the reader is scrolled up through older messages,
 * what arrived below stays unread.
 */
export async function markRead(c: Conversation): Promise<void> {
  // On the way to a search result the list has not shown the reader anything yet.
  if (ui.revealMessage !== null) return;
  const upTo = c.onScreenUpTo;
  c.unread = c.othersAfter(Math.max(upTo, c.readUpTo));
  if (upTo <= c.readUpTo || session.username === null) return;
  c.readUpTo = upTo;
  try {
    const result = await client().request({ type: 'read', ...target(c), messageId: upTo });
    c.readUpTo = Math.max(c.readUpTo, result.messageId);
  } catch {
    // Offline or refused (a group I left): the next read or sign-in brings the server's count back.
  }
}

/** Loads my read-receipts setting. */
export async function loadReceipts(): Promise<void> {
  receipts.on = (await client().request({ type: 'settings' })).readReceipts;
}

/** Turns my read receipts on or off; off also hides everyone else's. */
export async function setReceipts(on: boolean): Promise<void> {
  receipts.on = (await client().request({ type: 'settings', readReceipts: on })).readReceipts;
  if (!receipts.on) {
    for (const c of conversations.list) {
      c.peerRead = 0;
      c.reads = {};
    }
  } else {
    await refreshConversations();
  }
}
