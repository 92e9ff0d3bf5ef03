// Reads of messages, mailboxes (per-recipient sequence counters) and
// deliveries in PostgreSQL, plus ack. Writes of messages go through
// message-writer.ts (group commit).
import type { StoredDelivery, StoredKind, StoredMessage } from '../store';
import { rows, toNumber, type Queryable } from './db';

interface MessageRow {
  id: string;
  kind: StoredKind;
  sender: string;
  recipient: string | null;
  group_name: string | null;
  body: string;
  ts: string;
}

interface DeliveryRow extends MessageRow {
  username: string;
  seq: string;
  offline: boolean;
}

const MESSAGE_COLUMNS = 'm.id, m.kind, m.sender, m.recipient, m.group_name, m.body, m.ts';
const DELIVERY_SELECT = `SELECT d.username, d.seq, d.offline, ${MESSAGE_COLUMNS} FROM deliveries d JOIN messages m ON m.id = d.message_id`;

function toMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = { id: toNumber(row.id), kind: row.kind, from: row.sender, text: row.body, ts: toNumber(row.ts) };
  // Optional fields are left out rather than set to undefined, like the other backends.
  if (row.recipient !== null) message.to = row.recipient;
  if (row.group_name !== null) message.group = row.group_name;
  return message;
}

function toDelivery(row: DeliveryRow): StoredDelivery {
  return { username: row.username, seq: toNumber(row.seq), offline: row.offline, message: toMessage(row) };
}

export async function deliveriesAfter(db: Queryable, username: string, afterSeq: number, limit: number): Promise<StoredDelivery[]> {
  const found = await rows<DeliveryRow>(db, `${DELIVERY_SELECT} WHERE d.username = $1 AND d.seq > $2 ORDER BY d.seq LIMIT $3`, [username, afterSeq, limit]);
  return found.map(toDelivery);
}

export async function lastSeq(db: Queryable, username: string): Promise<number> {
  const [row] = await rows<{ last_seq: string }>(db, 'SELECT last_seq FROM mailboxes WHERE username = $1', [username]);
  return row ? toNumber(row.last_seq) : 0;
}

export async function lastAcked(db: Queryable, username: string): Promise<number> {
  const [row] = await rows<{ last_acked: string }>(db, 'SELECT last_acked FROM mailboxes WHERE username = $1', [username]);
  return row ? toNumber(row.last_acked) : 0;
}

/** Monotonic and capped at last_seq in one UPDATE, so racing acks from two connections cannot lower it. */
export async function ack(db: Queryable, username: string, seq: number): Promise<void> {
  await db.query('UPDATE mailboxes SET last_acked = GREATEST(last_acked, LEAST($2::bigint, last_seq)) WHERE username = $1', [username, seq]);
}

export async function offlineDeliveries(db: Queryable, username: string, limit: number): Promise<StoredDelivery[]> {
  const found = await rows<DeliveryRow>(
    db,
    `SELECT * FROM (${DELIVERY_SELECT} WHERE d.username = $1 AND d.offline ORDER BY d.seq DESC LIMIT $2) newest ORDER BY seq`,
    [username, limit],
  );
  return found.map(toDelivery);
}

export async function countOfflineAfter(db: Queryable, username: string, afterSeq: number): Promise<number> {
  const [row] = await rows<{ n: string }>(db, 'SELECT count(*) AS n FROM deliveries WHERE username = $1 AND offline AND seq > $2', [username, afterSeq]);
  return row ? toNumber(row.n) : 0;
}

export async function history(
  db: Queryable,
  query: { viewer: string; peer?: string; group?: string; before?: number; limit: number },
): Promise<StoredMessage[]> {
  const before = query.before ?? null;
  if (query.group !== undefined) {
    const found = await rows<MessageRow>(
      db,
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       WHERE m.kind = 'group' AND m.group_name = $1 AND ($2::bigint IS NULL OR m.id < $2)
       ORDER BY m.id DESC LIMIT $3`,
      [query.group, before, query.limit],
    );
    return found.map(toMessage);
  }
  if (query.peer === undefined) return [];
  const found = await rows<MessageRow>(
    db,
    `SELECT ${MESSAGE_COLUMNS} FROM messages m
     WHERE m.kind = 'private'
       AND ((m.sender = $1 AND m.recipient = $2) OR (m.sender = $2 AND m.recipient = $1))
       AND ($3::bigint IS NULL OR m.id < $3)
     ORDER BY m.id DESC LIMIT $4`,
    [query.viewer, query.peer, before, query.limit],
  );
  return found.map(toMessage);
}
