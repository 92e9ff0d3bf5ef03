// Upload records and message references in PostgreSQL (the cluster's
// FileStore); who may read a file follows from the messages carrying it. Schema: migrations.ts step 2.
import type { Pool } from 'pg';
import type { FileQuota, FileRecord, FileStore } from '../file-store';
import { changed, inTransaction, rows, toNumber, toNumberOrNull, type Queryable } from './db';

interface FileRow {
  id: string;
  uploader: string;
  name: string;
  size: string | number;
  type: string;
  hash: string;
  width: number | null;
  height: number | null;
  thumb_hash: string | null;
  avatar_hash: string | null;
  created_at: string | number;
}

const COLUMNS = 'f.id, f.uploader, f.name, f.size, f.type, f.hash, f.width, f.height, f.thumb_hash, f.avatar_hash, f.created_at';
const LINK_KEY = 'link-key';

function toRecord(row: FileRow): FileRecord {
  return {
    id: row.id,
    uploader: row.uploader,
    name: row.name,
    size: toNumber(row.size),
    type: row.type,
    hash: row.hash,
    width: toNumberOrNull(row.width),
    height: toNumberOrNull(row.height),
    thumbHash: row.thumb_hash,
    avatarHash: row.avatar_hash,
    createdAt: toNumber(row.created_at),
  };
}

const USAGE = `SELECT coalesce(sum(f.size), 0) AS bytes FROM files f
  WHERE f.uploader = $1 AND (f.created_at >= $2 OR EXISTS (SELECT 1 FROM message_files mf WHERE mf.file_id = f.id))`;

/**
 * Records that message `messageId` carries `fileIds` (in that order). Runs inside
 * saveMessage's transaction (message-writer.ts): the foreign key on file_id
 * makes an unknown file fail it, message included.
 */
export async function insertAttachments(client: Queryable, messageId: number, fileIds: readonly string[]): Promise<void> {
  await client.query(
    `INSERT INTO message_files (message_id, position, file_id)
     SELECT $1, t.ord, t.id FROM unnest($2::text[]) WITH ORDINALITY AS t(id, ord)`,
    [messageId, fileIds],
  );
}

export class PostgresFiles implements FileStore {
  constructor(private readonly pool: Pool) {}

  /**
   * With a quota, the check and the insert share a transaction holding an
   * advisory lock per uploader, so two uploads by one user on any nodes never
   * both pass.
   */
  async createFile(r: FileRecord, quota?: FileQuota): Promise<boolean> {
    const insert = async (db: Queryable) => {
      await db.query(
        `INSERT INTO files (id, uploader, name, size, type, hash, width, height, thumb_hash, avatar_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [r.id, r.uploader, r.name, r.size, r.type, r.hash, r.width, r.height, r.thumbHash, r.avatarHash, r.createdAt],
      );
    };
    if (!quota) {
      await insert(this.pool);
      return true;
    }
    return inTransaction(this.pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('chat-quota:' || current_schema() || ':' || $1, 0))", [r.uploader]);
      const [row] = await rows<{ bytes: string }>(client, USAGE, [r.uploader, quota.pendingSince]);
      if (toNumber(row?.bytes ?? 0) + r.size > quota.bytes) return false;
      await insert(client);
      return true;
    });
  }

  async usage(uploader: string, pendingSince: number): Promise<number> {
    const [row] = await rows<{ bytes: string }>(this.pool, USAGE, [uploader, pendingSince]);
    return toNumber(row?.bytes ?? 0);
  }

  async getFiles(ids: readonly string[]): Promise<FileRecord[]> {
    if (ids.length === 0) return [];
    const found = await rows<FileRow>(this.pool, `SELECT ${COLUMNS} FROM files f WHERE f.id = ANY($1::text[])`, [ids]);
    const byId = new Map(found.map((r) => [r.id, toRecord(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async attachmentsOf(messageIds: readonly number[]): Promise<Map<number, FileRecord[]>> {
    const out = new Map<number, FileRecord[]>();
    if (messageIds.length === 0) return out;
    const found = await rows<FileRow & { message_id: string }>(
      this.pool,
      `SELECT mf.message_id, ${COLUMNS} FROM message_files mf JOIN files f ON f.id = mf.file_id
       WHERE mf.message_id = ANY($1::bigint[]) ORDER BY mf.message_id, mf.position`,
      [messageIds],
    );
    for (const row of found) {
      const id = toNumber(row.message_id);
      const list = out.get(id);
      if (list) list.push(toRecord(row));
      else out.set(id, [toRecord(row)]);
    }
    return out;
  }

  async canRead(id: string, username: string): Promise<boolean> {
    const found = await rows(
      this.pool,
      `SELECT 1 FROM files f WHERE f.id = $1 AND (
         f.uploader = $2
         OR EXISTS (SELECT 1 FROM users u WHERE u.avatar = f.id)
         OR EXISTS (SELECT 1 FROM message_files mf JOIN messages m ON m.id = mf.message_id
                    WHERE mf.file_id = f.id AND (m.kind = 'broadcast' OR m.sender = $2 OR m.recipient = $2
                      OR EXISTS (SELECT 1 FROM groups gr JOIN group_members gm ON gm.group_name = gr.name
                                 WHERE gr.id = m.group_id AND gm.username = $2))))`,
      [id, username],
    );
    return found.length > 0;
  }

  async unreferencedFiles(createdBefore: number, limit: number): Promise<FileRecord[]> {
    const found = await rows<FileRow>(
      this.pool,
      `SELECT ${COLUMNS} FROM files f
       WHERE f.created_at < $1 AND NOT EXISTS (SELECT 1 FROM message_files mf WHERE mf.file_id = f.id)
         AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar = f.id)
       ORDER BY f.created_at, f.id LIMIT $2`,
      [createdBefore, limit],
    );
    return found.map(toRecord);
  }

  async deleteUnreferenced(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return inTransaction(this.pool, async (client) => {
      // Lock the rows first: a message attaching one of them (or a profile taking it as avatar) meanwhile waits, then fails on the foreign key.
      const candidates = await rows<{ id: string }>(
        client,
        `SELECT id FROM files f WHERE id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM message_files mf WHERE mf.file_id = f.id)
           AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar = f.id) FOR UPDATE`,
        [ids],
      );
      const doomed = candidates.map((r) => r.id);
      if (doomed.length === 0) return [];
      // Grants are no longer written (canRead reads the messages); rows from earlier versions still hold the file.
      await client.query('DELETE FROM file_grants WHERE file_id = ANY($1::text[])', [doomed]);
      await changed(client, 'DELETE FROM files WHERE id = ANY($1::text[])', [doomed]);
      return ids.filter((id) => doomed.includes(id));
    });
  }

  async hashInUse(hash: string): Promise<boolean> {
    const found = await rows(
      this.pool,
      `SELECT 1 WHERE EXISTS (SELECT 1 FROM files WHERE hash = $1) OR EXISTS (SELECT 1 FROM files WHERE thumb_hash = $1)
         OR EXISTS (SELECT 1 FROM files WHERE avatar_hash = $1)`,
      [hash],
    );
    return found.length > 0;
  }

  async setAvatarHash(id: string, hash: string): Promise<boolean> {
    return (await changed(this.pool, 'UPDATE files SET avatar_hash = $2 WHERE id = $1', [id, hash])) > 0;
  }

  async linkKey(candidate: string): Promise<string> {
    await this.pool.query('INSERT INTO file_settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING', [LINK_KEY, candidate]);
    const [row] = await rows<{ value: string }>(this.pool, 'SELECT value FROM file_settings WHERE key = $1', [LINK_KEY]);
    return row!.value;
  }
}
