// Every SQL statement of the SQLite store, prepared once per connection, with
// the row shapes they return. The schema itself lives in migrations.ts.
import type { Database, Statement } from 'better-sqlite3';
import { prepareFileStatements } from './file-statements';

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

export interface GuardRow extends LockRow {
  hour_start: number | null;
  hour_failures: number;
  lease_until: number | null;
}

export interface GroupRow {
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
}

/** A delivery joined with its message. */
export interface DeliveryRow extends MessageRow {
  username: string;
  seq: number;
  offline: number;
}

const DELIVERY_COLUMNS = `d.username, d.seq, d.offline,
  m.id, m.kind, m.sender, m.recipient, m.group_name, m.text, m.ts`;
const MESSAGE_COLUMNS = 'id, kind, sender, recipient, group_name, text, ts';

/** Prepares every statement; the inferred map is the `Statements` type. */
export function prepareStatements(db: Database) {
  const p = <Params extends unknown[], Row = unknown>(sql: string): Statement<Params, Row> => db.prepare<Params, Row>(sql);
  return {
    // ---- files (file-statements.ts)
    ...prepareFileStatements(db),
    // ---- accounts
    nameTaken: p<[string, string], { taken: 1 }>(
      'SELECT 1 AS taken WHERE EXISTS (SELECT 1 FROM users WHERE name_key = ?) OR EXISTS (SELECT 1 FROM groups WHERE name = ?)',
    ),
    // Users are found by name_key (canonicalName of what was typed); every other table keys them by the registered spelling.
    insertUser: p<[string, string, string, number]>('INSERT INTO users (username, name_key, password_hash, created_at) VALUES (?, ?, ?, ?)'),
    insertCounters: p<[string]>('INSERT INTO counters (username) VALUES (?)'),
    getUser: p<[string], UserRow>('SELECT username, password_hash, created_at, last_login_at FROM users WHERE name_key = ?'),
    registeredName: p<[string], { username: string }>('SELECT username FROM users WHERE name_key = ?'),
    anyUser: p<[], { one: 1 }>('SELECT 1 AS one FROM users LIMIT 1'),
    setPasswordHash: p<[string, number, string]>('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name_key = ?'),
    passwordsChangedSince: p<[number], { username: string; password_changed_at: number }>(
      'SELECT username, password_changed_at FROM users WHERE password_changed_at >= ?',
    ),
    recordLogin: p<[number, string]>('UPDATE users SET last_login_at = ? WHERE name_key = ?'),
    // instr() rather than LIKE: the query may hold `%` or `_`, and usernames are ASCII so lower() is exact.
    listUsers: p<[string, number], { username: string; last_login_at: number | null }>(
      'SELECT username, last_login_at FROM users WHERE instr(lower(username), lower(?)) > 0 ORDER BY username LIMIT ?',
    ),
    usersLoggedInSince: p<[number], { username: string; last_login_at: number }>('SELECT username, last_login_at FROM users WHERE last_login_at >= ?'),

    // ---- lockout
    getLock: p<[string], LockRow>('SELECT failures, locked_until FROM login_failures WHERE username = ?'),
    putLock: p<[string, number, number | null]>(
      `INSERT INTO login_failures (username, failures, locked_until) VALUES (?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`,
    ),
    clearLock: p<[string]>('DELETE FROM login_failures WHERE username = ?'),
    getGuard: p<[string], GuardRow>('SELECT failures, locked_until, hour_start, hour_failures, lease_until FROM login_failures WHERE username = ?'),
    putGuard: p<[string, number, number | null, number | null, number, number | null]>(
      `INSERT INTO login_failures (username, failures, locked_until, hour_start, hour_failures, lease_until) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,
         hour_start = excluded.hour_start, hour_failures = excluded.hour_failures, lease_until = excluded.lease_until`,
    ),

    // ---- tokens
    insertToken: p<[string, string, number]>(
      `INSERT INTO tokens (token_hash, username, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (token_hash) DO UPDATE SET username = excluded.username, expires_at = excluded.expires_at`,
    ),
    purgeExpiredTokensOf: p<[string, number]>('DELETE FROM tokens WHERE username = ? AND expires_at <= ?'),
    findToken: p<[string, number], { username: string }>('SELECT username FROM tokens WHERE token_hash = ? AND expires_at > ?'),
    revokeToken: p<[string]>('DELETE FROM tokens WHERE token_hash = ?'),
    revokeTokensOf: p<[string]>('DELETE FROM tokens WHERE username = ?'),

    // ---- blocks
    block: p<[string, string]>('INSERT INTO blocks (blocker, blocked) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    unblock: p<[string, string]>('DELETE FROM blocks WHERE blocker = ? AND blocked = ?'),
    // BINARY collation = code-unit order for the ASCII names the protocol allows.
    blockedBy: p<[string], { blocked: string }>('SELECT blocked FROM blocks WHERE blocker = ? ORDER BY blocked'),
    blockersOf: p<[string], { blocker: string }>('SELECT blocker FROM blocks WHERE blocked = ?'),
    isBlocked: p<[string, string], { one: 1 }>('SELECT 1 AS one FROM blocks WHERE blocker = ? AND blocked = ?'),

    // ---- groups
    insertGroup: p<[string, string, number]>('INSERT INTO groups (name, owner, created_at) VALUES (?, ?, ?)'),
    getGroup: p<[string], GroupRow>('SELECT name, owner, created_at FROM groups WHERE name = ?'),
    deleteGroup: p<[string]>('DELETE FROM groups WHERE name = ?'),
    setOwner: p<[string, string]>('UPDATE groups SET owner = ? WHERE name = ?'),
    membersOf: p<[string], { username: string }>('SELECT username FROM group_members WHERE group_name = ? ORDER BY position'),
    nextPosition: p<[string], { next: number }>('SELECT coalesce(max(position), 0) + 1 AS next FROM group_members WHERE group_name = ?'),
    addMember: p<[string, string, number, number]>(
      'INSERT INTO group_members (group_name, username, joined_at, position) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    removeMember: p<[string, string]>('DELETE FROM group_members WHERE group_name = ? AND username = ?'),
    groupsOf: p<[string], GroupRow>(
      `SELECT g.name, g.owner, g.created_at FROM group_members gm JOIN groups g ON g.name = gm.group_name
       WHERE gm.username = ? ORDER BY g.name`,
    ),
    membersOfGroupsOf: p<[string], MemberRow>(
      `SELECT group_name, username FROM group_members
       WHERE group_name IN (SELECT group_name FROM group_members WHERE username = ?)
       ORDER BY group_name, position`,
    ),

    // ---- messages and mailboxes
    insertMessage: p<[string, string, string | null, string | null, string, number], { id: number }>(
      'INSERT INTO messages (kind, sender, recipient, group_name, text, ts) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
    ),
    // Fan-out in two statements whatever the recipient count: one parameter
    // (a JSON array) each, so SQLITE_MAX_VARIABLE_NUMBER never applies. Rows
    // come back in no particular order; the caller pairs them up by name.
    /** Param: JSON array of usernames. Bumps each existing user's last_seq by 1. */
    bumpSeqs: p<[string], { username: string; seq: number }>(
      `UPDATE counters SET last_seq = last_seq + 1
       WHERE username IN (SELECT value FROM json_each(?))
       RETURNING username, last_seq AS seq`,
    ),
    /**
     * Params: message id, JSON array of [username, seq, offline 0|1] triples.
     * Inserted in key order so consecutive rows land on neighbouring B-tree pages.
     */
    insertDeliveries: p<[number, string]>(
      `INSERT INTO deliveries (username, seq, message_id, offline)
       SELECT value ->> 0, value ->> 1, ?, value ->> 2 FROM json_each(?) ORDER BY value ->> 0`,
    ),
    deliveriesAfter: p<[string, number, number], DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN messages m ON m.id = d.message_id
       WHERE d.username = ? AND d.seq > ? ORDER BY d.seq LIMIT ?`,
    ),
    seqs: p<[string], { last_seq: number; acked_seq: number }>('SELECT last_seq, acked_seq FROM counters WHERE username = ?'),
    ack: p<[number, string]>('UPDATE counters SET acked_seq = min(max(acked_seq, ?), last_seq) WHERE username = ? AND acked_seq < last_seq'),
    // These two name `offline = 1` so SQLite can use the partial index deliveries_offline.
    newestOffline: p<[string, number], DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN messages m ON m.id = d.message_id
       WHERE d.username = ? AND d.offline = 1 ORDER BY d.seq DESC LIMIT ?`,
    ),
    countOfflineAfter: p<[string, number], { n: number }>('SELECT count(*) AS n FROM deliveries WHERE username = ? AND offline = 1 AND seq > ?'),
    // Two index range scans (one per direction) merged; UNION also folds the
    // viewer == peer case, where both halves return the same rows.
    privateHistory: p<[{ a: string; b: string; before: number; limit: number }], MessageRow>(
      `SELECT * FROM (SELECT ${MESSAGE_COLUMNS} FROM messages
                      WHERE kind = 'private' AND sender = @a AND recipient = @b AND id < @before
                      ORDER BY id DESC LIMIT @limit)
       UNION
       SELECT * FROM (SELECT ${MESSAGE_COLUMNS} FROM messages
                      WHERE kind = 'private' AND sender = @b AND recipient = @a AND id < @before
                      ORDER BY id DESC LIMIT @limit)
       ORDER BY id DESC LIMIT @limit`,
    ),
    groupHistory: p<[string, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE group_name = ? AND kind = 'group' AND id < ?
       ORDER BY id DESC LIMIT ?`,
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
