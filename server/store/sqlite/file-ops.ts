// The writes of the SQLite file roles, run by the writer thread like
// write-ops.ts (each inside its savepoint of a group commit).
import type { FileQuota, FileRecord } from '../file-store';
import type { FileStatements } from './file-statements';

/** Key of the download-link signing key in file_settings. */
export const LINK_KEY = 'link-key';

export function fileWriteOps(s: FileStatements) {
  return {
    /** The quota check and the insert run in one step of the single writer, so concurrent uploads cannot both pass. */
    createFile(r: FileRecord, quota?: FileQuota): boolean {
      if (quota && (s.usage.get({ uploader: r.uploader, since: quota.pendingSince })?.bytes ?? 0) + r.size > quota.bytes) return false;
      s.insertFile.run({
        id: r.id,
        uploader: r.uploader,
        name: r.name,
        size: r.size,
        type: r.type,
        hash: r.hash,
        width: r.width,
        height: r.height,
        thumb_hash: r.thumbHash,
        avatar_hash: r.avatarHash,
        created_at: r.createdAt,
      });
      return true;
    },

    deleteUnreferenced(ids: readonly string[]): string[] {
      const deleted: string[] = [];
      for (const id of ids) {
        if (s.isCarried.get(id, id)) continue;
        s.deleteGrants.run(id);
        if (s.deleteFile.run(id).changes > 0) deleted.push(id);
      }
      return deleted;
    },

    setAvatarHash(id: string, hash: string): boolean {
      return s.setAvatarHash.run(hash, id).changes > 0;
    },

    linkKey(candidate: string): string {
      s.insertSetting.run(LINK_KEY, candidate);
      return s.getSetting.get(LINK_KEY)!.value;
    },
  };
}

/**
 * Records that message `messageId` carries `fileIds` (in that order). Part of
 * saveMessage's step: throws, undoing the message too, when a file does not exist.
 */
export function attachFiles(s: FileStatements, messageId: number, fileIds: readonly string[]): void {
  let position = 1;
  for (const id of fileIds) {
    if (!s.fileExists.get(id)) throw new Error(`saveMessage: no file ${id}`);
    s.insertMessageFile.run(messageId, position++, id);
  }
}
