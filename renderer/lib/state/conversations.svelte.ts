// Every conversation on screen: "Everyone" (broadcasts), direct chats and
// groups, each with its loaded messages (oldest first), unread count and
// paging state. Message lists are $state.raw and replaced, never mutated.
import type { ChatMessage } from '../../../server/protocol';
import { gistOf } from '../../../server/client/gist';
import type { SendCommand } from '../client/client';
import { mergeEntries, type EntriesChange, type Entry } from './entries';

export type ConversationKind = 'everyone' | 'direct' | 'group';

export type { DeliveryState, EntriesChange, Entry } from './entries';
export { entryFromMessage, localEntry } from './entries';

export const EVERYONE = 'everyone';
export const directKey = (user: string): string => `u:${user}`;
export const groupKey = (group: string): string => `g:${group}`;

/** Conversation a message belongs to, seen by `me`. */
export function keyOfMessage(message: ChatMessage, me: string): string {
  if (message.kind === 'broadcast') return EVERYONE;
  if (message.kind === 'group') return groupKey(message.group ?? '');
  return directKey(message.from === me ? (message.to ?? message.from) : message.from);
}

export function keyOfCommand(command: SendCommand): string {
  if (command.type === 'broadcast') return EVERYONE;
  if (command.type === 'message-group') return groupKey(command.group);
  return directKey(command.to);
}

/** What the sidebar shows of a conversation's newest message. */
export interface LastMessage {
  /** Server message id (0 for a message not yet on the server). */
  id: number;
  from: string;
  text: string;
  deleted: boolean;
  /** How many files it carries. */
  files: number;
}

/** How the sidebar's preview, the reply bar and a reply's quote speak of a message (shared with main's notifications). */
export { gistOf };

/** The sidebar's one-line preview of `last`: "You: …", a group's or Everyone's sender first, the tombstone's words for a deleted one. */
export function previewOf(last: LastMessage | null, kind: ConversationKind, me: string | null, nameOf: (user: string) => string): string {
  if (!last) return '';
  const body = last.deleted ? 'This message was deleted' : gistOf(last.text, last.files);
  if (last.from === me) return `You: ${body}`;
  return kind === 'direct' ? body : `${nameOf(last.from)}: ${body}`;
}

export class Conversation {
  readonly key: string;
  readonly kind: ConversationKind;
  /** Peer username, group name, or "Everyone". */
  readonly name: string;
  entries = $state.raw<Entry[]>([]);
  /** How the last merge changed `entries` (the message list anchors prepends from the end). */
  lastChange = $state.raw<EntriesChange>('replace');
  unread = $state(0);
  /** My read position here (a message id), as the server keeps it for all my devices. */
  readUpTo = $state(0);
  /** The newest message the server had counted when the list was fetched: only later deliveries add to `unread`. */
  countedUpTo = 0;
  /**
   * While the reader is scrolled up through older messages, the newest message
   * id on screen: reading marks only up to it. Null while the newest messages
   * are in view (or the conversation is not open). Kept by the message list.
   */
  readingAt: number | null = null;
  /** Direct chats: how far the peer has read (read receipts; 0 when unknown or off). */
  peerRead = $state(0);
  /** Groups: how far each other member has read (read receipts). */
  reads = $state.raw<Record<string, number>>({});
  /** ms of the last message as the conversation list reported it (before any history is loaded). */
  listedAt = $state(0);
  /** The last message as the conversation list reported it (kept up to date by edits and deletions). */
  listedLast = $state.raw<LastMessage | null>(null);
  /** Older history may exist on the server. */
  hasMore = $state(true);
  loading = $state(false);
  /** The first history page was fetched. */
  loaded = $state(false);
  /** For groups: I am no longer a member (removed, left or deleted). */
  closed = $state(false);
  /** Server ids already in `entries`: de-duplication without rebuilding a map per message. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping beside `entries`, deliberately not reactive
  readonly #known = new Map<number, Entry>();
  readonly #onActivity: ((c: Conversation) => void) | undefined;
  /** ms of the newest entry (or of the listed last message), for ordering the sidebar. */
  lastActivity = $derived(Math.max(this.entries.at(-1)?.ts ?? 0, this.listedAt));
  /** Newest server message id shown: what opening the conversation marks read. */
  newestId = $derived(this.entries.findLast((e) => e.id !== null)?.id ?? 0);
  /** Oldest server message id loaded: the `before` of the next history page. */
  oldestId = $derived(this.entries.find((e) => e.id !== null)?.id ?? null);

  /** The newest message, for the sidebar's preview: the newest loaded entry, or the listed one when newer (or nothing is loaded). */
  last = $derived.by((): LastMessage | null => {
    const entry = this.entries.at(-1);
    const listed = this.listedLast;
    if (entry && (listed === null || entry.id === null || entry.id >= listed.id)) {
      return { id: entry.id ?? 0, from: entry.from, text: entry.text, deleted: entry.deleted === true, files: entry.attachments?.length ?? 0 };
    }
    return listed;
  });

  /** `onActivity` runs when the newest entry changes (the sidebar moves the conversation up). */
  constructor(key: string, onActivity?: (c: Conversation) => void) {
    this.key = key;
    this.#onActivity = onActivity;
    if (key === EVERYONE) {
      this.kind = 'everyone';
      this.name = 'Everyone';
    } else {
      this.kind = key.startsWith('g:') ? 'group' : 'direct';
      this.name = key.slice(2);
    }
  }

  /** The newest message id the reader can see now: what reading this conversation marks read. */
  get onScreenUpTo(): number {
    return this.readingAt === null ? this.newestId : Math.min(this.readingAt, this.newestId);
  }

  /** Loaded messages of others after message `id`: the unread count once read up to it. */
  othersAfter(id: number): number {
    // From the end: usually none or a few, while the list may hold thousands.
    let count = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as Entry;
      if (e.id === null) continue;
      if (e.id <= id) break;
      if (!e.mine) count++;
    }
    return count;
  }

  /** The entry of server message `id`, if loaded. */
  entryOf(id: number): Entry | undefined {
    return this.#known.get(id);
  }

  /** Replaces the entry of server message `id` with `change(entry)` (edits, deletions, reactions); no-op when not loaded. */
  patch(id: number, change: (entry: Entry) => Entry): void {
    const current = this.#known.get(id);
    if (!current) return;
    const next = change(current);
    this.#known.set(id, next);
    this.lastChange = 'replace';
    this.entries = this.entries.map((e) => (e === current ? next : e));
  }

  /** Applies an edit or a deletion of message `id` to the listed last message, when it is that one. */
  patchListed(id: number, change: (last: LastMessage) => LastMessage): void {
    if (this.listedLast?.id === id) this.listedLast = change(this.listedLast);
  }

  /** Merges entries (see mergeEntries); a newer last entry reports activity for the sidebar order. */
  merge(incoming: Entry[]): void {
    const result = mergeEntries(this.entries, incoming, this.#known);
    if (!result) return;
    const before = this.entries.at(-1);
    this.lastChange = result.change;
    this.entries = result.entries;
    if (this.entries.at(-1) !== before) this.#onActivity?.(this);
  }

  /** Takes what the conversation list reported (activity time, counts, receipts). */
  list(at: number): void {
    const moved = at > this.listedAt;
    this.listedAt = Math.max(this.listedAt, at);
    if (moved) this.#onActivity?.(this);
  }
}

/** Sidebar order: Everyone first, then the most recently active, then by name. */
function sidebarOrder(a: Conversation, b: Conversation): number {
  if (a.kind === 'everyone' || b.kind === 'everyone') return a.kind === 'everyone' ? (b.kind === 'everyone' ? 0 : -1) : 1;
  return b.lastActivity - a.lastActivity || a.name.localeCompare(b.name);
}

class ConversationsState {
  byKey = $state<Record<string, Conversation>>({});
  activeKey = $state(EVERYONE);
  active = $derived(this.byKey[this.activeKey] ?? null);
  /**
   * Conversation keys in sidebar order. Kept in order as things change: a new
   * message moves only its own conversation, and only when it is not already
   * in place, so the sidebar is neither re-sorted nor re-rendered per message.
   */
  order = $state.raw<string[]>([]);
  list = $derived(this.order.map((key) => this.byKey[key]).filter((c): c is Conversation => c !== undefined));
  totalUnread = $derived(Object.values(this.byKey).reduce((sum, c) => sum + c.unread, 0));

  constructor() {
    this.reset();
  }

  get(key: string): Conversation | null {
    return this.byKey[key] ?? null;
  }

  ensure(key: string): Conversation {
    const existing = this.byKey[key];
    if (existing) return existing;
    const created = new Conversation(key, (c) => this.#reposition(c));
    this.byKey[key] = created;
    this.#reposition(created);
    return created;
  }

  remove(key: string): void {
    if (key === EVERYONE) return;
    delete this.byKey[key];
    this.order = this.order.filter((k) => k !== key);
    if (this.activeKey === key) this.activeKey = EVERYONE;
  }

  reset(): void {
    this.byKey = { [EVERYONE]: new Conversation(EVERYONE) };
    this.order = [EVERYONE];
    this.activeKey = EVERYONE;
  }

  /** Puts `c` where sidebarOrder says; leaves `order` untouched when `c` is already in place (the usual case). */
  #reposition(c: Conversation): void {
    const at = this.order.indexOf(c.key);
    const neighbour = (i: number) => {
      const key = this.order[i];
      return key === undefined ? undefined : this.byKey[key];
    };
    if (at !== -1) {
      const before = neighbour(at - 1);
      const after = neighbour(at + 1);
      if ((!before || sidebarOrder(before, c) <= 0) && (!after || sidebarOrder(c, after) <= 0)) return;
    }
    const rest = this.order.filter((k) => k !== c.key);
    let i = 0;
    while (i < rest.length) {
      const other = this.byKey[rest[i] as string];
      if (other && sidebarOrder(c, other) < 0) break;
      i++;
    }
    rest.splice(i, 0, c.key);
    this.order = rest;
  }
}

export const conversations = new ConversationsState();
