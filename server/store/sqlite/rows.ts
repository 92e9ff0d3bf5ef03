// Maps SQLite rows to the Store's records. Optional columns become absent
// properties (never `undefined` or null), so records compare equal across backends.
import type { StoredDelivery, StoredKind, StoredMessage } from '../store';
import type { DeliveryRow, MessageRow } from './statements';

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
