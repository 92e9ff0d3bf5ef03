// The message stream and every user's position in it, in PostgreSQL. Saving
// goes through message-writer.ts (group commit, one row per message); the
// mailbox is read from the stream with membership spans and blocks applied.
import type { Pool } from 'pg';
import type { ChatMessage, Delivery, MessageKind, ReplyQuote } from '../../protocol';
import { tsqueryText } from '../../protocol/search';
import { awayAtSignIn, groupReactions, historyTarget, inAway, messageRecord, pageSize, replyQuoteOf } from '../rules';
import { effectiveRead, keyOf, listConversations, resolveTarget, type ConversationReads } from '../conversations';
import type {
  AwayWindow,
  ConversationQuery,
  ConversationRecord,
  ConversationTarget,
  HistoryQuery,
  MailboxQuery,
  MessageFiles,
  MessageStore,
  NewMessage,
  ReactionToggle,
  SavedOnce,
  SearchQuery,
  SignInPositions,
  StoredMessage,
} from '../store';
import { changed, inTransaction, rows, toNumber, toNumberOrNull, type Queryable } from './db';
import { MessageWriter } from './message-writer';

interface MessageRow {
  id: string;
  kind: MessageKind;
  sender: string;
  recipient: string | null;
  group_name: string | null;
  body: string;
  ts: string;
  reply_to: string | null;
  edited_at: string | null;
  deleted_at: string | null;
}

const MESSAGE_COLUMNS = 'm.id, m.kind, m.sender, m.recipient, m.group_name, m.body, m.ts, m.reply_to, m.edited_at, m.deleted_at';
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

/** The reader $1 blocks m.sender now, or blocked them when m was sent. */
const VISIBLE = `NOT EXISTS (SELECT 1 FROM block_spans b WHERE b.blocker = $1 AND b.blocked = m.sender
  AND (b.to_pos IS NULL OR (m.id > b.from_pos AND m.id <= b.to_pos)))`;
/** Group messages of group $2 inside $1's spans of membership. */
const GROUP_SPANS = `FROM member_spans s JOIN messages m
    ON m.kind = 'group' AND m.group_id = s.group_id AND m.id > s.from_pos AND (s.to_pos IS NULL OR m.id <= s.to_pos)
  WHERE s.username = $1 AND s.group_id = $2`;
/**
 * Full-text search over what $1 may read, newest first: $2 tsquery text, $3 peer,
 * $4 group name, $5 before id, $6 before ts, $7 after ts (null: no filter), $8 limit.
 * The match uses the expression of messages_body_search_idx.
 */
const SEARCH = `
  SELECT ${MESSAGE_COLUMNS} FROM messages m
   WHERE to_tsvector('simple'::regconfig, m.body) @@ to_tsquery('simple'::regconfig, $2)
     AND m.id < $5 AND ($6::bigint IS NULL OR m.ts < $6) AND ($7::bigint IS NULL OR m.ts > $7)
     AND (
          (m.kind = 'private' AND (m.sender = $1 OR m.recipient = $1) AND $4::text IS NULL
            AND ($3::text IS NULL OR (m.sender = $1 AND m.recipient = $3) OR (m.sender = $3 AND m.recipient = $1)))
       OR (m.kind = 'broadcast' AND $3::text IS NULL AND $4::text IS NULL)
       OR (m.kind = 'group' AND $3::text IS NULL AND ($4::text IS NULL OR m.group_name = $4)
            AND EXISTS (SELECT 1 FROM member_spans s WHERE s.username = $1 AND s.group_id = m.group_id
                          AND m.id > s.from_pos AND (s.to_pos IS NULL OR m.id <= s.to_pos))))
     AND NOT EXISTS (SELECT 1 FROM block_spans b WHERE b.blocker = $1 AND b.blocked = m.sender
                       AND (b.to_pos IS NULL OR (m.id > b.from_pos AND m.id <= b.to_pos)))
   ORDER BY m.id DESC LIMIT $8`;

/**
 * Messages from rows, as readers see them now: two batched reads add the
 * quotes of the originals replies answer and the reactions.
 */
async function toMessages(db: Queryable, found: readonly MessageRow[]): Promise<ChatMessage[]> {
  if (found.length === 0) return [];
  const replyIds = [...new Set(found.flatMap((r) => (r.reply_to === null ? [] : [toNumber(r.reply_to)])))];
  const live = found.filter((r) => r.deleted_at === null).map((r) => toNumber(r.id));
  const [quoted, reacted] = await Promise.all([
    replyIds.length === 0
      ? []
      : rows<{ id: string; sender: string; body: string; deleted_at: string | null }>(
          db,
          'SELECT id, sender, body, deleted_at FROM messages WHERE id = ANY($1::bigint[])',
          [replyIds],
        ),
    live.length === 0
      ? []
      : rows<{ message_id: string; emoji: string; username: string }>(
          db,
          'SELECT message_id, emoji, username FROM reactions WHERE message_id = ANY($1::bigint[]) ORDER BY seq',
          [live],
        ),
  ]);
  const quotes = new Map<number, ReplyQuote>();
  for (const q of quoted) {
    const id = toNumber(q.id);
    quotes.set(id, replyQuoteOf({ id, from: q.sender, text: q.body, deleted: q.deleted_at !== null }));
  }
  const pairs = new Map<number, [string, string][]>();
  for (const r of reacted) {
    const id = toNumber(r.message_id);
    const list = pairs.get(id);
    if (list) list.push([r.emoji, r.username]);
    else pairs.set(id, [[r.emoji, r.username]]);
  }
  return found.map((row) => {
    const id = toNumber(row.id);
    return messageRecord(
      id,
      { kind: row.kind, from: row.sender, to: row.recipient, group: row.group_name, text: row.body, ts: toNumber(row.ts) },
      {
        replyTo: row.reply_to === null ? undefined : quotes.get(toNumber(row.reply_to)),
        editedAt: toNumberOrNull(row.edited_at),
        deleted: row.deleted_at !== null,
        reactions: groupReactions(pairs.get(id) ?? []),
      },
    );
  });
}

function mailboxParams(q: Omit<MailboxQuery, 'limit' | 'newest'>): unknown[] {
  return [q.username, q.after, q.upTo ?? Number.MAX_SAFE_INTEGER, q.away?.from ?? 0, q.away?.to ?? 0];
}

export class PostgresMessages implements MessageStore {
  private readonly writer: MessageWriter;

  constructor(private readonly pool: Pool) {
    this.writer = new MessageWriter(pool);
  }

  saveMessage(message: NewMessage, files?: MessageFiles): Promise<ChatMessage> {
    return this.writer.save(message, files);
  }

  async saveMessageOnce(message: NewMessage, clientKey: string, files?: MessageFiles): Promise<SavedOnce> {
    const saved = await this.writer.saveOnce(message, clientKey, files);
    if (typeof saved !== 'number') return { message: saved, repeat: false };
    const earlier = await this.getMessage(saved);
    // Messages are never removed from the stream: the row the key named is still there.
    if (!earlier) throw new Error(`saveMessageOnce: message ${saved} named by the key is gone`);
    return { message: earlier.message, repeat: true };
  }

  async messageByClientKey(sender: string, clientKey: string): Promise<StoredMessage | null> {
    const [row] = await rows<MessageRow & { group_id: string | null }>(
      this.pool,
      `SELECT ${MESSAGE_COLUMNS}, m.group_id FROM messages m WHERE m.sender = $1 AND m.client_key = $2`,
      [sender, clientKey],
    );
    if (!row) return null;
    const [message] = await toMessages(this.pool, [row]);
    return { message: message!, groupId: toNumberOrNull(row.group_id) };
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
    return (await toMessages(this.pool, found)).map((message) => ({ seq: message.id, offline: inAway(message.id, query.away), message }));
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
      const [row] = await rows<{ acked: string; signed_in: string; signed_out: string; away_from: string; away_to: string }>(
        client,
        'SELECT acked, signed_in, signed_out, away_from, away_to FROM positions WHERE username = $1 FOR UPDATE',
        [username],
      );
      if (!row) return { head, acked: 0, away: { from: head, to: head }, previousAway: { from: head, to: head } };
      const acked = toNumber(row.acked);
      const away = awayAtSignIn({ acked, signedIn: toNumber(row.signed_in), signedOut: toNumber(row.signed_out) }, head);
      await client.query('UPDATE positions SET signed_in = $2, away_from = $3, away_to = $4 WHERE username = $1', [username, head, away.from, away.to]);
      return { head, acked, away, previousAway: { from: toNumber(row.away_from), to: toNumber(row.away_to) } };
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
    // One row per pair and direction (direct_peers, upserted by every private send).
    const found = await rows<{ peer: string }>(this.pool, 'SELECT peer FROM direct_peers WHERE username = $1 AND peer <> $1 ORDER BY peer COLLATE "C"', [
      username,
    ]);
    return found.map((r) => r.peer);
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
         WHERE m.kind = 'group' AND m.group_id = (SELECT id FROM groups WHERE name = $4) AND ($2::bigint IS NULL OR m.id < $2) AND ${VISIBLE}
         ORDER BY m.id DESC LIMIT $3`,
        [query.viewer, before, limit, target.group],
      );
      return toMessages(this.pool, found);
    }
    if ('everyone' in target) {
      const found = await rows<MessageRow>(
        this.pool,
        `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.kind = 'broadcast' AND ($2::bigint IS NULL OR m.id < $2) AND ${VISIBLE}
         ORDER BY m.id DESC LIMIT $3`,
        [query.viewer, before, limit],
      );
      return toMessages(this.pool, found);
    }
    const found = await rows<MessageRow>(
      this.pool,
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       WHERE m.kind = 'private'
         AND ((m.sender = $1 AND m.recipient = $2) OR (m.sender = $2 AND m.recipient = $1 AND ${VISIBLE}))
         AND ($3::bigint IS NULL OR m.id < $3)
       ORDER BY m.id DESC LIMIT $4`,
      [query.viewer, target.peer, before, limit],
    );
    return toMessages(this.pool, found);
  }

  async getMessage(id: number): Promise<StoredMessage | null> {
    const [row] = await rows<MessageRow & { group_id: string | null }>(this.pool, `SELECT ${MESSAGE_COLUMNS}, m.group_id FROM messages m WHERE m.id = $1`, [
      id,
    ]);
    if (!row) return null;
    const [message] = await toMessages(this.pool, [row]);
    return { message: message!, groupId: toNumberOrNull(row.group_id) };
  }

  async editMessage(id: number, text: string, at: number): Promise<ChatMessage | null> {
    const n = await changed(this.pool, 'UPDATE messages SET body = $2, edited_at = $3 WHERE id = $1 AND deleted_at IS NULL', [id, text, at]);
    return n === 0 ? null : ((await this.getMessage(id))?.message ?? null);
  }

  async deleteMessage(id: number, at: number): Promise<ChatMessage | null> {
    const done = await inTransaction(this.pool, async (client) => {
      const n = await changed(client, "UPDATE messages SET body = '', deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL", [id, at]);
      if (n === 0) return false;
      await client.query('DELETE FROM reactions WHERE message_id = $1', [id]);
      await client.query('DELETE FROM message_files WHERE message_id = $1', [id]);
      return true;
    });
    return done ? ((await this.getMessage(id))?.message ?? null) : null;
  }

  async toggleReaction(id: number, username: string, emoji: string, at: number): Promise<ReactionToggle | null> {
    const added = await inTransaction(this.pool, async (client) => {
      // The row lock orders this against a deletion of the message.
      const [live] = await rows<{ id: string }>(client, 'SELECT id FROM messages WHERE id = $1 AND deleted_at IS NULL FOR SHARE', [id]);
      if (!live) return null;
      if ((await changed(client, 'DELETE FROM reactions WHERE message_id = $1 AND username = $2 AND emoji = $3', [id, username, emoji])) > 0) return false;
      await client.query('INSERT INTO reactions (message_id, username, emoji, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [id, username, emoji, at]);
      return true;
    });
    if (added === null) return null;
    return { added, reactions: (await this.getMessage(id))?.message.reactions ?? [] };
  }

  conversations(query: ConversationQuery): Promise<ConversationRecord[]> {
    return listConversations(this.reads, query);
  }

  async markRead(username: string, target: ConversationTarget, position: number): Promise<{ read: number; unread: number }> {
    const resolved = await resolveTarget(target, async (name) => {
      const [row] = await rows<{ id: string }>(this.pool, 'SELECT id FROM groups WHERE name = $1', [name]);
      return row ? toNumber(row.id) : null;
    });
    if (!resolved) throw new Error(`markRead: no group "${'group' in target ? target.group : ''}"`);
    const key = keyOf(resolved);
    // Never lowered, never above the head, in one statement (racing reads from two nodes cannot lower it).
    await this.pool.query(
      `INSERT INTO read_positions (username, conversation, position) VALUES ($1, $2, LEAST($3::bigint, ${HEAD}))
       ON CONFLICT (username, conversation) DO UPDATE SET position = GREATEST(read_positions.position, excluded.position)`,
      [username, key, position],
    );
    const read = effectiveRead(await this.reads.readsOf(username), key);
    return { read, unread: await this.reads.unread(username, resolved, read) };
  }

  async setReadReceipts(username: string, on: boolean): Promise<void> {
    if (on) await this.pool.query('DELETE FROM receipts_off WHERE username = $1', [username]);
    else await this.pool.query('INSERT INTO receipts_off (username) SELECT username FROM users WHERE username = $1 ON CONFLICT DO NOTHING', [username]);
  }

  async readReceiptsOff(usernames: readonly string[]): Promise<string[]> {
    if (usernames.length === 0) return [];
    const found = await rows<{ username: string }>(this.pool, 'SELECT username FROM receipts_off WHERE username = ANY($1::text[])', [usernames]);
    const off = new Set(found.map((r) => r.username));
    return usernames.filter((u) => off.has(u));
  }

  /** The indexed reads of the shared conversation rules (conversations.ts). */
  private readonly reads: ConversationReads = {
    directPeers: async (user) =>
      (await rows<{ peer: string; last_id: string }>(this.pool, 'SELECT peer, last_id FROM direct_peers WHERE username = $1', [user])).map((r) => ({
        peer: r.peer,
        lastId: toNumber(r.last_id),
      })),
    everBlocked: async (user) =>
      new Set((await rows<{ blocked: string }>(this.pool, 'SELECT DISTINCT blocked FROM block_spans WHERE blocker = $1', [user])).map((r) => r.blocked)),
    lastVisible: async (user, target) => {
      let sql: string;
      let params: unknown[];
      if ('peer' in target) {
        sql = `SELECT GREATEST(
                 coalesce((SELECT max(m.id) FROM messages m WHERE m.kind = 'private' AND m.sender = $1 AND m.recipient = $2), 0),
                 coalesce((SELECT m.id FROM messages m WHERE m.kind = 'private' AND m.sender = $2 AND m.recipient = $1 AND ${VISIBLE}
                           ORDER BY m.id DESC LIMIT 1), 0)) AS id`;
        params = [user, target.peer];
      } else if ('groupId' in target) {
        sql = `SELECT m.id ${GROUP_SPANS} AND ${VISIBLE} ORDER BY m.id DESC LIMIT 1`;
        params = [user, target.groupId];
      } else {
        sql = `SELECT m.id FROM messages m WHERE m.kind = 'broadcast' AND ${VISIBLE} ORDER BY m.id DESC LIMIT 1`;
        params = [user];
      }
      const [row] = await rows<{ id: string }>(this.pool, sql, params);
      return row ? toNumber(row.id) : 0;
    },
    groupsOf: async (user) =>
      (
        await rows<{ id: string; name: string }>(
          this.pool,
          'SELECT g.id, g.name FROM group_members gm JOIN groups g ON g.name = gm.group_name WHERE gm.username = $1',
          [user],
        )
      ).map((r) => ({ id: toNumber(r.id), name: r.name })),
    messagesById: async (ids) =>
      ids.length === 0
        ? []
        : toMessages(this.pool, await rows<MessageRow>(this.pool, `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = ANY($1::bigint[])`, [ids])),
    readsOf: async (user) =>
      new Map(
        (
          await rows<{ conversation: string; position: string }>(this.pool, 'SELECT conversation, position FROM read_positions WHERE username = $1', [user])
        ).map((r) => [r.conversation, toNumber(r.position)]),
      ),
    readsOn: async (key) =>
      new Map(
        (await rows<{ username: string; position: string }>(this.pool, 'SELECT username, position FROM read_positions WHERE conversation = $1', [key])).map(
          (r) => [r.username, toNumber(r.position)],
        ),
      ),
    unread: async (user, target, after) => {
      let sql: string;
      let params: unknown[];
      if ('peer' in target) {
        sql = `SELECT count(*) AS n FROM messages m WHERE m.kind = 'private' AND m.sender = $2 AND m.recipient = $1 AND m.id > $3 AND ${VISIBLE}`;
        params = [user, target.peer, after];
      } else if ('groupId' in target) {
        sql = `SELECT count(*) AS n ${GROUP_SPANS} AND m.id > $3 AND m.sender <> $1 AND ${VISIBLE}`;
        params = [user, target.groupId, after];
      } else {
        sql = `SELECT count(*) AS n FROM messages m WHERE m.kind = 'broadcast' AND m.id > $2 AND m.sender <> $1 AND ${VISIBLE}`;
        params = [user, after];
      }
      const [row] = await rows<{ n: string }>(this.pool, sql, params);
      return row ? toNumber(row.n) : 0;
    },
  };
  async search(query: SearchQuery): Promise<ChatMessage[]> {
    const limit = pageSize(query.limit);
    if (limit === 0 || query.terms.length === 0) return [];
    const found = await rows<MessageRow>(this.pool, SEARCH, [
      query.viewer,
      tsqueryText(query.terms),
      query.peer ?? null,
      query.group ?? null,
      query.beforeId ?? Number.MAX_SAFE_INTEGER,
      query.beforeTs ?? null,
      query.afterTs ?? null,
      limit,
    ]);
    return toMessages(this.pool, found);
  }
}
