// Maps SQLite rows to the Store's records. Optional columns become absent
// properties (never `undefined` or null), so records compare equal across backends.
// Used by both threads: the main thread's reads and the writer thread's writes.
import type { GroupRecord, LockState, NewMessage, StoredDelivery, StoredKind, StoredMessage } from '../store';
import type { DeliveryRow, GroupRow, MessageRow, Statements } from './statements';

const KINDS: ReadonlySet<string> = new Set<StoredKind>(['private', 'broadcast', 'group']);

export function toStoredMessage(row: MessageRow): StoredMessage {
  // The CHECK constraint guarantees this; a failure means the file was edited by hand.
  if (!KINDS.has(row.kind)) throw new Error(`messages.id ${row.id} has an unknown kind "${row.kind}"`);
  const message: StoredMessage = { id: row.id, kind: row.kind as StoredKind, from: row.sender, text: row.text, ts: row.ts };
  if (row.recipient !== null) message.to = row.recipient;
  if (row.group_name !== null) message.group = row.group_name;
  return message;
}

export function toStoredDelivery(row: DeliveryRow): StoredDelivery {
  return { username: row.username, seq: row.seq, offline: row.offline === 1, message: toStoredMessage(row) };
}

/** Only the NewMessage fields of `message` (a caller's object may carry more; optional ones stay absent). */
export function newMessageFields(message: NewMessage): NewMessage {
  const fields: NewMessage = { kind: message.kind, from: message.from, text: message.text, ts: message.ts };
  if (message.to !== undefined) fields.to = message.to;
  if (message.group !== undefined) fields.group = message.group;
  return fields;
}

/** A group with its members in join order. Call inside a transaction when consistency with `row` matters. */
export function toGroupRecord(s: Statements, row: GroupRow): GroupRecord {
  const members = s.membersOf.all(row.name).map((r) => r.username);
  return { name: row.name, owner: row.owner, members, createdAt: row.created_at };
}

/** Lock state as of `now`: an expired lock reads as no lock and a fresh counter. */
export function currentLock(row: { failures: number; locked_until: number | null } | undefined, now: number): LockState {
  if (!row) return { failures: 0, lockedUntil: null };
  if (row.locked_until !== null && now >= row.locked_until) return { failures: 0, lockedUntil: null };
  return { failures: row.failures, lockedUntil: row.locked_until };
}
