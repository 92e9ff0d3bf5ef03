// Groups in PostgreSQL. Group names share the `names` table with users;
// deleting the last member deletes the group and frees its name.
import type { Pool } from 'pg';
import type { GroupRecord, GroupStore } from '../store';
import { canonicalName } from '../../protocol/canonical-name';
import { changed, inTransaction, rows, toNumber, type Queryable } from './db';

export interface GroupRow {
  id: string;
  name: string;
  owner: string;
  created_at: string;
  members: string[] | null;
}

/**
 * A query with a row when a group has the name whose canonical form is bound to `param`
 * (e.g. `$2`), in any case. Every such check uses this text: its `lower(name)` is exactly the
 * expression of the index groups_lower_name_idx (migration step 16), which the planner uses
 * only for an identical expression. Names are ASCII, so lower() is canonical.
 */
export const groupNamedSql = (param: string): string => `SELECT 1 FROM groups WHERE lower(name) = ${param}`;

/** The stream's head, where a membership span starts or ends. */
const HEAD = '(SELECT coalesce(max(id), 0) FROM messages)';

export const GROUP_SELECT = `
  SELECT g.id, g.name, g.owner, g.created_at,
         (SELECT array_agg(m.username ORDER BY m.position) FROM group_members m WHERE m.group_name = g.name) AS members
  FROM groups g`;

export function toGroup(row: GroupRow): GroupRecord {
  return { id: toNumber(row.id), name: row.name, owner: row.owner, createdAt: toNumber(row.created_at), members: row.members ?? [] };
}

/** The group with its members in join order, read through `db` (the pool, or a client inside a transaction). */
export async function readGroup(db: Queryable, name: string): Promise<GroupRecord | null> {
  const [row] = await rows<GroupRow>(db, `${GROUP_SELECT} WHERE g.name = $1`, [name]);
  return row ? toGroup(row) : null;
}

export class PostgresGroups implements GroupStore {
  constructor(private readonly pool: Pool) {}

  async getGroup(name: string): Promise<GroupRecord | null> {
    return readGroup(this.pool, name);
  }

  async hasGroupNamed(name: string): Promise<boolean> {
    return (await rows(this.pool, `${groupNamedSql('$1')} LIMIT 1`, [canonicalName(name)])).length > 0;
  }

  async groupsOf(username: string): Promise<GroupRecord[]> {
    const found = await rows<GroupRow>(
      this.pool,
      `${GROUP_SELECT} WHERE g.name IN (SELECT group_name FROM group_members WHERE username = $1) ORDER BY g.name COLLATE "C"`,
      [username],
    );
    return found.map(toGroup);
  }

  /** The owner comes first, then `members` in order, without duplicates. */
  async createGroup(name: string, owner: string, members: readonly string[], now: number): Promise<boolean> {
    const ordered = [...new Set([owner, ...members])];
    return inTransaction(this.pool, async (client) => {
      // A user's name taken in another case or Unicode form is taken too (users.name_key), and so is
      // a group's in another case (one namespace; names are ASCII, so lower() is canonical).
      const claimed = await changed(
        client,
        `INSERT INTO names (name, kind) SELECT $1, 'group'
          WHERE NOT EXISTS (SELECT 1 FROM users WHERE name_key = $2) AND NOT EXISTS (${groupNamedSql('$2')})
         ON CONFLICT DO NOTHING`,
        [name, canonicalName(name)],
      );
      if (claimed === 0) return false;
      const [group] = await rows<{ id: string }>(client, 'INSERT INTO groups (name, owner, created_at) VALUES ($1, $2, $3) RETURNING id', [name, owner, now]);
      // WITH ORDINALITY + ORDER BY keeps the join order in `position`.
      await client.query(
        `INSERT INTO group_members (group_name, username)
         SELECT $1, u FROM unnest($2::text[]) WITH ORDINALITY AS t(u, i) ORDER BY i`,
        [name, ordered],
      );
      await client.query(`INSERT INTO member_spans (group_id, username, from_pos) SELECT $1, u, ${HEAD} FROM unnest($2::text[]) AS t(u)`, [group!.id, ordered]);
      return true;
    });
  }

  async addGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    const ordered = [...new Set(members)];
    return inTransaction(this.pool, async (client) => {
      // The row lock keeps a concurrent removal from deleting the group under us.
      const [locked] = await rows<{ id: string }>(client, 'SELECT id FROM groups WHERE name = $1 FOR UPDATE', [name]);
      if (!locked) return null;
      const added = await rows<{ username: string }>(
        client,
        `INSERT INTO group_members (group_name, username)
         SELECT $1, u FROM unnest($2::text[]) WITH ORDINALITY AS t(u, i) ORDER BY i
         ON CONFLICT DO NOTHING RETURNING username`,
        [name, ordered],
      );
      await client.query(`INSERT INTO member_spans (group_id, username, from_pos) SELECT $1, u, ${HEAD} FROM unnest($2::text[]) AS t(u)`, [
        locked.id,
        added.map((r) => r.username),
      ]);
      return readGroup(client, name);
    });
  }

  async removeGroupMembers(name: string, members: readonly string[]): Promise<GroupRecord | null> {
    return inTransaction(this.pool, async (client) => {
      const [locked] = await rows<{ id: string }>(client, 'SELECT id FROM groups WHERE name = $1 FOR UPDATE', [name]);
      if (!locked) return null;
      const removed = await rows<{ username: string }>(
        client,
        'DELETE FROM group_members WHERE group_name = $1 AND username = ANY($2::text[]) RETURNING username',
        [name, [...members]],
      );
      await client.query(`UPDATE member_spans SET to_pos = ${HEAD} WHERE group_id = $1 AND username = ANY($2::text[]) AND to_pos IS NULL`, [
        locked.id,
        removed.map((r) => r.username),
      ]);
      const group = await readGroup(client, name);
      if (group && group.members.length > 0) {
        const [heir] = group.members;
        if (group.members.includes(group.owner) || heir === undefined) return group;
        // The owner was removed: ownership passes to the earliest-joined member.
        await client.query('UPDATE groups SET owner = $2 WHERE name = $1', [name, heir]);
        return { ...group, owner: heir };
      }
      // Last member gone: the group and its name go too (members cascade).
      await client.query('DELETE FROM groups WHERE name = $1', [name]);
      await client.query(`DELETE FROM names WHERE name = $1 AND kind = 'group'`, [name]);
      return null;
    });
  }
}
