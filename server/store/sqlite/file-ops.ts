// The writes of the SQLite file roles, run by the writer thread like
// write-ops.ts (each inside its savepoint of a group commit).
import type { FileGrants, FileRecord } from '../file-store';
import type { FileStatements } from './file-statements';

/** Key of the download-link signing key in file_settings. */
export const LINK_KEY = 'link-key';

export function fileWriteOps(s: FileStatements) {
  return {
    createFile(r: FileRecord): void {
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
        created_at: r.createdAt,
      });
    },

    /** Throws (undoing all of it) when a file does not exist. */
    attachFiles(messageId: number, fileIds: readonly string[], grants: FileGrants): void {
      let position = s.nextFilePosition.get(messageId)?.next ?? 1;
      for (const id of fileIds) {
        if (!s.fileExists.get(id)) throw new Error(`attachFiles: no file ${id}`);
        s.insertMessageFile.run(messageId, position++, id);
        for (const user of grants.users) s.insertGrant.run(id, 'user', user);
        if (grants.group !== null) s.insertGrant.run(id, 'group', String(grants.group));
      }
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

    linkKey(candidate: string): string {
      s.insertSetting.run(LINK_KEY, candidate);
      return s.getSetting.get(LINK_KEY)!.value;
    },
  };
}
