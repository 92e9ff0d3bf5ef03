// AdminStore in PostgreSQL: the audit log, account administration (list, lock,
// delete, rename), groups for the admin tools, the sessions each node reports
// and the signals the admin CLI leaves for the running nodes (every node polls them).
import type { Pool, PoolClient } from 'pg';
import { canonicalName } from '../../protocol/canonical-name';
import type { AdminSignal, AdminStore, AuditEntry, AuditQuery, GroupRecord, LiveSession, UserSummary } from '../store';
import { changed, inTransaction, rows, toNumber, toNumberOrNull } from './db';
import { GROUP_SELECT, groupNamedSql, readGroup, toGroup, type GroupRow } from './groups';

interface AuditRow {
  id: string;
  at: string;
  action: string;
  actor: string | null;
  username: string | null;
  address: string | null;
  detail: string | null;
}

/** The stream's head, where a membership or block span ends (as in groups.ts and blocks.ts). */
const HEAD = '(SELECT coalesce(max(id), 0) FROM messages)';

/** Takes `username` out of `group` (in the caller's transaction): their span ends, ownership passes on, an emptied group goes. */
async function leaveGroup(client: PoolClient, group: string, username: string): Promise<void> {
  await client.query('DELETE FROM group_members WHERE group_name = $1 AND username = $2', [group, username]);
  await client.query(`UPDATE member_spans SET to_pos = ${HEAD} WHERE username = $2 AND to_pos IS NULL AND group_id = (SELECT id FROM groups WHERE name = $1)`, [
    group,
    username,
  ]);
  const after = await readGroup(client, group);
  if (after && after.members.length > 0) {
    const [heir] = after.members;
    if (!after.members.includes(after.owner) && heir !== undefined) await client.query('UPDATE groups SET owner = $2 WHERE name = $1', [group, heir]);
    return;
  }
  await client.query('DELETE FROM groups WHERE name = $1', [group]);
  await client.query(`DELETE FROM names WHERE name = $1 AND kind = 'group'`, [group]);
}

export class PostgresAdmin implements AdminStore {
  constructor(private readonly pool: Pool) {}

  async appendAudit(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.pool.query('INSERT INTO audit_log (at, action, actor, username, address, detail) VALUES ($1, $2, $3, $4, $5, $6)', [
      e.at,
      e.action,
      e.actor,
      e.username,
      e.address,
      e.detail,
    ]);
  }

  async readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      args.push(value);
      where.push(sql.replace('?', `$${args.length}`));
    };
    // Names in the log passed the protocol's ASCII name pattern, whose canonical form is lower().
    if (query.username !== undefined) add('lower(username) = ?', canonicalName(query.username));
    if (query.action !== undefined) add('action = ?', query.action);
    if (query.before !== undefined) add('id < ?', query.before);
    if (query.since !== undefined) add('at >= ?', query.since);
    args.push(Math.max(0, Math.floor(query.limit)));
    const found = await rows<AuditRow>(
      this.pool,
      `SELECT * FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`,
      args,
    );
    return found.map((r) => ({ ...r, id: toNumber(r.id), at: toNumber(r.at) }));
  }

  async pruneAudit(before: number): Promise<number> {
    return changed(this.pool, 'DELETE FROM audit_log WHERE at < $1', [before]);
  }

  async listUsers(): Promise<UserSummary[]> {
    const found = await rows<{ username: string; created_at: string; last_login_at: string | null; locked_until: string | null }>(
      this.pool,
      `SELECT u.username, u.created_at, u.last_login_at, f.locked_until
       FROM users u LEFT JOIN login_failures f ON f.username = u.name_key ORDER BY u.username COLLATE "C"`,
    );
    return found.map((r) => ({
      username: r.username,
      createdAt: toNumber(r.created_at),
      lastLoginAt: toNumberOrNull(r.last_login_at),
      lockedUntil: toNumberOrNull(r.locked_until),
    }));
  }

  async setLock(username: string, until: number): Promise<boolean> {
    const done = await changed(
      this.pool,
      `INSERT INTO login_failures (username, failures, locked_until) SELECT name_key, 0, $2 FROM users WHERE name_key = $1
       ON CONFLICT (username) DO UPDATE SET failures = 0, locked_until = excluded.locked_until`,
      [canonicalName(username), until],
    );
    return done > 0;
  }

  async deleteUser(username: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const found = await rows(client, 'SELECT 1 FROM users WHERE username = $1 FOR UPDATE', [username]);
      if (found.length === 0) return false;
      const groups = await rows<{ group_name: string }>(client, 'SELECT group_name FROM group_members WHERE username = $1 ORDER BY group_name', [username]);
      for (const { group_name } of groups) await leaveGroup(client, group_name, username);
      await client.query('DELETE FROM tokens WHERE username = $1', [username]);
      await client.query('DELETE FROM login_failures WHERE username = $1', [canonicalName(username)]);
      await client.query('DELETE FROM blocks WHERE blocker = $1 OR blocked = $1', [username]);
      // The stream keeps the user's messages; what is theirs alone is their positions and spans. Others'
      // blocks of the user end now, and what was sent while they lasted stays hidden from the blocker.
      await client.query('DELETE FROM member_spans WHERE username = $1', [username]);
      await client.query('DELETE FROM block_spans WHERE blocker = $1', [username]);
      await client.query(`UPDATE block_spans SET to_pos = ${HEAD} WHERE blocked = $1 AND to_pos IS NULL`, [username]);
      await client.query('DELETE FROM positions WHERE username = $1', [username]);
      // The messages stay; their keys go, so a later account of this name starts with none.
      await client.query('UPDATE messages SET client_key = NULL WHERE sender = $1 AND client_key IS NOT NULL', [username]);
      // Conversations: others' rows naming the user go too, so a later holder of the name starts clean.
      await client.query('DELETE FROM direct_peers WHERE username = $1 OR peer = $1', [username]);
      await client.query('DELETE FROM read_positions WHERE username = $1 OR conversation = $2', [username, `d:${username}`]);
      await client.query('DELETE FROM receipts_off WHERE username = $1', [username]);
      await client.query('DELETE FROM users WHERE username = $1', [username]);
      await client.query(`DELETE FROM names WHERE name = $1 AND kind = 'user'`, [username]);
      return true;
    });
  }

  async renameUser(from: string, to: string): Promise<'ok' | 'unknown' | 'taken'> {
    return inTransaction(this.pool, async (client) => {
      const found = await rows(client, 'SELECT 1 FROM users WHERE username = $1 FOR UPDATE', [from]);
      if (found.length === 0) return 'unknown';
      // The names primary key arbitrates against a concurrent createUser/createGroup of `to`.
      // Another spelling of a user's name (the renamed user's own included) counts as taken too.
      // So does a group's in any case (one namespace; names are ASCII, so lower() is canonical).
      const sameKey = await rows(client, `SELECT 1 FROM users WHERE name_key = $1 UNION ALL ${groupNamedSql('$1')}`, [canonicalName(to)]);
      if (sameKey.length > 0) return 'taken';
      const claimed = await changed(client, `INSERT INTO names (name, kind) VALUES ($1, 'user') ON CONFLICT DO NOTHING`, [to]);
      if (claimed === 0) return 'taken';
      // The lockout keys its rows by the canonical name: attempts typed under the new name belong to nobody.
      await client.query('DELETE FROM login_failures WHERE username = $1', [canonicalName(to)]);
      await client.query('UPDATE login_failures SET username = $1 WHERE username = $2', [canonicalName(to), canonicalName(from)]);
      await client.query(
        `INSERT INTO users (username, name_key, password_hash, created_at, last_login_at, display_name, avatar)
         SELECT $1, $3, password_hash, created_at, last_login_at, display_name, avatar FROM users WHERE username = $2`,
        [to, from, canonicalName(to)],
      );
      await client.query(
        `INSERT INTO positions (username, acked, signed_in, signed_out, away_from, away_to)
         SELECT $1, acked, signed_in, signed_out, away_from, away_to FROM positions WHERE username = $2`,
        [to, from],
      );
      // Keys a former holder of the new name left (deleted before keys were forgotten) would clash.
      await client.query('UPDATE messages SET client_key = NULL WHERE sender = $1 AND client_key IS NOT NULL', [to]);
      for (const sql of [
        'UPDATE member_spans SET username = $1 WHERE username = $2',
        'UPDATE block_spans SET blocker = $1 WHERE blocker = $2',
        'UPDATE block_spans SET blocked = $1 WHERE blocked = $2',
        'UPDATE files SET uploader = $1 WHERE uploader = $2',
        'UPDATE tokens SET username = $1 WHERE username = $2',
        'UPDATE blocks SET blocker = $1 WHERE blocker = $2',
        'UPDATE blocks SET blocked = $1 WHERE blocked = $2',
        'UPDATE groups SET owner = $1 WHERE owner = $2',
        'UPDATE group_members SET username = $1 WHERE username = $2',
        'UPDATE messages SET sender = $1 WHERE sender = $2',
        'UPDATE messages SET recipient = $1 WHERE recipient = $2',
        'UPDATE direct_peers SET username = $1 WHERE username = $2',
        'UPDATE direct_peers SET peer = $1 WHERE peer = $2',
        'UPDATE read_positions SET username = $1 WHERE username = $2',
        'UPDATE receipts_off SET username = $1 WHERE username = $2',
        'UPDATE reactions SET username = $1 WHERE username = $2',
      ]) {
        await client.query(sql, [to, from]);
      }
      await client.query('UPDATE read_positions SET conversation = $1 WHERE conversation = $2', [`d:${to}`, `d:${from}`]);
      await client.query('DELETE FROM positions WHERE username = $1', [from]);
      await client.query('DELETE FROM users WHERE username = $1', [from]);
      await client.query(`DELETE FROM names WHERE name = $1 AND kind = 'user'`, [from]);
      return 'ok';
    });
  }

  async listGroups(): Promise<GroupRecord[]> {
    return (await rows<GroupRow>(this.pool, `${GROUP_SELECT} ORDER BY g.name COLLATE "C"`)).map(toGroup);
  }

  async deleteGroup(name: string): Promise<GroupRecord | null> {
    return inTransaction(this.pool, async (client) => {
      const locked = await rows(client, 'SELECT 1 FROM groups WHERE name = $1 FOR UPDATE', [name]);
      if (locked.length === 0) return null;
      const group = await readGroup(client, name);
      // Every member's span ends here; the group's id is never reused, so its messages end with it.
      await client.query(`UPDATE member_spans SET to_pos = ${HEAD} WHERE to_pos IS NULL AND group_id = (SELECT id FROM groups WHERE name = $1)`, [name]);
      await client.query('DELETE FROM groups WHERE name = $1', [name]);
      await client.query(`DELETE FROM names WHERE name = $1 AND kind = 'group'`, [name]);
      return group;
    });
  }

  async putNodeSessions(node: string, sessions: readonly Omit<LiveSession, 'node' | 'seenAt'>[], now: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM live_sessions WHERE node = $1', [node]);
      if (sessions.length === 0) return;
      await client.query(
        `INSERT INTO live_sessions (node, username, transport, address, since, seen_at)
         SELECT $1, u, t, a, s, $6 FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS x(u, t, a, s)`,
        [node, sessions.map((x) => x.username), sessions.map((x) => x.transport), sessions.map((x) => x.address), sessions.map((x) => x.since), now],
      );
    });
  }

  async liveSessions(since: number): Promise<LiveSession[]> {
    const found = await rows<{ node: string; username: string; transport: string; address: string; since: string; seen_at: string }>(
      this.pool,
      'SELECT * FROM live_sessions WHERE seen_at >= $1 ORDER BY username COLLATE "C", node COLLATE "C"',
      [since],
    );
    return found.map((r) => ({
      node: r.node,
      username: r.username,
      transport: r.transport,
      address: r.address,
      since: toNumber(r.since),
      seenAt: toNumber(r.seen_at),
    }));
  }

  async postSignal(kind: AdminSignal['kind'], subject: string, detail: string, now: number): Promise<number> {
    const [row] = await rows<{ id: string }>(this.pool, 'INSERT INTO admin_signals (kind, subject, detail, at) VALUES ($1, $2, $3, $4) RETURNING id', [
      kind,
      subject,
      detail,
      now,
    ]);
    return toNumber(row?.id);
  }

  async signalsAfter(afterId: number): Promise<AdminSignal[]> {
    const found = await rows<{ id: string; kind: string; subject: string; detail: string; at: string }>(
      this.pool,
      'SELECT * FROM admin_signals WHERE id > $1 ORDER BY id',
      [afterId],
    );
    return found.map((r) => ({ id: toNumber(r.id), kind: r.kind as AdminSignal['kind'], subject: r.subject, detail: r.detail, at: toNumber(r.at) }));
  }

  async lastSignalId(): Promise<number> {
    const [row] = await rows<{ id: string | null }>(this.pool, 'SELECT max(id) AS id FROM admin_signals');
    return toNumberOrNull(row?.id) ?? 0;
  }

  async pruneSignals(before: number): Promise<void> {
    await this.pool.query('DELETE FROM admin_signals WHERE at < $1', [before]);
  }
}
