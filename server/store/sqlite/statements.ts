// Every SQL statement of the SQLite store, prepared once per connection, with
// the row shapes they return. The schema itself lives in migrations.ts.
import type { Database, Statement } from 'better-sqlite3';
import { prepareConversationStatements, VISIBLE } from './conversation-statements';
import { prepareFileStatements } from './file-statements';
import { M_COLUMNS, MESSAGE_COLUMNS } from './message-columns';

export interface UserRow {
  username: string;
  password_hash: string;
  created_at: number;
  last_login_at: number | null;
}

export interface LockRow {
  failures: number;
  locked_until: number | null;
}

export interface TokenRow {
  username: string;
  family: string;
  created_at: number | null;
  expires_at: number;
  rotated_at: number | null;
  grace_until: number | null;
}

export interface GuardRow extends LockRow {
  hour_start: number | null;
  hour_failures: number;
  lease_until: number | null;
}

export interface GroupRow {
  id: number;
  name: string;
  owner: string;
  created_at: number;
}

export interface MemberRow {
  group_name: string;
  username: string;
}

export interface MessageRow {
  id: number;
  kind: string;
  sender: string;
  recipient: string | null;
  group_name: string | null;
  text: string;
  ts: number;
  reply_to: number | null;
  edited_at: number | null;
  deleted_at: number | null;
}

export interface PositionsRow {
  acked: number;
  signed_in: number;
  signed_out: number;
  away_from: number;
  away_to: number;
}

/** Named parameters of the mailbox statements. */
export interface MailboxParams {
  user: string;
  after: number;
  upTo: number;
  /** The away window (from, to]: broadcasts inside it are not the user's. */
  awayFrom: number;
  awayTo: number;
  limit: number;
}

/**
 * A user's mailbox, read from the one stream: index range scans merged by id,
 * with the reader's blocks applied. Private messages: one range of
 * messages_private per sender the user ever heard from (private_senders);
 * broadcasts: one range; groups: one range per span of membership. Nothing
 * per recipient is written. (CROSS JOIN keeps private_senders the outer loop:
 * without statistics the planner would scan every private message instead.)
 */
const MAILBOX = `
  SELECT ${M_COLUMNS} FROM private_senders ps CROSS JOIN messages m
      ON m.kind = 'private' AND m.sender = ps.sender AND m.recipient = ps.recipient AND m.id > @after AND m.id <= @upTo
   WHERE ps.recipient = @user
  UNION ALL
  SELECT ${MESSAGE_COLUMNS} FROM messages
   WHERE kind = 'broadcast' AND id > @after AND id <= @upTo AND sender <> @user
     AND NOT (id > @awayFrom AND id <= @awayTo)
  UNION ALL
  SELECT ${M_COLUMNS} FROM member_spans s JOIN messages m
      ON m.kind = 'group' AND m.group_id = s.group_id
     AND m.id > max(s.from_pos, @after) AND m.id <= min(coalesce(s.to_pos, @upTo), @upTo)
   WHERE s.username = @user AND (s.to_pos IS NULL OR s.to_pos > @after) AND m.sender <> @user`;
/** Senders the reader blocks now, or blocked when the message was sent, are left out. */
const NOT_BLOCKED = `NOT EXISTS (SELECT 1 FROM block_spans b WHERE b.blocker = @user AND b.blocked = sender
  AND (b.to_pos IS NULL OR (id > b.from_pos AND id <= b.to_pos)))`;

/** Named parameters of the search statement; null leaves a filter out. */
export interface SearchParams {
  user: string;
  match: string;
  peer: string | null;
  groupName: string | null;
  beforeId: number;
  beforeTs: number | null;
  afterTs: number | null;
  limit: number;
}

/**
 * Full-text search over what @user may read, newest first. The FTS5 index is
 * walked by rowid descending from the cursor, so a page stops as soon as
 * @limit visible matches are found.
 */
const SEARCH = `
  SELECT ${M_COLUMNS} FROM messages_fts f JOIN messages m ON m.id = f.rowid
   WHERE messages_fts MATCH @match AND f.rowid < @beforeId
     AND (@beforeTs IS NULL OR m.ts < @beforeTs) AND (@afterTs IS NULL OR m.ts > @afterTs)
     AND (
          (m.kind = 'private' AND (m.sender = @user OR m.recipient = @user) AND @groupName IS NULL
            AND (@peer IS NULL OR (m.sender = @user AND m.recipient = @peer) OR (m.sender = @peer AND m.recipient = @user)))
       OR (m.kind = 'broadcast' AND @peer IS NULL AND @groupName IS NULL)
       OR (m.kind = 'group' AND @peer IS NULL AND (@groupName IS NULL OR m.group_name = @groupName)
            AND EXISTS (SELECT 1 FROM member_spans s WHERE s.username = @user AND s.group_id = m.group_id
                          AND m.id > s.from_pos AND (s.to_pos IS NULL OR m.id <= s.to_pos))))
     AND NOT EXISTS (SELECT 1 FROM block_spans b WHERE b.blocker = @user AND b.blocked = m.sender
                       AND (b.to_pos IS NULL OR (m.id > b.from_pos AND m.id <= b.to_pos)))
   ORDER BY f.rowid DESC LIMIT @limit`;

/** Prepares every statement; the inferred map is the `Statements` type. */
/** The profile columns of a users row. */
export interface ProfileRow {
  username: string;
  display_name: string | null;
  avatar: string | null;
}

export function prepareStatements(db: Database) {
  const p = <Params extends unknown[], Row = unknown>(sql: string): Statement<Params, Row> => db.prepare<Params, Row>(sql);
  return {
    // ---- files (file-statements.ts)
    ...prepareFileStatements(db),
    // ---- conversations and read positions (conversation-statements.ts)
    ...prepareConversationStatements(db),
    // ---- accounts
    // A new name (user, group, rename) is taken by a user or a group of the same name in any case:
    // users and groups share one namespace. (Names are ASCII, so lower() is their canonical form;
    // a scan of groups, as only creations and renames ask.) Lookups of groups stay exact.
    nameTaken: p<[string, string], { taken: 1 }>(
      'SELECT 1 AS taken WHERE EXISTS (SELECT 1 FROM users WHERE name_key = ?) OR EXISTS (SELECT 1 FROM groups WHERE lower(name) = lower(?))',
    ),
    // A group named so in any case (a new account's name check; same scan as nameTaken's).
    groupNamed: p<[string], { taken: 1 }>('SELECT 1 AS taken FROM groups WHERE lower(name) = lower(?) LIMIT 1'),
    // Users are found by name_key (canonicalName of what was typed); every other table keys them by the registered spelling.
    insertUser: p<[string, string, string, number]>('INSERT INTO users (username, name_key, password_hash, created_at) VALUES (?, ?, ?, ?)'),
    getUser: p<[string], UserRow>('SELECT username, password_hash, created_at, last_login_at FROM users WHERE name_key = ?'),
    registeredName: p<[string], { username: string }>('SELECT username FROM users WHERE name_key = ?'),
    // By registered spelling (a message's recipient, already resolved).
    userExists: p<[string], { one: 1 }>('SELECT 1 AS one FROM users WHERE username = ?'),
    anyUser: p<[], { one: 1 }>('SELECT 1 AS one FROM users LIMIT 1'),
    setPasswordHash: p<[string, number, string]>('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name_key = ?'),
    passwordsChangedSince: p<[number], { username: string; password_changed_at: number }>(
      'SELECT username, password_changed_at FROM users WHERE password_changed_at >= ?',
    ),
    recordLogin: p<[number, string]>('UPDATE users SET last_login_at = ? WHERE name_key = ?'),
    // instr() rather than LIKE: the query may hold `%` or `_`, and usernames are ASCII so lower() is exact.
    listUsers: p<[string, number], ProfileRow & { last_login_at: number | null }>(
      'SELECT username, last_login_at, display_name, avatar FROM users WHERE instr(lower(username), lower(?)) > 0 ORDER BY username LIMIT ?',
    ),
    getProfile: p<[string], ProfileRow>('SELECT username, display_name, avatar FROM users WHERE name_key = ?'),
    setDisplayName: p<[string | null, string]>('UPDATE users SET display_name = ? WHERE name_key = ?'),
    setAvatar: p<[string | null, string]>('UPDATE users SET avatar = ? WHERE name_key = ?'),
    usersLoggedInSince: p<[number], { username: string; last_login_at: number }>('SELECT username, last_login_at FROM users WHERE last_login_at >= ?'),

    // ---- lockout
    getLock: p<[string], LockRow>('SELECT failures, locked_until FROM login_failures WHERE username = ?'),
    clearLock: p<[string]>('DELETE FROM login_failures WHERE username = ?'),
    getGuard: p<[string], GuardRow>('SELECT failures, locked_until, hour_start, hour_failures, lease_until FROM login_failures WHERE username = ?'),
    releaseLease: p<[string]>('UPDATE login_failures SET lease_until = NULL WHERE username = ?'),
    putGuard: p<[string, number, number | null, number | null, number, number | null]>(
      `INSERT INTO login_failures (username, failures, locked_until, hour_start, hour_failures, lease_until) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,
         hour_start = excluded.hour_start, hour_failures = excluded.hour_failures, lease_until = excluded.lease_until`,
    ),

    // ---- tokens
    insertToken: p<[string, string, number, number, string]>(
      `INSERT INTO tokens (token_hash, username, expires_at, created_at, family) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (token_hash) DO UPDATE SET username = excluded.username, expires_at = excluded.expires_at,
         created_at = excluded.created_at, family = excluded.family, rotated_at = NULL, grace_until = NULL`,
    ),
    purgeExpiredTokensOf: p<[string, number]>('DELETE FROM tokens WHERE username = ? AND expires_at <= ?'),
    findToken: p<[string, number, number], { username: string }>(
      'SELECT username FROM tokens WHERE token_hash = ? AND expires_at > ? AND (grace_until IS NULL OR grace_until > ?)',
    ),
    getToken: p<[string, number], TokenRow>(
      `SELECT username, family, created_at, expires_at, rotated_at, grace_until
       FROM tokens WHERE token_hash = ? AND expires_at > ?`,
    ),
    markTokenRotated: p<[number, number, string]>('UPDATE tokens SET rotated_at = ?, grace_until = ? WHERE token_hash = ? AND rotated_at IS NULL'),
    revokeToken: p<[string]>('DELETE FROM tokens WHERE token_hash = ?'),
    deleteTokenFamily: p<[string]>('DELETE FROM tokens WHERE family = ?'),
    revokeTokensOf: p<[string]>('DELETE FROM tokens WHERE username = ?'),

    // ---- blocks
    block: p<[string, string]>('INSERT INTO blocks (blocker, blocked) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    unblock: p<[string, string]>('DELETE FROM blocks WHERE blocker = ? AND blocked = ?'),
    openBlockSpan: p<[string, string]>('INSERT INTO block_spans (blocker, blocked, from_pos) VALUES (?, ?, (SELECT coalesce(max(id), 0) FROM messages))'),
    closeBlockSpan: p<[string, string]>(
      'UPDATE block_spans SET to_pos = (SELECT coalesce(max(id), 0) FROM messages) WHERE blocker = ? AND blocked = ? AND to_pos IS NULL',
    ),
    // BINARY collation = code-unit order for the ASCII names the protocol allows.
    blockedBy: p<[string], { blocked: string }>('SELECT blocked FROM blocks WHERE blocker = ? ORDER BY blocked'),
    blockersOf: p<[string], { blocker: string }>('SELECT blocker FROM blocks WHERE blocked = ?'),
    isBlocked: p<[string, string], { one: 1 }>('SELECT 1 AS one FROM blocks WHERE blocker = ? AND blocked = ?'),

    // ---- groups
    newGroupId: p<[string, number], { id: number }>('INSERT INTO group_ids (name, created_at) VALUES (?, ?) RETURNING id'),
    insertGroup: p<[number, string, string, number]>('INSERT INTO groups (id, name, owner, created_at) VALUES (?, ?, ?, ?)'),
    getGroup: p<[string], GroupRow>('SELECT id, name, owner, created_at FROM groups WHERE name = ?'),
    groupIdOf: p<[string], { id: number }>('SELECT id FROM groups WHERE name = ?'),
    openSpan: p<[number, string]>(`INSERT INTO member_spans (group_id, username, from_pos) VALUES (?, ?, (SELECT coalesce(max(id), 0) FROM messages))`),
    closeSpan: p<[number, string]>(
      'UPDATE member_spans SET to_pos = (SELECT coalesce(max(id), 0) FROM messages) WHERE group_id = ? AND username = ? AND to_pos IS NULL',
    ),
    deleteGroup: p<[string]>('DELETE FROM groups WHERE name = ?'),
    setOwner: p<[string, string]>('UPDATE groups SET owner = ? WHERE name = ?'),
    membersOf: p<[string], { username: string }>('SELECT username FROM group_members WHERE group_name = ? ORDER BY position'),
    nextPosition: p<[string], { next: number }>('SELECT coalesce(max(position), 0) + 1 AS next FROM group_members WHERE group_name = ?'),
    addMember: p<[string, string, number, number]>(
      'INSERT INTO group_members (group_name, username, joined_at, position) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    removeMember: p<[string, string]>('DELETE FROM group_members WHERE group_name = ? AND username = ?'),
    groupsOf: p<[string], GroupRow>(
      `SELECT g.id, g.name, g.owner, g.created_at FROM group_members gm JOIN groups g ON g.name = gm.group_name
       WHERE gm.username = ? ORDER BY g.name`,
    ),
    membersOfGroupsOf: p<[string], MemberRow>(
      `SELECT group_name, username FROM group_members
       WHERE group_name IN (SELECT group_name FROM group_members WHERE username = ?)
       ORDER BY group_name, position`,
    ),

    // ---- the message stream and users' positions in it
    // client_key last: the sender's idempotency key or NULL (no entry in its unique index then).
    insertMessage: p<[string, string, string | null, string | null, number | null, string, number, number | null, string | null], { id: number }>(
      'INSERT INTO messages (kind, sender, recipient, group_name, group_id, text, ts, reply_to, client_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
    ),
    // A private message with its recipient's existence check in the same statement: no row (changes = 0)
    // when the recipient is not a user. Its id is the run's lastInsertRowid (RETURNING costs more).
    insertPrivateMessage: p<[string, string, number, number | null, string | null, string]>(
      `INSERT INTO messages (kind, sender, recipient, group_name, group_id, text, ts, reply_to, client_key)
       SELECT 'private', ?, username, NULL, NULL, ?, ?, ?, ? FROM users WHERE username = ?`,
    ),
    // Adds the messages written since the last time to the search index (with their text as it
    // stands now), in one statement: see migrations.ts, version 16. The writer runs it when
    // thousands are waiting, when idle, before a search, at start and at close (writer-thread.ts).
    // messages_fts_docsize has a row per indexed message.
    indexNewMessages: p<[]>(
      `INSERT INTO messages_fts (rowid, text)
       SELECT id, text FROM messages WHERE id > (SELECT coalesce(max(id), 0) FROM messages_fts_docsize)`,
    ),
    // ---- changes to stored messages (replies, edits, deletions, reactions)
    getMessage: p<[number], MessageRow & { group_id: number | null }>(`SELECT ${MESSAGE_COLUMNS}, group_id FROM messages WHERE id = ?`),
    // Idempotent sends (schema version 18): the key is set on the row its send just inserted,
    // so the plain inserts above stay as they are for the messages without one.
    messageByClientKey: p<[string, string], MessageRow & { group_id: number | null }>(
      `SELECT ${MESSAGE_COLUMNS}, group_id FROM messages WHERE sender = ? AND client_key = ?`,
    ),
    idByClientKey: p<[string, string], { id: number }>('SELECT id FROM messages WHERE sender = ? AND client_key = ?'),
    // Every kind named: a seek of messages_private per kind (the key index leads with the key since schema version 20).
    forgetClientKeysOf: p<[string]>(
      "UPDATE messages SET client_key = NULL WHERE kind IN ('private', 'broadcast', 'group') AND sender = ? AND client_key IS NOT NULL",
    ),
    /** JSON array of ids in: the originals replies quote. */
    quotedMessages: p<[string], { id: number; sender: string; text: string; deleted_at: number | null }>(
      'SELECT id, sender, text, deleted_at FROM messages WHERE id IN (SELECT value FROM json_each(?))',
    ),
    /** JSON array of message ids in: their reactions in the order made. */
    reactionsOf: p<[string], { message_id: number; emoji: string; username: string }>(
      'SELECT message_id, emoji, username FROM reactions WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY seq',
    ),
    editMessage: p<[string, number, number]>('UPDATE messages SET text = ?, edited_at = ? WHERE id = ? AND deleted_at IS NULL'),
    deleteMessage: p<[number, number]>("UPDATE messages SET text = '', deleted_at = ? WHERE id = ? AND deleted_at IS NULL"),
    deleteReactionsOf: p<[number]>('DELETE FROM reactions WHERE message_id = ?'),
    detachFilesOf: p<[number]>('DELETE FROM message_files WHERE message_id = ?'),
    liveMessage: p<[number], { one: 1 }>('SELECT 1 AS one FROM messages WHERE id = ? AND deleted_at IS NULL'),
    removeReaction: p<[number, string, string]>('DELETE FROM reactions WHERE message_id = ? AND username = ? AND emoji = ?'),
    addReaction: p<[number, string, string, number]>('INSERT INTO reactions (message_id, username, emoji, at) VALUES (?, ?, ?, ?)'),
    head: p<[], { head: number }>('SELECT coalesce(max(id), 0) AS head FROM messages'),
    // A new account's mailbox starts at the head: nothing already in the stream is its own, neither
    // the broadcasts sent before it existed (they are no absence of its, so the away windows, which
    // remember only the last two, cannot be what keeps them out) nor the private messages a former
    // holder of the name (a deleted or renamed account) was sent, which stay in the stream (and in
    // history).
    insertPositions: p<[string]>(`INSERT INTO positions (username, acked) SELECT ?, coalesce(max(id), 0) FROM messages`),
    // ---- who has sent each name a private message (schema: migrations.ts, version 15; written by saveMessage since 17)
    addPrivateSender: p<[string, string]>('INSERT OR IGNORE INTO private_senders (recipient, sender) VALUES (?, ?)'),
    // Private messages another connection inserted without a writer (a restore, a test fixture): they
    // are among those after the last one the search index holds (with the writer's own not indexed yet,
    // whose rows exist already: OR IGNORE skips them).
    adoptPrivateSenders: p<[]>(
      `INSERT OR IGNORE INTO private_senders (recipient, sender)
       SELECT recipient, sender FROM messages
        WHERE kind = 'private' AND recipient IS NOT NULL AND id > (SELECT coalesce(max(id), 0) FROM messages_fts_docsize)`,
    ),
    // A rename: OR IGNORE leaves the rows whose new pair already exists (a former holder of
    // the new name); deleteOldPrivateSenders then removes what is left under the old name.
    renamePrivateRecipient: p<[string, string]>('UPDATE OR IGNORE private_senders SET recipient = ? WHERE recipient = ?'),
    renamePrivateSender: p<[string, string]>('UPDATE OR IGNORE private_senders SET sender = ? WHERE sender = ?'),
    deleteOldPrivateSenders: p<[string, string]>('DELETE FROM private_senders WHERE recipient = ? OR sender = ?'),
    positions: p<[string], PositionsRow>('SELECT acked, signed_in, signed_out, away_from, away_to FROM positions WHERE username = ?'),
    ack: p<[number, string]>('UPDATE positions SET acked = min(max(acked, ?), (SELECT coalesce(max(id), 0) FROM messages)) WHERE username = ?'),
    /**
     * JSON object {username: position} in (one key per user): the ack above for each, in one
     * statement. Users without a positions row match nothing, as with ack. The head is an
     * uncorrelated subquery, computed once.
     */
    ackAll: p<[string]>(
      `UPDATE positions SET acked = min(max(acked, a.value), (SELECT coalesce(max(id), 0) FROM messages))
       FROM json_each(?) AS a WHERE positions.username = a.key`,
    ),
    signIn: p<[number, number, number, string]>('UPDATE positions SET signed_in = ?, away_from = ?, away_to = ? WHERE username = ?'),
    signOut: p<[number, string]>(
      `UPDATE positions SET acked = min(max(acked, ?), (SELECT coalesce(max(id), 0) FROM messages)),
                            signed_out = (SELECT coalesce(max(id), 0) FROM messages)
       WHERE username = ?`,
    ),
    mailbox: p<[MailboxParams], MessageRow>(`SELECT * FROM (${MAILBOX}) WHERE ${NOT_BLOCKED} ORDER BY id LIMIT @limit`),
    mailboxNewest: p<[MailboxParams], MessageRow>(`SELECT * FROM (SELECT * FROM (${MAILBOX}) WHERE ${NOT_BLOCKED} ORDER BY id DESC LIMIT @limit) ORDER BY id`),
    countMailbox: p<[Omit<MailboxParams, 'limit'>], { n: number }>(`SELECT count(*) AS n FROM (${MAILBOX}) WHERE ${NOT_BLOCKED}`),
    // Two index range scans (one per direction) merged; UNION also folds the
    // viewer == peer case, where both halves return the same rows. The peer's
    // half leaves out what @u blocks (a seek on block_spans per row); @u's own stay.
    privateHistory: p<[{ u: string; peer: string; before: number; limit: number }], MessageRow>(
      `SELECT * FROM (SELECT ${M_COLUMNS} FROM messages m
                      WHERE m.kind = 'private' AND m.sender = @u AND m.recipient = @peer AND m.id < @before
                      ORDER BY m.id DESC LIMIT @limit)
       UNION
       SELECT * FROM (SELECT ${M_COLUMNS} FROM messages m
                      WHERE m.kind = 'private' AND m.sender = @peer AND m.recipient = @u AND m.id < @before AND ${VISIBLE}
                      ORDER BY m.id DESC LIMIT @limit)
       ORDER BY id DESC LIMIT @limit`,
    ),
    search: p<[SearchParams], MessageRow>(SEARCH),
    // By the current group's id: an ended group's messages stay with the ended group.
    // Senders @u blocks now, or blocked when the message was sent, are left out (a block_spans seek per row).
    groupHistory: p<[{ u: string; group: string; before: number; limit: number }], MessageRow>(
      `SELECT ${M_COLUMNS} FROM messages m
        WHERE m.kind = 'group' AND m.group_id = (SELECT id FROM groups WHERE name = @group) AND m.id < @before AND ${VISIBLE}
        ORDER BY m.id DESC LIMIT @limit`,
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
