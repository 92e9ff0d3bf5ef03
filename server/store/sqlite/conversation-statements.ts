// The SQLite statements of conversations and read positions, prepared once per
// connection like statements.ts. Schema: migrations.ts (direct_peers,
// read_positions, receipts_off). Every read is an index range scan; a private
// message writes a pair's rows only the first time (saveMessage, addPeers).
import type { Database, Statement } from 'better-sqlite3';
import { M_COLUMNS } from './message-columns';
import type { MessageRow } from './statements';

/** The reader @u blocks m.sender now, or blocked them when m was sent (also used by statements.ts). */
export const VISIBLE = `NOT EXISTS (SELECT 1 FROM block_spans b WHERE b.blocker = @u AND b.blocked = m.sender
  AND (b.to_pos IS NULL OR (m.id > b.from_pos AND m.id <= b.to_pos)))`;
/** Group messages of @g inside @u's spans of membership. */
const GROUP_SPANS = `FROM member_spans s JOIN messages m
    ON m.kind = 'group' AND m.group_id = s.group_id AND m.id > s.from_pos AND (s.to_pos IS NULL OR m.id <= s.to_pos)
  WHERE s.username = @u AND s.group_id = @g`;
const HEAD = '(SELECT coalesce(max(id), 0) FROM messages)';
/** The id of the newest private message from `sender` to `recipient` (SQL expressions). */
const LAST_PRIVATE = (sender: string, recipient: string) =>
  `SELECT m.id FROM messages m WHERE m.kind = 'private' AND m.sender = ${sender} AND m.recipient = ${recipient} ORDER BY m.id DESC LIMIT 1`;

export interface UserTarget {
  u: string;
}

export function prepareConversationStatements(db: Database) {
  const p = <Params extends unknown[], Row = unknown>(sql: string): Statement<Params, Row> => db.prepare<Params, Row>(sql);
  return {
    /**
     * Both directions of a pair, (a, b, b, a), written once (schema version 17): a later message of
     * the pair finds the rows and writes nothing. When a = b the second row is the first.
     */
    addPeers: p<[string, string, string, string]>('INSERT OR IGNORE INTO direct_peers (username, peer) VALUES (?, ?), (?, ?)'),
    peersOf: p<[string], { peer: string }>('SELECT peer FROM direct_peers WHERE username = ?'),
    // The pair's newest message either way, blocks aside: two index seeks (messages_private) per peer.
    directPeers: p<[string], { peer: string; last_id: number }>(
      `SELECT d.peer, max(coalesce((${LAST_PRIVATE('d.username', 'd.peer')}), 0), coalesce((${LAST_PRIVATE('d.peer', 'd.username')}), 0)) AS last_id
         FROM direct_peers d WHERE d.username = ?`,
    ),
    everBlocked: p<[string], { blocked: string }>('SELECT DISTINCT blocked FROM block_spans WHERE blocker = ?'),
    // Mine always count; the peer's only when not blocked. Two index seeks (messages_private).
    lastDirect: p<[{ u: string; p: string }], { last: number }>(
      `SELECT max(coalesce((${LAST_PRIVATE('@u', '@p')}), 0),
                  coalesce((SELECT m.id FROM messages m WHERE m.kind = 'private' AND m.sender = @p AND m.recipient = @u AND ${VISIBLE}
                            ORDER BY m.id DESC LIMIT 1), 0)) AS last`,
    ),
    lastGroup: p<[{ u: string; g: number }], { id: number }>(`SELECT m.id ${GROUP_SPANS} AND ${VISIBLE} ORDER BY m.id DESC LIMIT 1`),
    lastBroadcast: p<[UserTarget], { id: number }>(`SELECT m.id FROM messages m WHERE m.kind = 'broadcast' AND ${VISIBLE} ORDER BY m.id DESC LIMIT 1`),
    unreadDirect: p<[{ u: string; p: string; after: number }], { n: number }>(
      `SELECT count(*) AS n FROM messages m WHERE m.kind = 'private' AND m.sender = @p AND m.recipient = @u AND m.id > @after AND ${VISIBLE}`,
    ),
    unreadGroup: p<[{ u: string; g: number; after: number }], { n: number }>(
      `SELECT count(*) AS n ${GROUP_SPANS} AND m.id > @after AND m.sender <> @u AND ${VISIBLE}`,
    ),
    unreadBroadcast: p<[{ u: string; after: number }], { n: number }>(
      `SELECT count(*) AS n FROM messages m WHERE m.kind = 'broadcast' AND m.id > @after AND m.sender <> @u AND ${VISIBLE}`,
    ),
    messagesById: p<[string], MessageRow>(`SELECT ${M_COLUMNS} FROM json_each(?) j JOIN messages m ON m.id = j.value`),
    broadcastHistory: p<[{ u: string; before: number; limit: number }], MessageRow>(
      `SELECT ${M_COLUMNS} FROM messages m WHERE m.kind = 'broadcast' AND m.id < @before AND ${VISIBLE} ORDER BY m.id DESC LIMIT @limit`,
    ),
    readsOf: p<[string], { conversation: string; position: number }>('SELECT conversation, position FROM read_positions WHERE username = ?'),
    readsOn: p<[string], { username: string; position: number }>('SELECT username, position FROM read_positions WHERE conversation = ?'),
    // Never lowered, never above the head.
    markRead: p<[string, string, number]>(
      `INSERT INTO read_positions (username, conversation, position) VALUES (?, ?, min(?, ${HEAD}))
       ON CONFLICT (username, conversation) DO UPDATE SET position = max(position, excluded.position)`,
    ),
    setFloor: p<[string]>(
      `INSERT INTO read_positions (username, conversation, position) VALUES (?, '*', ${HEAD})
       ON CONFLICT (username, conversation) DO UPDATE SET position = excluded.position`,
    ),
    receiptsOff: p<[string], { username: string }>('SELECT username FROM receipts_off WHERE username = ?'),
    setReceiptsOff: p<[string]>('INSERT INTO receipts_off (username) SELECT username FROM users WHERE username = ? ON CONFLICT DO NOTHING'),
    setReceiptsOn: p<[string]>('DELETE FROM receipts_off WHERE username = ?'),
    // Administration: a deleted user's rows go (others' rows naming them too, so a later holder of the name starts clean).
    deletePeers: p<[string, string]>('DELETE FROM direct_peers WHERE username = ? OR peer = ?'),
    deleteReads: p<[string, string]>('DELETE FROM read_positions WHERE username = ? OR conversation = ?'),
    renamePeerOwner: p<[string, string]>('UPDATE direct_peers SET username = ? WHERE username = ?'),
    renamePeer: p<[string, string]>('UPDATE direct_peers SET peer = ? WHERE peer = ?'),
    renameReadOwner: p<[string, string]>('UPDATE read_positions SET username = ? WHERE username = ?'),
    renameReadKey: p<[string, string]>('UPDATE read_positions SET conversation = ? WHERE conversation = ?'),
    renameReceipts: p<[string, string]>('UPDATE receipts_off SET username = ? WHERE username = ?'),
  };
}
