// The message stream and every user's position in it, in PostgreSQL. Saving
// goes through message-writer.ts (group commit, one row per message); the
// mailbox is read from the stream with membership spans and blocks applied.
import type { Pool } from 'pg';
import type { ChatMessage, Delivery, MessageKind } from '../../protocol';
import { awayAtSignIn, historyTarget, inAway, messageRecord, pageSize } from '../rules';
import type { AwayWindow, HistoryQuery, MailboxQuery, MessageStore, NewMessage, SignInPositions } from '../store';
import { inTransaction, rows, toNumber } from './db';
import { MessageWriter } from './message-writer';

interface MessageRow {
  id: string;
  kind: MessageKind;
  sender: string;
  recipient: string | null;
  group_name: string | null;
  body: string;
  ts: string;
}

const MESSAGE_COLUMNS = 'm.id, m.kind, m.sender, m.recipient, m.group_name, m.body, m.ts';
const HEAD = '(SELECT coalesce(max(id), 0) FROM messages)';

/**
 * A user's mailbox: the private inbox, broadcasts outside the away window and
 * each group over the spans of membership, merged, leaving out senders the
 * reader blocks now or blocked when the message was sent. Params: $1 user, $2 after, $3 upTo, $4 away from, $5 away to.
 */
const MAILBOX = `
  SELECT * FROM (
    SELECT ${MESSAGE_COLUMNS} FROM messages m
     WHERE m.kind = 'private' AND m.recipient = $1 AND m.id > $2 AND m.id <= $3
    UNION ALL
    SELECT ${MESSAGE_COLUMNS} FROM messages m
     WHERE m.kind = 'broadcast' AND m.id > $2 AND m.id <= $3 AND m.sender <> $1
       AND NOT (m.id > $4 AND m.id <= $5)
    UNION ALL
    SELECT ${MESSAGE_COLUMNS} FROM member_spans s JOIN messages m
        ON m.kind = 'group' AND m.group_id = s.group_id
       AND m.id > GREATEST(s.from_pos, $2) AND m.id <= LEAST(coalesce(s.to_pos, $3), $3)
     WHERE s.username = $1 AND (s.to_pos IS NULL OR s.to_pos > $2) AND m.sender <> $1
  ) mb WHERE NOT EXISTS (
    SELECT 1 FROM block_spans b WHERE b.blocker = $1 AND b.blocked = mb.sender
       AND (b.to_pos IS NULL OR (mb.id > b.from_pos AND mb.id <= b.to_pos)))`;

function toMessage(row: MessageRow): ChatMessage {
  return messageRecord(toNumber(row.id), { kind: row.kind, from: row.sender, to: row.recipient, group: row.group_name, text: row.body, ts: toNumber(row.ts) });
}

function mailboxParams(q: Omit<MailboxQuery, 'limit' | 'newest'>): unknown[] {
  return [q.username, q.after, q.upTo ?? Number.MAX_SAFE_INTEGER, q.away?.from ?? 0, q.away?.to ?? 0];
}

export class PostgresMessages implements MessageStore {
  private readonly writer: MessageWriter;

  constructor(private readonly pool: Pool) {
    this.writer = new MessageWriter(pool);
  }

  saveMessage(message: NewMessage): Promise<ChatMessage> {
    return this.writer.save(message);
  }

  /** Resolves when every save queued so far has settled (before closing the pool). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  async mailbox(query: MailboxQuery): Promise<Delivery[]> {
    const n = pageSize(query.limit);
    if (n === 0) return [];
    const sql = query.newest ? `SELECT * FROM (${MAILBOX} ORDER BY id DESC LIMIT $6) newest ORDER BY id` : `${MAILBOX} ORDER BY id LIMIT $6`;
    const found = await rows<MessageRow>(this.pool, sql, [...mailboxParams(query), n]);
    return found.map((row) => {
      const message = toMessage(row);
      return { seq: message.id, offline: inAway(message.id, query.away), message };
    });
  }

  async countMailbox(query: Omit<MailboxQuery, 'limit' | 'newest'>): Promise<number> {
    const [row] = await rows<{ n: string }>(this.pool, `SELECT count(*) AS n FROM (${MAILBOX}) counted`, mailboxParams(query));
    return row ? toNumber(row.n) : 0;
  }

  async head(): Promise<number> {
    const [row] = await rows<{ head: string }>(this.pool, `SELECT ${HEAD} AS head`);
    return row ? toNumber(row.head) : 0;
  }

  async lastAcked(username: string): Promise<number> {
    const [row] = await rows<{ acked: string }>(this.pool, 'SELECT acked FROM positions WHERE username = $1', [username]);
    return row ? toNumber(row.acked) : 0;
  }

  /** Monotonic and capped at the head in one statement, so racing acks from two connections cannot lower it. */
  async ack(username: string, position: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO positions (username, acked) SELECT $1, LEAST($2::bigint, ${HEAD}) WHERE EXISTS (SELECT 1 FROM users WHERE username = $1)
       ON CONFLICT (username) DO UPDATE SET acked = GREATEST(positions.acked, excluded.acked)`,
      [username, position],
    );
  }

  async signIn(username: string): Promise<SignInPositions> {
    return inTransaction(this.pool, async (client) => {
      const [headRow] = await rows<{ head: string }>(client, `SELECT ${HEAD} AS head`);
      const head = toNumber(headRow?.head ?? 0);
      await client.query('INSERT INTO positions (username) SELECT $1 WHERE EXISTS (SELECT 1 FROM users WHERE username = $1) ON CONFLICT DO NOTHING', [
        username,
      ]);
      const [row] = await rows<{ acked: string; signed_in: string; signed_out: string }>(
        client,
        'SELECT acked, signed_in, signed_out FROM positions WHERE username = $1 FOR UPDATE',
        [username],
      );
      if (!row) return { head, acked: 0, away: { from: head, to: head } };
      const acked = toNumber(row.acked);
      const away = awayAtSignIn({ acked, signedIn: toNumber(row.signed_in), signedOut: toNumber(row.signed_out) }, head);
      await client.query('UPDATE positions SET signed_in = $2, away_from = $3, away_to = $4 WHERE username = $1', [username, head, away.from, away.to]);
      return { head, acked, away };
    });
  }

  async signOut(username: string, acked: number): Promise<void> {
    await this.pool.query(`UPDATE positions SET acked = GREATEST(acked, LEAST($2::bigint, ${HEAD})), signed_out = ${HEAD} WHERE username = $1`, [
      username,
      acked,
    ]);
  }

  async lastAway(username: string): Promise<AwayWindow> {
    const [row] = await rows<{ away_from: string; away_to: string }>(this.pool, 'SELECT away_from, away_to FROM positions WHERE username = $1', [username]);
    return row ? { from: toNumber(row.away_from), to: toNumber(row.away_to) } : { from: 0, to: 0 };
  }

  async directPeers(username: string): Promise<string[]> {
    // A loose index scan per direction (messages_private_idx, messages_peers_idx):
    // each step seeks the next distinct name.
    const found = await rows<{ peer: string }>(
      this.pool,
      `WITH RECURSIVE
         sent(peer) AS (
           SELECT (SELECT min(recipient) FROM messages WHERE kind = 'private' AND sender = $1)
           UNION ALL
           SELECT (SELECT min(recipient) FROM messages WHERE kind = 'private' AND sender = $1 AND recipient > sent.peer)
             FROM sent WHERE sent.peer IS NOT NULL),
         got(peer) AS (
           SELECT (SELECT min(sender) FROM messages WHERE kind = 'private' AND recipient = $1)
           UNION ALL
           SELECT (SELECT min(sender) FROM messages WHERE kind = 'private' AND recipient = $1 AND sender > got.peer)
             FROM got WHERE got.peer IS NOT NULL)
       SELECT peer FROM sent WHERE peer IS NOT NULL AND peer <> $1
       UNION
       SELECT peer FROM got WHERE peer IS NOT NULL AND peer <> $1`,
      [username],
    );
    return found.map((r) => r.peer).sort();
  }

  async history(query: HistoryQuery): Promise<ChatMessage[]> {
    const target = historyTarget(query);
    const before = query.before ?? null;
    const limit = pageSize(query.limit);
    if ('group' in target) {
      // By the current group's id: an ended group's messages stay with the ended group.
      const found = await rows<MessageRow>(
        this.pool,
        `SELECT ${MESSAGE_COLUMNS} FROM messages m
         WHERE m.kind = 'group' AND m.group_id = (SELECT id FROM groups WHERE name = $1) AND ($2::bigint IS NULL OR m.id < $2)
         ORDER BY m.id DESC LIMIT $3`,
        [target.group, before, limit],
      );
      return found.map(toMessage);
    }
    const found = await rows<MessageRow>(
      this.pool,
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
