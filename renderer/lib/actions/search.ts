// Message search actions: one page of results from the server, and opening a
// result (its conversation, scrolled to the message, older pages loaded as needed).
import type { ResultOf } from '../../../server/protocol';
import type { SearchHit } from '../../../server/protocol/commands/search';
import { conversations, directKey, entryFromMessage, EVERYONE, groupKey } from '../state/conversations.svelte';
import { profiles } from '../state/profiles.svelte';
import { session } from '../state/session.svelte';
import { ui } from '../state/ui.svelte';
import { loadOlder, openConversation } from './chat';
import { client } from './client-ref';

/** Results per page in the search panel. */
export const SEARCH_PAGE_SIZE = 20;

/** Older pages loaded at most to reach a result before giving up on scrolling to it. */
const MAX_PAGES_TO_REVEAL = 10;

/** One page of results for `query`, newest first; `cursor` continues a previous page. Rejects with the server's error. */
export function searchMessages(query: string, cursor: number | null = null): Promise<ResultOf<'search'>> {
  return client().request({ type: 'search', query, limit: SEARCH_PAGE_SIZE, ...(cursor !== null ? { cursor } : {}) });
}

/** The conversation key of a result (`u:bob`, `g:team`, `everyone`). */
export function keyOfHit(hit: SearchHit): string {
  const c = hit.conversation;
  if (c.kind === 'private') return directKey(c.with);
  return c.kind === 'group' ? groupKey(c.group) : EVERYONE;
}

/** The conversation's name as the sidebar shows it (a person by display name). */
export function conversationLabel(hit: SearchHit): string {
  const c = hit.conversation;
  if (c.kind === 'private') return profiles.displayName(c.with);
  return c.kind === 'group' ? `# ${c.group}` : 'Everyone';
}

/**
 * Opens the result's conversation and asks the message list to scroll to the
 * message and highlight it, loading older pages until it is there (at most
 * MAX_PAGES_TO_REVEAL of them). A broadcast further back than that is added
 * to Everyone's list as it is.
 */
export async function openSearchResult(hit: SearchHit): Promise<void> {
  const key = keyOfHit(hit);
  const id = hit.message.id;
  // Set first: until the list shows this message it marks nothing read, so
  // jumping to an old message leaves what came after it unread.
  ui.revealMessage = id;
  await openConversation(key, { atNewest: false });
  const c = conversations.get(key);
  if (!c) return;
  const has = () => c.entries.some((e) => e.id === id);
  for (let page = 0; !has() && c.hasMore && page < MAX_PAGES_TO_REVEAL; page++) {
    const before = c.entries.length;
    await loadOlder(c);
    if (c.entries.length === before) break;
  }
  if (!has() && c.kind === 'everyone') c.merge([entryFromMessage(hit.message, session.username ?? '')]);
  // The list, not the composer, gets the reader's attention.
  ui.focusComposer = false;
  // Out of reach: the list goes back to reading from where it is.
  if (!has() && ui.revealMessage === id) ui.revealMessage = null;
}
