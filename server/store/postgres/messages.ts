// Messages, mailboxes (per-recipient sequence counters) and deliveries in
// PostgreSQL. Saving goes through message-writer.ts (group commit); the reads
// and ack are single statements.
import type { ChatMessage, MessageKind } from '../../protocol';
import { historyTarget, messageRecord, pageSize } from '../rules';
import type { HistoryQuery, MessageStore, NewMessage, Recipient, StoredDelivery } from '../store';
import { rows, toNumber, type Queryable } from './db';
import { MessageWriter, type SaveResult } from './message-writer';

interface MessageRow {
  id: string;
  kind: MessageKind;
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

function toMessage(row: MessageRow): ChatMessage {
  return messageRecord(toNumber(row.id), { kind: row.kind, from: row.sender, to: row.recipient, group: row.group_name, text: row.body, ts: toNumber(row.ts) });
}

function toDelivery(row: DeliveryRow): StoredDelivery {
  return { username: row.username, seq: toNumber(row.seq), offline: row.offline, message: toMessage(row) };
}

export class PostgresMessages implements MessageStore {
  private readonly writer: MessageWriter;

  constructor(private readonly db: Queryable) {
    this.writer = new MessageWriter(db);
  }

  saveMessage(message: NewMessage, recipients: readonly Recipient[]): Promise<SaveResult> {
    return this.writer.save(message, recipients);
  }

  /** Resolves when every save queued so far has settled (before closing the pool). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  async deliveriesAfter(username: string, afterSeq: number, limit: number): Promise<StoredDelivery[]> {
    const found = await rows<DeliveryRow>(this.db, `${DELIVERY_SELECT} WHERE d.username = $1 AND d.seq > $2 ORDER BY d.seq LIMIT $3`, [
      username,
      afterSeq,
      pageSize(limit),
    ]);
    return found.map(toDelivery);
  }

  async lastSeq(username: string): Promise<number> {
    const [row] = await rows<{ last_seq: string }>(this.db, 'SELECT last_seq FROM mailboxes WHERE username = $1', [username]);
    return row ? toNumber(row.last_seq) : 0;
  }

  async lastAcked(username: string): Promise<number> {
    const [row] = await rows<{ last_acked: string }>(this.db, 'SELECT last_acked FROM mailboxes WHERE username = $1', [username]);
    return row ? toNumber(row.last_acked) : 0;
  }

  /** Monotonic and capped at last_seq in one UPDATE, so racing acks from two connections cannot lower it. */
  async ack(username: string, seq: number): Promise<void> {
    await this.db.query('UPDATE mailboxes SET last_acked = GREATEST(last_acked, LEAST($2::bigint, last_seq)) WHERE username = $1', [username, seq]);
  }

  async offlineDeliveries(username: string, limit: number): Promise<StoredDelivery[]> {
    const found = await rows<DeliveryRow>(
      this.db,
      `SELECT * FROM (${DELIVERY_SELECT} WHERE d.username = $1 AND d.offline ORDER BY d.seq DESC LIMIT $2) newest ORDER BY seq`,
      [username, pageSize(limit)],
    );
    return found.map(toDelivery);
  }

  async countOfflineAfter(username: string, afterSeq: number): Promise<number> {
    const [row] = await rows<{ n: string }>(this.db, 'SELECT count(*) AS n FROM deliveries WHERE username = $1 AND offline AND seq > $2', [username, afterSeq]);
    return row ? toNumber(row.n) : 0;
  }

  async history(query: HistoryQuery): Promise<ChatMessage[]> {
    const target = historyTarget(query);
    const before = query.before ?? null;
    const limit = pageSize(query.limit);
    if ('group' in target) {
      const found = await rows<MessageRow>(
        this.db,
        `SELECT ${MESSAGE_COLUMNS} FROM messages m
         WHERE m.kind = 'group' AND m.group_name = $1 AND ($2::bigint IS NULL OR m.id < $2)
         ORDER BY m.id DESC LIMIT $3`,
        [target.group, before, limit],
      );
      return found.map(toMessage);
    }
    const found = await rows<MessageRow>(
      this.db,
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       WHERE m.kind = 'private'
         AND ((m.sender = $1 AND m.recipient = $2) OR (m.sender = $2 AND m.recipient = $1))
         AND ($3::bigint IS NULL OR m.id < $3)
       ORDER BY m.id DESC LIMIT $4`,
      [query.viewer, target.peer, before, limit],
    );
    return found.map(toMessage);
  }
}
