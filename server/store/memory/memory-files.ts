// The memory store's FileStore: upload records and the messages carrying them
// in maps. Same semantics as the SQL backends; nothing persisted.
import type { FileQuota, FileRecord, FileStore } from '../file-store';

export class MemoryFiles implements FileStore {
  private readonly files = new Map<string, FileRecord>();
  /** message id -> file ids in attach order */
  private readonly byMessage = new Map<number, string[]>();
  /** file id -> ids of the messages carrying it */
  private readonly carriers = new Map<string, Set<number>>();
  private key: string | null = null;

  /**
   * `seesMessage(messageId, user)`: whether the user can see that stored message (see FileStore.canRead).
   * `isAvatar(id)`: whether some user has the file as their picture (readable by all, never collected).
   */
  constructor(
    private readonly ready: () => void,
    private readonly seesMessage: (messageId: number, user: string) => boolean,
    private readonly isAvatar: (id: string) => boolean,
  ) {}

  /** Whether an upload record `id` exists (synchronous: the store's profile checks use it). */
  has(id: string): boolean {
    return this.files.has(id);
  }

  async createFile(record: FileRecord, quota?: FileQuota): Promise<boolean> {
    this.ready();
    if (this.files.has(record.id)) throw new Error(`File ${record.id} exists`);
    if (quota && this.usedBy(record.uploader, quota.pendingSince) + record.size > quota.bytes) return false;
    this.files.set(record.id, { ...record });
    return true;
  }

  async usage(uploader: string, pendingSince: number): Promise<number> {
    this.ready();
    return this.usedBy(uploader, pendingSince);
  }

  private usedBy(uploader: string, pendingSince: number): number {
    let bytes = 0;
    for (const f of this.files.values()) {
      if (f.uploader === uploader && (f.createdAt >= pendingSince || this.carriers.has(f.id))) bytes += f.size;
    }
    return bytes;
  }

  async getFiles(ids: readonly string[]): Promise<FileRecord[]> {
    this.ready();
    return ids.flatMap((id) => {
      const f = this.files.get(id);
      return f ? [{ ...f }] : [];
    });
  }

  /** Throws, changing nothing, unless every one of `fileIds` exists: the memory store's saveMessage calls it before storing. */
  checkExist(fileIds: readonly string[]): void {
    const missing = fileIds.find((id) => !this.files.has(id));
    if (missing !== undefined) throw new Error(`saveMessage: no file ${missing}`);
  }

  /** Records that message `messageId` carries `fileIds`. Call checkExist() first. */
  attach(messageId: number, fileIds: readonly string[]): void {
    this.byMessage.set(messageId, [...(this.byMessage.get(messageId) ?? []), ...fileIds]);
    for (const id of fileIds) setOf(this.carriers, id).add(messageId);
  }

  /** The message was deleted: it carries no file any more (not part of FileStore: the memory store calls it). */
  detachMessage(messageId: number): void {
    for (const id of this.byMessage.get(messageId) ?? []) {
      const carriers = this.carriers.get(id);
      carriers?.delete(messageId);
      if (carriers?.size === 0) this.carriers.delete(id);
    }
    this.byMessage.delete(messageId);
  }

  async attachmentsOf(messageIds: readonly number[]): Promise<Map<number, FileRecord[]>> {
    this.ready();
    const out = new Map<number, FileRecord[]>();
    for (const messageId of messageIds) {
      const ids = this.byMessage.get(messageId);
      if (ids)
        out.set(
          messageId,
          ids.map((id) => ({ ...this.files.get(id)! })),
        );
    }
    return out;
  }

  async canRead(id: string, username: string): Promise<boolean> {
    this.ready();
    const file = this.files.get(id);
    if (!file) return false;
    if (file.uploader === username || this.isAvatar(id)) return true;
    for (const messageId of this.carriers.get(id) ?? []) if (this.seesMessage(messageId, username)) return true;
    return false;
  }

  async unreferencedFiles(createdBefore: number, limit: number): Promise<FileRecord[]> {
    this.ready();
    return [...this.files.values()]
      .filter((f) => f.createdAt < createdBefore && !this.carriers.has(f.id) && !this.isAvatar(f.id))
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map((f) => ({ ...f }));
  }

  async deleteUnreferenced(ids: readonly string[]): Promise<string[]> {
    this.ready();
    const deleted: string[] = [];
    for (const id of ids) {
      if (!this.files.has(id) || this.carriers.has(id) || this.isAvatar(id)) continue;
      this.files.delete(id);
      deleted.push(id);
    }
    return deleted;
  }

  async hashInUse(hash: string): Promise<boolean> {
    this.ready();
    for (const f of this.files.values()) if (f.hash === hash || f.thumbHash === hash || f.avatarHash === hash) return true;
    return false;
  }

  async setAvatarHash(id: string, hash: string): Promise<boolean> {
    this.ready();
    const file = this.files.get(id);
    if (!file) return false;
    file.avatarHash = hash;
    return true;
  }

  async linkKey(candidate: string): Promise<string> {
    this.ready();
    return (this.key ??= candidate);
  }
}

function setOf<V>(map: Map<string, Set<V>>, key: string): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}
