// Maps SQLite rows to the store's records. Used by both threads: the main
// thread's reads and the writer thread's writes.
import type { ChatMessage, MessageKind } from '../../protocol';
import { messageRecord } from '../rules';
import type { GroupRecord, LockState, LoginGuard, ProfileRecord } from '../store';
import type { GroupRow, GuardRow, LockRow, MessageRow, ProfileRow, Statements } from './statements';

const KINDS: ReadonlySet<string> = new Set<MessageKind>(['private', 'broadcast', 'group']);

export function toMessage(row: MessageRow): ChatMessage {
  // The CHECK constraint guarantees this; a failure means the file was edited by hand.
  if (!KINDS.has(row.kind)) throw new Error(`messages.id ${row.id} has an unknown kind "${row.kind}"`);
  return messageRecord(row.id, { kind: row.kind as MessageKind, from: row.sender, to: row.recipient, group: row.group_name, text: row.text, ts: row.ts });
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
