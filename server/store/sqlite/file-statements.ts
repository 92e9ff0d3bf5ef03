// The SQLite statements of the file roles (uploads, message references),
// prepared once per connection like statements.ts. Schema: migrations.ts step 3.
import type { Database, Statement } from 'better-sqlite3';
import type { FileRecord } from '../file-store';

export interface FileRow {
  id: string;
  uploader: string;
  name: string;
  size: number;
  type: string;
  hash: string;
  width: number | null;
  height: number | null;
  thumb_hash: string | null;
  avatar_hash: string | null;
  created_at: number;
}

const FILE_COLUMNS = 'f.id, f.uploader, f.name, f.size, f.type, f.hash, f.width, f.height, f.thumb_hash, f.avatar_hash, f.created_at';

export function toFileRecord(row: FileRow): FileRecord {
  return {
    id: row.id,
    uploader: row.uploader,
    name: row.name,
    size: row.size,
    type: row.type,
    hash: row.hash,
    width: row.width,
    height: row.height,
    thumbHash: row.thumb_hash,
    avatarHash: row.avatar_hash,
    createdAt: row.created_at,
  };
}

export function prepareFileStatements(db: Database) {
  const p = <Params extends unknown[], Row = unknown>(sql: string): Statement<Params, Row> => db.prepare<Params, Row>(sql);
  return {
    insertFile: p<[FileRow]>(
      `INSERT INTO files (id, uploader, name, size, type, hash, width, height, thumb_hash, avatar_hash, created_at)
       VALUES (@id, @uploader, @name, @size, @type, @hash, @width, @height, @thumb_hash, @avatar_hash, @created_at)`,
    ),
    getFile: p<[string], FileRow>(`SELECT ${FILE_COLUMNS} FROM files f WHERE f.id = ?`),
    fileExists: p<[string], { one: 1 }>('SELECT 1 AS one FROM files WHERE id = ?'),
    /** FileStore.usage: the uploader's files a message carries or created at or after `since`. */
    usage: p<[{ uploader: string; since: number }], { bytes: number }>(
      `SELECT coalesce(sum(f.size), 0) AS bytes FROM files f
       WHERE f.uploader = @uploader AND (f.created_at >= @since OR EXISTS (SELECT 1 FROM message_files mf WHERE mf.file_id = f.id))`,
    ),
    insertMessageFile: p<[number, number, string]>('INSERT INTO message_files (message_id, position, file_id) VALUES (?, ?, ?)'),
    /** JSON array of message ids in, every (message, file) pair out, in attach order. */
    attachmentsOf: p<[string], FileRow & { message_id: number }>(
      `SELECT mf.message_id, ${FILE_COLUMNS}
       FROM json_each(?) j JOIN message_files mf ON mf.message_id = j.value JOIN files f ON f.id = mf.file_id
       ORDER BY mf.message_id, mf.position`,
    ),
    /** See FileStore.canRead: the uploader, everyone for an avatar, else whoever can see a message carrying it now. */
    canRead: p<[{ id: string; user: string }], { one: 1 }>(
      `SELECT 1 AS one FROM files f WHERE f.id = @id AND (
         f.uploader = @user
         OR EXISTS (SELECT 1 FROM users u WHERE u.avatar = f.id)
         OR EXISTS (SELECT 1 FROM message_files mf JOIN messages m ON m.id = mf.message_id
                    WHERE mf.file_id = f.id AND (m.kind = 'broadcast' OR m.sender = @user OR m.recipient = @user
                      OR EXISTS (SELECT 1 FROM groups gr JOIN group_members gm ON gm.group_name = gr.name
                                 WHERE gr.id = m.group_id AND gm.username = @user))))`,
    ),
    unreferencedFiles: p<[number, number], FileRow>(
      `SELECT ${FILE_COLUMNS} FROM files f
       WHERE f.created_at < ? AND NOT EXISTS (SELECT 1 FROM message_files mf WHERE mf.file_id = f.id)
         AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar = f.id)
       ORDER BY f.created_at, f.id LIMIT ?`,
    ),
    /** Carried by a message, or someone's avatar: referenced, so never collected. */
    isCarried: p<[string, string], { one: 1 }>(
      'SELECT 1 AS one WHERE EXISTS (SELECT 1 FROM message_files WHERE file_id = ?) OR EXISTS (SELECT 1 FROM users WHERE avatar = ?)',
    ),
    /** Grants are no longer written (canRead reads the messages); rows from earlier versions still hold the file. */
    deleteGrants: p<[string]>('DELETE FROM file_grants WHERE file_id = ?'),
    deleteFile: p<[string]>('DELETE FROM files WHERE id = ?'),
    hashInUse: p<[{ hash: string }], { one: 1 }>(
      `SELECT 1 AS one WHERE EXISTS (SELECT 1 FROM files WHERE hash = @hash) OR EXISTS (SELECT 1 FROM files WHERE thumb_hash = @hash)
         OR EXISTS (SELECT 1 FROM files WHERE avatar_hash = @hash)`,
    ),
    setAvatarHash: p<[string, string]>('UPDATE files SET avatar_hash = ? WHERE id = ?'),
    insertSetting: p<[string, string]>('INSERT OR IGNORE INTO file_settings (key, value) VALUES (?, ?)'),
    getSetting: p<[string], { value: string }>('SELECT value FROM file_settings WHERE key = ?'),
  };
}

export type FileStatements = ReturnType<typeof prepareFileStatements>;
