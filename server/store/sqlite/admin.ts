// The SQLite side of AdminStore: the audit log, account administration (list,
// lock, delete, rename), groups for the admin tools, the sessions each node
// reports and the signals the admin CLI leaves for running nodes. Writes run in
// the writer thread (adminWriteOps, merged into its operation table); reads on
// the main thread's read-only connection (adminReads).
import type { Database, Statement } from 'better-sqlite3';
import { canonicalName } from '../../protocol/canonical-name';
import type { AdminSignal, AdminStore, AuditEntry, AuditQuery, GroupRecord, LiveSession, UserSummary } from '../store';
import type { KnownPairs } from './known-pairs';
import { toGroupRecord } from './rows';
import type { GroupRow, Statements } from './statements';
import type { writeOps } from './write-ops';

interface AuditRow {
  id: number;
  at: number;
  action: string;
  actor: string | null;
  username: string | null;
  address: string | null;
  detail: string | null;
}

const toAudit = (r: AuditRow): AuditEntry => ({ ...r });

/** Writes of AdminStore, by method name; `base` are the store's own write operations (for group membership rules). */
export function adminWriteOps(db: Database, s: Statements, base: ReturnType<typeof writeOps>, known: KnownPairs) {
  const p = <P extends unknown[], R = unknown>(sql: string) => db.prepare<P, R>(sql);
  const w = {
    insertAudit: p<[number, string, string | null, string | null, string | null, string | null]>(
      'INSERT INTO audit_log (at, action, actor, username, address, detail) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    pruneAudit: p<[number]>('DELETE FROM audit_log WHERE at < ?'),
    setLock: p<[string, number]>(
      'INSERT INTO login_failures (username, failures, locked_until) VALUES (?, 0, ?) ON CONFLICT (username) DO UPDATE SET failures = 0, locked_until = excluded.locked_until',
    ),
    groupsOfUser: p<[string], { group_name: string }>('SELECT group_name FROM group_members WHERE username = ?'),
    // Deleting: everything keyed by the user, in an order the foreign keys accept.
    deleteTokens: p<[string]>('DELETE FROM tokens WHERE username = ?'),
    deleteLock: p<[string]>('DELETE FROM login_failures WHERE username = ?'),
    deleteBlocks: p<[string, string]>('DELETE FROM blocks WHERE blocker = ? OR blocked = ?'),
    // The stream keeps the user's messages; what is theirs alone is their positions and spans.
    deletePositions: p<[string]>('DELETE FROM positions WHERE username = ?'),
    deleteMemberSpans: p<[string]>('DELETE FROM member_spans WHERE username = ?'),
    deleteOwnBlockSpans: p<[string]>('DELETE FROM block_spans WHERE blocker = ?'),
    // Others' blocks of the user end now; what was sent while they lasted stays hidden from the blocker.
    closeBlockSpansOf: p<[string]>('UPDATE block_spans SET to_pos = (SELECT coalesce(max(id), 0) FROM messages) WHERE blocked = ? AND to_pos IS NULL'),
    deleteUser: p<[string]>('DELETE FROM users WHERE username = ?'),
    // Renaming: a new users row first, children moved, then the old row goes (foreign keys stay satisfied throughout).
    copyUser: p<[string, string, string]>(
      `INSERT INTO users (username, name_key, password_hash, created_at, last_login_at, display_name, avatar)
       SELECT ?, ?, password_hash, created_at, last_login_at, display_name, avatar FROM users WHERE username = ?`,
    ),
    copyPositions: p<[string, string]>(
      'INSERT INTO positions (username, acked, signed_in, signed_out, away_from, away_to) SELECT ?, acked, signed_in, signed_out, away_from, away_to FROM positions WHERE username = ?',
    ),
    moveMemberSpans: p<[string, string]>('UPDATE member_spans SET username = ? WHERE username = ?'),
    moveBlockerSpans: p<[string, string]>('UPDATE block_spans SET blocker = ? WHERE blocker = ?'),
    moveBlockedSpans: p<[string, string]>('UPDATE block_spans SET blocked = ? WHERE blocked = ?'),
    moveUploader: p<[string, string]>('UPDATE files SET uploader = ? WHERE uploader = ?'),
    moveTokens: p<[string, string]>('UPDATE tokens SET username = ? WHERE username = ?'),
    moveLock: p<[string, string]>('UPDATE login_failures SET username = ? WHERE username = ?'),
    moveBlocker: p<[string, string]>('UPDATE blocks SET blocker = ? WHERE blocker = ?'),
    moveBlocked: p<[string, string]>('UPDATE blocks SET blocked = ? WHERE blocked = ?'),
    moveOwner: p<[string, string]>('UPDATE groups SET owner = ? WHERE owner = ?'),
    moveMember: p<[string, string]>('UPDATE group_members SET username = ? WHERE username = ?'),
    moveSender: p<[string, string]>('UPDATE messages SET sender = ? WHERE sender = ?'),
    moveRecipient: p<[string, string]>('UPDATE messages SET recipient = ? WHERE recipient = ?'),
    moveReactions: p<[string, string]>('UPDATE reactions SET username = ? WHERE username = ?'),
    deleteNodeSessions: p<[string]>('DELETE FROM live_sessions WHERE node = ?'),
    insertNodeSession: p<[string, string, string, string, number, number]>(
      'INSERT INTO live_sessions (node, username, transport, address, since, seen_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertSignal: p<[string, string, string, number], { id: number }>('INSERT INTO admin_signals (kind, subject, detail, at) VALUES (?, ?, ?, ?) RETURNING id'),
    pruneSignals: p<[number]>('DELETE FROM admin_signals WHERE at < ?'),
  };

  return {
    appendAudit(entry: Omit<AuditEntry, 'id'>): void {
      w.insertAudit.run(entry.at, entry.action, entry.actor, entry.username, entry.address, entry.detail);
    },

    pruneAudit(before: number): number {
      return w.pruneAudit.run(before).changes;
    },

    // Users arrive here by their registered spelling; the lockout keys its rows by the canonical name.
    setLock(username: string, until: number): boolean {
      if (!s.registeredName.get(canonicalName(username))) return false;
      w.setLock.run(canonicalName(username), until);
      return true;
    },

    deleteUser(username: string): boolean {
      if (!s.registeredName.get(canonicalName(username))) return false;
      for (const { group_name } of w.groupsOfUser.all(username)) base.removeGroupMembers(group_name, [username]);
      w.deleteTokens.run(username);
      w.deleteLock.run(canonicalName(username));
      w.deleteBlocks.run(username, username);
      w.deleteMemberSpans.run(username);
      w.deleteOwnBlockSpans.run(username);
      w.closeBlockSpansOf.run(username);
      w.deletePositions.run(username);
      // The messages stay; their keys go, so a later account of this name starts with none.
      s.forgetClientKeysOf.run(username);
      s.deletePeers.run(username, username);
      known.forget();
      s.deleteReads.run(username, `d:${username}`);
      s.setReceiptsOn.run(username);
      w.deleteUser.run(username);
      return true;
    },

    renameUser(from: string, to: string): 'ok' | 'unknown' | 'taken' {
      if (!s.registeredName.get(canonicalName(from))) return 'unknown';
      // Another spelling of the same name counts as taken too (even the user's own: the old row still holds it).
      if (s.nameTaken.get(canonicalName(to), to)) return 'taken';
      // Failed attempts typed under the new name belong to nobody; the user's own lock moves over.
      w.deleteLock.run(canonicalName(to));
      w.moveLock.run(canonicalName(to), canonicalName(from));
      w.copyUser.run(to, canonicalName(to), from);
      w.copyPositions.run(to, from);
      w.deletePositions.run(from);
      // Keys a former holder of the new name left (deleted before keys were forgotten) would clash.
      s.forgetClientKeysOf.run(to);
      const moves = [w.moveTokens, w.moveBlocker, w.moveBlocked, w.moveOwner, w.moveMember, w.moveSender, w.moveRecipient];
      moves.push(w.moveMemberSpans, w.moveBlockerSpans, w.moveBlockedSpans, w.moveUploader, w.moveReactions);
      for (const move of moves) move.run(to, from);
      for (const move of [s.renamePeerOwner, s.renamePeer, s.renameReadOwner, s.renameReceipts]) move.run(to, from);
      s.renamePrivateRecipient.run(to, from);
      s.renamePrivateSender.run(to, from);
      s.deleteOldPrivateSenders.run(from, from);
      known.forget();
      s.renameReadKey.run(`d:${to}`, `d:${from}`);
      w.deleteUser.run(from);
      return 'ok';
    },

    deleteGroup(name: string): GroupRecord | null {
      const row = s.getGroup.get(name);
      if (!row) return null;
      const group = toGroupRecord(s, row);
      // Through the membership rules, so every member's span ends here and the group ends with its last member.
      base.removeGroupMembers(name, group.members);
      s.deleteGroup.run(name);
      return group;
    },

    putNodeSessions(node: string, sessions: readonly Omit<LiveSession, 'node' | 'seenAt'>[], now: number): void {
      w.deleteNodeSessions.run(node);
      for (const x of sessions) w.insertNodeSession.run(node, x.username, x.transport, x.address, x.since, now);
    },

    postSignal(kind: AdminSignal['kind'], subject: string, detail: string, now: number): number {
      const row = w.insertSignal.get(kind, subject, detail, now);
      if (!row) throw new Error('postSignal: INSERT returned no id');
      return row.id;
    },

    pruneSignals(before: number): void {
      w.pruneSignals.run(before);
    },
  };
}

export type AdminWriteOps = ReturnType<typeof adminWriteOps>;

type AdminReads = Pick<AdminStore, 'readAudit' | 'listUsers' | 'listGroups' | 'liveSessions' | 'signalsAfter' | 'lastSignalId'>;

/** Reads of AdminStore on the main thread's connection; `ready` throws once the store is closed. */
export function adminReads(db: Database, s: Statements, ready: () => void): AdminReads {
  const cache = new Map<string, Statement>();
  const p = <P extends unknown[], R>(sql: string): Statement<P, R> => {
    let st = cache.get(sql);
    if (!st) cache.set(sql, (st = db.prepare(sql)));
    return st as unknown as Statement<P, R>;
  };
  return {
    async readAudit(query: AuditQuery) {
      ready();
      const where: string[] = [];
      const args: (string | number)[] = [];
      const add = (condition: string, value: string | number) => {
        where.push(condition);
        args.push(value);
      };
      // Names in the log passed the protocol's ASCII name pattern, whose canonical form is SQLite's lower().
      if (query.username !== undefined) add('lower(username) = ?', canonicalName(query.username));
      if (query.action !== undefined) add('action = ?', query.action);
      if (query.before !== undefined) add('id < ?', query.before);
      if (query.since !== undefined) add('at >= ?', query.since);
      const sql = `SELECT id, at, action, actor, username, address, detail FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      return p<(string | number)[], AuditRow>(sql)
        .all(...args, Math.max(0, Math.floor(query.limit)))
        .map(toAudit);
    },
    async listUsers(): Promise<UserSummary[]> {
      ready();
      return p<[], { username: string; created_at: number; last_login_at: number | null; locked_until: number | null }>(
        'SELECT u.username, u.created_at, u.last_login_at, f.locked_until FROM users u LEFT JOIN login_failures f ON f.username = u.name_key ORDER BY u.username',
      )
        .all()
        .map((r) => ({ username: r.username, createdAt: r.created_at, lastLoginAt: r.last_login_at, lockedUntil: r.locked_until }));
    },
    async listGroups(): Promise<GroupRecord[]> {
      ready();
      return db.transaction(() =>
        p<[], GroupRow>('SELECT id, name, owner, created_at FROM groups ORDER BY name')
          .all()
          .map((row) => toGroupRecord(s, row)),
      )();
    },
    async liveSessions(since: number): Promise<LiveSession[]> {
      ready();
      return p<[number], { node: string; username: string; transport: string; address: string; since: number; seen_at: number }>(
        'SELECT node, username, transport, address, since, seen_at FROM live_sessions WHERE seen_at >= ? ORDER BY username, node',
      )
        .all(since)
        .map((r) => ({ node: r.node, username: r.username, transport: r.transport, address: r.address, since: r.since, seenAt: r.seen_at }));
    },
    async signalsAfter(afterId: number): Promise<AdminSignal[]> {
      ready();
      return p<[number], { id: number; kind: string; subject: string; detail: string; at: number }>(
        'SELECT id, kind, subject, detail, at FROM admin_signals WHERE id > ? ORDER BY id',
      )
        .all(afterId)
        .map((r) => ({ ...r, kind: r.kind as AdminSignal['kind'] }));
    },
    async lastSignalId(): Promise<number> {
      ready();
      return p<[], { id: number | null }>('SELECT max(id) AS id FROM admin_signals').get()?.id ?? 0;
    },
  };
}
