// Blocks and groups in PostgreSQL. Group names share the `names` table with
// users; deleting the last member deletes the group and frees its name.
import type { Pool } from 'pg';
import type { GroupRecord } from '../store';
import { changed, inTransaction, rows, toNumber, type Queryable } from './db';

// ---- blocks

export async function block(db: Queryable, blocker: string, blocked: string): Promise<boolean> {
  return (await changed(db, 'INSERT INTO blocks (blocker, blocked) VALUES ($1, $2) ON CONFLICT DO NOTHING', [blocker, blocked])) > 0;
}

export async function unblock(db: Queryable, blocker: string, blocked: string): Promise<boolean> {
  return (await changed(db, 'DELETE FROM blocks WHERE blocker = $1 AND blocked = $2', [blocker, blocked])) > 0;
}

export async function blockedBy(db: Queryable, blocker: string): Promise<string[]> {
  // COLLATE "C": byte order, the same on every node and every backend.
  const found = await rows<{ blocked: string }>(db, 'SELECT blocked FROM blocks WHERE blocker = $1 ORDER BY blocked COLLATE "C"', [blocker]);
  return found.map((r) => r.blocked);
}

export async function blockersOf(db: Queryable, user: string): Promise<string[]> {
  const found = await rows<{ blocker: string }>(db, 'SELECT blocker FROM blocks WHERE blocked = $1', [user]);
  return found.map((r) => r.blocker);
}

export async function isBlocked(db: Queryable, blocker: string, blocked: string): Promise<boolean> {
  const found = await rows(db, 'SELECT 1 FROM blocks WHERE blocker = $1 AND blocked = $2', [blocker, blocked]);
  return found.length > 0;
}

// ---- groups

interface GroupRow {
  name: string;
  owner: string;
  created_at: string;
  members: string[] | null;
}

const GROUP_SELECT = `
  SELECT g.name, g.owner, g.created_at,
         (SELECT array_agg(m.username ORDER BY m.position) FROM group_members m WHERE m.group_name = g.name) AS members
  FROM groups g`;

function toGroup(row: GroupRow): GroupRecord {
  return { name: row.name, owner: row.owner, createdAt: toNumber(row.created_at), members: row.members ?? [] };
}

export async function getGroup(db: Queryable, name: string): Promise<GroupRecord | null> {
  const [row] = await rows<GroupRow>(db, `${GROUP_SELECT} WHERE g.name = $1`, [name]);
  return row ? toGroup(row) : null;
}

export async function groupsOf(db: Queryable, username: string): Promise<GroupRecord[]> {
  const found = await rows<GroupRow>(
    db,
    `${GROUP_SELECT} WHERE g.name IN (SELECT group_name FROM group_members WHERE username = $1) ORDER BY g.name COLLATE "C"`,
    [username],
  );
  return found.map(toGroup);
}

/** The owner comes first, then `members` in order, without duplicates. */
export async function createGroup(pool: Pool, name: string, owner: string, members: readonly string[], now: number): Promise<boolean> {
  const ordered = [...new Set([owner, ...members])];
  return inTransaction(pool, async (client) => {
    const claimed = await changed(client, `INSERT INTO names (name, kind) VALUES ($1, 'group') ON CONFLICT DO NOTHING`, [name]);
    if (claimed === 0) return false;
    await client.query('INSERT INTO groups (name, owner, created_at) VALUES ($1, $2, $3)', [name, owner, now]);
    // WITH ORDINALITY + ORDER BY keeps the join order in `position`.
    await client.query(
      `INSERT INTO group_members (group_name, username)
       SELECT $1, u FROM unnest($2::text[]) WITH ORDINALITY AS t(u, i) ORDER BY i`,
      [name, ordered],
    );
    return true;
  });
}

export async function addGroupMembers(pool: Pool, name: string, members: readonly string[]): Promise<GroupRecord | null> {
  const ordered = [...new Set(members)];
  return inTransaction(pool, async (client) => {
    // The row lock keeps a concurrent removal from deleting the group under us.
    const locked = await rows(client, 'SELECT 1 FROM groups WHERE name = $1 FOR UPDATE', [name]);
    if (locked.length === 0) return null;
    await client.query(
      `INSERT INTO group_members (group_name, username)
       SELECT $1, u FROM unnest($2::text[]) WITH ORDINALITY AS t(u, i) ORDER BY i
       ON CONFLICT DO NOTHING`,
      [name, ordered],
    );
    return getGroup(client, name);
  });
}

export async function removeGroupMembers(pool: Pool, name: string, members: readonly string[]): Promise<GroupRecord | null> {
  return inTransaction(pool, async (client) => {
    const locked = await rows(client, 'SELECT 1 FROM groups WHERE name = $1 FOR UPDATE', [name]);
    if (locked.length === 0) return null;
    await client.query('DELETE FROM group_members WHERE group_name = $1 AND username = ANY($2::text[])', [name, [...members]]);
    const group = await getGroup(client, name);
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
