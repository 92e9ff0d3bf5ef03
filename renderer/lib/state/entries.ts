// Chat entries as the UI keeps them (oldest first, ordered by time then id) and
// the one merge that adds to such a list. Pure TypeScript, so the ordering and
// de-duplication rules are unit-tested without a browser.
import type { Attachment, ChatMessage, Reaction, ReplyQuote } from '../../../server/protocol';

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
  /** Files the message carries (absent or empty: none). */
  attachments?: Attachment[];
  /** The message this one answers, quoted. */
  replyTo?: ReplyQuote;
  /** Set when its author edited it (ms). */
  editedAt?: number;
  /** Deleted: shown as a tombstone. */
  deleted?: boolean;
  /** Reactions with who reacted (absent or empty: none). */
  reactions?: Reaction[];
}

/**
 * Where a merge put its new entries. The message list keeps the reader's place
 * from the end of the list only on 'prepend' (an older page arrived).
 */
export type EntriesChange = 'append' | 'prepend' | 'replace';

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
    ...(message.attachments?.length ? { attachments: message.attachments } : {}),
    ...(message.replyTo ? { replyTo: message.replyTo } : {}),
    ...(message.editedAt !== undefined ? { editedAt: message.editedAt } : {}),
    ...(message.deleted ? { deleted: true } : {}),
    ...(message.reactions?.length ? { reactions: message.reactions } : {}),
  };
}

/** True when `b` shows something of the message that `a` does not (an edit, a deletion, reactions, the quote). */
function contentChanged(a: Entry, b: Entry): boolean {
  return (
    a.text !== b.text ||
    a.editedAt !== b.editedAt ||
    a.deleted !== b.deleted ||
    JSON.stringify(a.reactions ?? []) !== JSON.stringify(b.reactions ?? []) ||
    JSON.stringify(a.replyTo ?? null) !== JSON.stringify(b.replyTo ?? null)
  );
}

/** A message of mine that has no server id (refused, or failed to send). */
export function localEntry(from: string, text: string, state: DeliveryState, detail: string | null): Entry {
  return { key: `l${++localCounter}`, id: null, from, text, ts: Date.now(), mine: true, offline: false, state, detail };
}

/** List order: by time, then server id; local entries (no id) after server ones of the same ms. */
export function byTime(a: Entry, b: Entry): number {
  return a.ts - b.ts || (a.id ?? Number.MAX_SAFE_INTEGER) - (b.id ?? Number.MAX_SAFE_INTEGER);
}

/** Index of `entry` (compared by byTime) in the sorted `list`, or -1. O(log n). */
function indexOf(list: readonly Entry[], entry: Entry): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const order = byTime(list[mid] as Entry, entry);
    if (order === 0) return mid;
    if (order < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Merges two lists that are each sorted by byTime. O(a + b). */
function mergeSorted(a: readonly Entry[], b: readonly Entry[]): Entry[] {
  const out: Entry[] = new Array<Entry>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = byTime(a[i] as Entry, b[j] as Entry) <= 0 ? (a[i++] as Entry) : (b[j++] as Entry);
  while (i < a.length) out[k++] = a[i++] as Entry;
  while (j < b.length) out[k++] = b[j++] as Entry;
  return out;
}

/**
 * Merges `incoming` into the sorted `current` list, de-duplicated by server id.
 * An entry already shown keeps its place and gains a delivery state it lacked
 * (and takes the incoming content when that differs: edited, deleted, reactions):
 * so the answer to a resend from the outbox (the message stored the first time,
 * same id) never shows a second copy. `known` maps the ids in `current` to their
 * entries and is updated in place.
 *
 * Returns null when nothing changed. Cost: O(log n) per state update plus one
 * array copy; appending or prepending a page never re-sorts the list, so a
 * message arriving in a 50,000-entry conversation stays well under a
 * millisecond of work here.
 */
export function mergeEntries(
  current: readonly Entry[],
  incoming: readonly Entry[],
  known: Map<number, Entry>,
): { entries: Entry[]; change: EntriesChange } | null {
  const updates: Entry[] = [];
  const added: Entry[] = [];
  for (const e of incoming) {
    if (e.id !== null) {
      const existing = known.get(e.id);
      if (existing) {
        const gainsState = existing.state === null && e.state !== null;
        // A page read again (or a resumed delivery) shows edits, deletions and reactions made since.
        const changed = contentChanged(existing, e);
        if (gainsState || changed) {
          const updated: Entry = changed
            ? { ...e, key: existing.key, offline: existing.offline, state: existing.state, detail: existing.detail }
            : { ...existing };
          if (gainsState) {
            updated.state = e.state;
            updated.detail = e.detail;
          }
          known.set(e.id, updated);
          updates.push(updated);
        }
        continue;
      }
      known.set(e.id, e);
    }
    added.push(e);
  }
  if (added.length === 0 && updates.length === 0) return null;

  const next: Entry[] = current.slice();
  for (const u of updates) {
    const i = indexOf(next, u);
    if (i !== -1) next[i] = u;
  }

  if (added.length === 0) return { entries: next, change: 'replace' };
  added.sort(byTime);
  const first = next[0];
  const last = next.at(-1);
  if (!first || !last) return { entries: added, change: 'replace' };
  if (byTime(added[0] as Entry, last) >= 0) return { entries: next.concat(added), change: 'append' };
  if (byTime(added.at(-1) as Entry, first) < 0) return { entries: added.concat(next), change: 'prepend' };
  return { entries: mergeSorted(next, added), change: 'replace' };
}
