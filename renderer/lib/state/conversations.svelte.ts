// Every conversation on screen: "Everyone" (broadcasts), direct chats and
// groups, each with its loaded messages (oldest first), unread count and
// paging state. Message lists are $state.raw and replaced, never mutated.
import type { ChatMessage } from '../../../server/protocol';
import type { SendCommand } from '../client/client';

export type ConversationKind = 'everyone' | 'direct' | 'group';

/** How far one of my messages got. */
export type DeliveryState = 'delivered' | 'queued' | 'sent' | 'partial' | 'blocked' | 'failed';

export interface Entry {
  /** Render key: `m<id>` for server messages, `l<n>` for local-only ones. */
  key: string;
  /** Server message id; null for a message that never reached the server. */
  id: number | null;
  from: string;
  text: string;
  /** ms since the Unix epoch. */
  ts: number;
  mine: boolean;
  /** Delivered from my offline mailbox ("received while you were offline"). */
  offline: boolean;
  /** Delivery state of my own messages; null for others' messages and history. */
  state: DeliveryState | null;
  /** Human detail for `state` (who it was queued for, why it failed). */
  detail: string | null;
}

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

let localCounter = 0;

export function entryFromMessage(message: ChatMessage, me: string, offline = false): Entry {
  return {
    key: `m${message.id}`,
    id: message.id,
    from: message.from,
    text: message.text,
    ts: message.ts,
    mine: message.from === me,
    offline,
    state: null,
    detail: null,
  };
}

/** A message of mine that has no server id (failed, or sent from the outbox). */
export function localEntry(from: string, text: string, state: DeliveryState, detail: string | null): Entry {
  return { key: `l${++localCounter}`, id: null, from, text, ts: Date.now(), mine: true, offline: false, state, detail };
}

function byTime(a: Entry, b: Entry): number {
  return a.ts - b.ts || (a.id ?? Number.MAX_SAFE_INTEGER) - (b.id ?? Number.MAX_SAFE_INTEGER);
}

export class Conversation {
  readonly key: string;
  readonly kind: ConversationKind;
  /** Peer username, group name, or "Everyone". */
  readonly name: string;
  entries = $state.raw<Entry[]>([]);
  unread = $state(0);
  /** Older history may exist on the server (false for Everyone: broadcasts have no history). */
  hasMore = $state(true);
  loading = $state(false);
  /** The first history page was fetched. */
  loaded = $state(false);
  /** For groups: I am no longer a member (removed, left or deleted). */
  closed = $state(false);
  /** ms of the newest entry, for sorting the sidebar. */
  lastActivity = $derived(this.entries.at(-1)?.ts ?? 0);
  /** Oldest server message id loaded: the `before` of the next history page. */
  oldestId = $derived(this.entries.find((e) => e.id !== null)?.id ?? null);

  constructor(key: string) {
    this.key = key;
    if (key === EVERYONE) {
      this.kind = 'everyone';
      this.name = 'Everyone';
      this.hasMore = false;
      this.loaded = true;
    } else {
      this.kind = key.startsWith('g:') ? 'group' : 'direct';
      this.name = key.slice(2);
    }
  }

  /**
   * Merges entries, de-duplicated by server id. An entry already shown keeps
   * its delivery state; a local "sent" twin of an incoming message of mine
   * (same text, sent from the outbox) is replaced by the real one.
   */
  merge(incoming: Entry[]): void {
    // A plain record, not a Map: this is scratch space, not reactive state.
    const byId: Record<number, Entry> = {};
    for (const e of this.entries) if (e.id !== null) byId[e.id] = e;
    const added: Entry[] = [];
    let changed = false;
    for (const e of incoming) {
      const existing = e.id === null ? undefined : byId[e.id];
      if (e.id !== null && existing) {
        if (existing.state === null && e.state !== null) {
          byId[e.id] = { ...existing, state: e.state, detail: e.detail };
          changed = true;
        }
        continue;
      }
      if (e.id !== null) byId[e.id] = e;
      added.push(e);
    }
    if (added.length === 0) {
      if (changed) this.entries = this.entries.map((e) => (e.id !== null ? (byId[e.id] ?? e) : e));
      return;
    }
    const realMine = added.filter((e) => e.id !== null && e.mine).map((e) => e.text);
    const locals = this.entries.filter((e) => {
      if (e.id !== null) return false;
      if (e.state !== 'sent') return true;
      const i = realMine.indexOf(e.text);
      if (i === -1) return true;
      realMine.splice(i, 1);
      return false;
    });
    const next = [...Object.values(byId), ...locals, ...added.filter((e) => e.id === null)];
    this.entries = next.sort(byTime);
  }
}

class ConversationsState {
  byKey = $state<Record<string, Conversation>>({ [EVERYONE]: new Conversation(EVERYONE) });
  activeKey = $state(EVERYONE);
  active = $derived(this.byKey[this.activeKey] ?? null);
  /** Everyone first, then the most recently active. */
  list = $derived(
    Object.values(this.byKey).sort((a, b) =>
      a.kind === 'everyone' ? -1 : b.kind === 'everyone' ? 1 : b.lastActivity - a.lastActivity || a.name.localeCompare(b.name),
    ),
  );
  totalUnread = $derived(Object.values(this.byKey).reduce((sum, c) => sum + c.unread, 0));

  get(key: string): Conversation | null {
    return this.byKey[key] ?? null;
  }

  ensure(key: string): Conversation {
    const existing = this.byKey[key];
    if (existing) return existing;
    const created = new Conversation(key);
    this.byKey[key] = created;
    return created;
  }

  remove(key: string): void {
    if (key === EVERYONE) return;
    delete this.byKey[key];
    if (this.activeKey === key) this.activeKey = EVERYONE;
  }

  reset(): void {
    this.byKey = { [EVERYONE]: new Conversation(EVERYONE) };
    this.activeKey = EVERYONE;
  }
}

export const conversations = new ConversationsState();
