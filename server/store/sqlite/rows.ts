// Maps SQLite rows to the store's records. Used by both threads: the main
// thread's reads and the writer thread's writes.
import type { ChatMessage, MessageKind, ReplyQuote } from '../../protocol';
import { groupReactions, messageRecord, replyQuoteOf, type MessageState } from '../rules';
import type { GroupRecord, LockState, LoginGuard, ProfileRecord } from '../store';
import type { GroupRow, GuardRow, LockRow, MessageRow, ProfileRow, Statements } from './statements';

const KINDS: ReadonlySet<string> = new Set<MessageKind>(['private', 'broadcast', 'group']);

function toMessage(row: MessageRow, state?: MessageState): ChatMessage {
  // The CHECK constraint guarantees this; a failure means the file was edited by hand.
  if (!KINDS.has(row.kind)) throw new Error(`messages.id ${row.id} has an unknown kind "${row.kind}"`);
  return messageRecord(
    row.id,
    { kind: row.kind as MessageKind, from: row.sender, to: row.recipient, group: row.group_name, text: row.text, ts: row.ts },
    state,
  );
}

/**
 * Messages from rows, as readers see them now: two batched reads add the
 * quotes of the originals replies answer and the reactions (main thread only).
 */
export function toMessages(s: Statements, rows: readonly MessageRow[]): ChatMessage[] {
  if (rows.length === 0) return [];
  const replyIds = [...new Set(rows.flatMap((r) => (r.reply_to === null ? [] : [r.reply_to])))];
  const quotes = new Map<number, ReplyQuote>();
  if (replyIds.length > 0) {
    for (const q of s.quotedMessages.all(JSON.stringify(replyIds))) {
      quotes.set(q.id, replyQuoteOf({ id: q.id, from: q.sender, text: q.text, deleted: q.deleted_at !== null }));
    }
  }
  const live = rows.filter((r) => r.deleted_at === null).map((r) => r.id);
  const pairs = new Map<number, [string, string][]>();
  if (live.length > 0) {
    for (const r of s.reactionsOf.all(JSON.stringify(live))) {
      const list = pairs.get(r.message_id);
      if (list) list.push([r.emoji, r.username]);
      else pairs.set(r.message_id, [[r.emoji, r.username]]);
    }
  }
  return rows.map((row) =>
    toMessage(row, {
      replyTo: row.reply_to === null ? undefined : quotes.get(row.reply_to),
      editedAt: row.edited_at,
      deleted: row.deleted_at !== null,
      reactions: groupReactions(pairs.get(row.id) ?? []),
    }),
  );
}

/** A group with its members in join order. Call inside a transaction when consistency with `row` matters. */
export function toGroupRecord(s: Statements, row: GroupRow): GroupRecord {
  const members = s.membersOf.all(row.name).map((r) => r.username);
  return { id: row.id, name: row.name, owner: row.owner, members, createdAt: row.created_at };
}

/** A login_failures row as a LockState (not yet checked for expiry: see rules.currentLock). */
export function lockOf(row: LockRow | undefined): LockState | undefined {
  return row && { failures: row.failures, lockedUntil: row.locked_until };
}

/** A whole login_failures row (see rules.beginAttempt / finishAttempt). */
export function guardOf(row: GuardRow | undefined): LoginGuard | undefined {
  return (
    row && { failures: row.failures, lockedUntil: row.locked_until, hourStart: row.hour_start, hourFailures: row.hour_failures, leaseUntil: row.lease_until }
  );
}

export function toProfile(row: ProfileRow): ProfileRecord {
  return { username: row.username, displayName: row.display_name, avatar: row.avatar };
}
