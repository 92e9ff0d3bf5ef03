// File attachments: uploads (limit, sniffing, image processing, one stored copy
// per distinct content), the attachment list recipients see (with signed
// links), who may download what, and garbage collection of files no message
// carries. HTTP is the transport's business; this service sees bytes and names.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../log';
import { ErrorCode, MAX_FILE_NAME_LENGTH, ProtocolError, type Attachment, type ChatMessage } from '../protocol';
import type { BlobStore, FileQuota, FileRecord, FileStore } from '../store/file-store';
import { IMAGE_TYPES, makeAvatar, processImage, receiveLimited, sha256Of, sniffType } from './file-processing';

export interface FilePolicy {
  /** Largest upload, in bytes. */
  maxUploadBytes: number;
  /** How long signed download links work, in ms. */
  linkMs: number;
  /** Uploads no message carries are deleted once older than this, in ms. */
  graceMs: number;
  /** Most bytes one user's uploads (sent, or unsent inside the grace period) may add up to; 0 = no quota. */
  quotaBytes: number;
}

/** What a download needs: the bytes (by range), and what to say about them. */
export interface FileContent {
  name: string;
  type: string;
  size: number;
  /** Shown in the browser (raster images); anything else is sent as an attachment to save. */
  inline: boolean;
  /** Strong validator (the content hash). */
  etag: string;
  /** Bytes start..end, inclusive. */
  read(start: number, end: number): Readable;
}

/** What of a file a link names: its bytes, its thumbnail (images), or its small square avatar picture (pictures). */
export type FileVariant = 'file' | 'thumbnail' | 'avatar';

/** A download's credentials: a signed-in user, or a signed link. */
export type FileAccess = { user: string } | { expires: number; signature: string };

/** Thumbnails and avatar pictures are WebP. */
const PREVIEW_TYPE = 'image/webp';

/**
 * Bidirectional overrides, embeddings and isolates (as display names refuse
 * them): in `report\u202efdp.exe` they make an executable read as `reportexe.pdf`.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * A name safe to show and to put in Content-Disposition: the last path segment,
 * without control characters or bidirectional controls, at most
 * MAX_FILE_NAME_LENGTH UTF-16 units without cutting a character in half. ''
 * (the upload is refused) when nothing is left or only dots (`.`, `..` name no file).
 */
export function cleanFileName(raw: string): string {
  const base = (raw.split(/[/\\]/).pop() ?? '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(BIDI_CONTROLS, '')
    .trim();
  if (/^\.*$/.test(base)) return '';
  const name = base.slice(0, MAX_FILE_NAME_LENGTH);
  // A cut between the two halves of a surrogate pair would leave half a character, which storage turns into U+FFFD.
  return /[\ud800-\udbff]$/.test(name) ? name.slice(0, -1) : name;
}

export class FileService {
  private key: Promise<Buffer> | null = null;

  constructor(
    private readonly files: FileStore,
    private readonly blobs: BlobStore,
    readonly policy: FilePolicy,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The HMAC key of download links: one per database, so every node of a cluster checks the others' links. */
  private linkKey(): Promise<Buffer> {
    this.key ??= this.files.linkKey(randomBytes(32).toString('base64url')).then((k) => Buffer.from(k, 'base64url'));
    return this.key;
  }

  /** What createFile() and usage() count toward the quota as of now, or undefined without a quota. */
  private quota(): FileQuota | undefined {
    return this.policy.quotaBytes > 0 ? { bytes: this.policy.quotaBytes, pendingSince: this.now() - this.policy.graceMs } : undefined;
  }

  private quotaExceeded(): ProtocolError {
    const mib = Math.round((this.policy.quotaBytes / 1024 / 1024) * 10) / 10;
    return new ProtocolError(
      ErrorCode.QUOTA_EXCEEDED,
      `This upload would take your files past your quota of ${mib} MiB: files you sent, and uploads not sent yet, count until they are deleted`,
    );
  }

  /** Bytes `user` may still upload under the quota, or null when there is no quota. */
  async quotaLeft(user: string): Promise<number | null> {
    const quota = this.quota();
    if (!quota) return null;
    return Math.max(0, quota.bytes - (await this.files.usage(user, quota.pendingSince)));
  }

  /**
   * Stores an upload by `user`. Throws FILE_TOO_LARGE beyond the limit,
   * QUOTA_EXCEEDED beyond what is left of the user's quota (both counted
   * while the body streams in) and BAD_REQUEST for an empty name; stores
   * nothing then.
   */
  async upload(user: string, rawName: string, body: AsyncIterable<Uint8Array>): Promise<Attachment> {
    const name = cleanFileName(rawName);
    if (!name) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'X-File-Name must name the file');
    const left = await this.quotaLeft(user);
    const dir = await mkdtemp(join(tmpdir(), 'chat-upload-'));
    try {
      const received = join(dir, 'upload');
      if (left !== null && left < this.policy.maxUploadBytes) await receiveLimited(body, received, left, () => this.quotaExceeded());
      else await receiveLimited(body, received, this.policy.maxUploadBytes);
      const type = await sniffType(received);
      let content = received;
      let image = null;
      if (IMAGE_TYPES.has(type)) {
        image = await processImage(received, dir);
        if (image) content = image.content;
        else this.log.info({ user, type }, 'upload looks like an image but could not be decoded; stored as a plain file');
      }
      const hash = await sha256Of(content);
      const thumbHash = image ? await sha256Of(image.thumbnail) : null;
      const record: FileRecord = {
        id: randomBytes(16).toString('base64url'),
        uploader: user,
        name,
        size: (await stat(content)).size,
        type,
        hash,
        width: image?.width ?? null,
        height: image?.height ?? null,
        thumbHash,
        // Made when the image becomes someone's picture (ensureAvatar), not here: most
        // images are never a picture, and an upload stays one thumbnail's work.
        avatarHash: null,
        createdAt: this.now(),
      };
      // The record first: garbage collection keeps any blob a record names. The quota
      // is checked again with the record, atomically: concurrent uploads cannot both pass.
      if (!(await this.files.createFile(record, this.quota()))) throw this.quotaExceeded();
      await this.blobs.put(hash, content);
      if (image && thumbHash) await this.blobs.put(thumbHash, image.thumbnail);
      return (await this.describe([record]))[0]!;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The files `ids` if `user` may send them all (uploaded them, or can read them); else UNKNOWN_FILE. */
  async checkAttachable(user: string, ids: readonly string[]): Promise<FileRecord[]> {
    const found = await this.files.getFiles(ids);
    for (const id of ids) {
      const file = found.find((f) => f.id === id);
      if (!file || (file.uploader !== user && !(await this.files.canRead(id, user)))) {
        throw new ProtocolError(ErrorCode.UNKNOWN_FILE, `No file "${id}" you can send: upload it first with POST /api/files`);
      }
    }
    return found;
  }

  /** The attachment list recipients see, with links signed now. */
  async describe(records: readonly FileRecord[]): Promise<Attachment[]> {
    const expires = this.now() + this.policy.linkMs;
    const key = await this.linkKey();
    return records.map((r) => {
      const attachment: Attachment = {
        id: r.id,
        name: r.name,
        size: r.size,
        type: r.type,
        url: this.signedPath(key, r.id, 'file', expires),
        linkExpires: expires,
      };
      if (r.width !== null && r.height !== null) {
        attachment.width = r.width;
        attachment.height = r.height;
      }
      if (r.thumbHash !== null) attachment.thumbnailUrl = this.signedPath(key, r.id, 'thumbnail', expires);
      return attachment;
    });
  }

  /**
   * Checks that `user` may take file `id` as their picture: they uploaded it
   * (UNKNOWN_FILE otherwise, as for a file that does not exist) and its sniffed
   * type is an image (NOT_AN_IMAGE). Then makes its avatar picture, unless
   * it has one (ensureAvatar), so the profile's link names the small picture.
   */
  async checkAvatar(user: string, id: string): Promise<FileRecord> {
    const [file] = await this.files.getFiles([id]);
    if (!file || file.uploader !== user) {
      throw new ProtocolError(ErrorCode.UNKNOWN_FILE, `No file "${id}" you uploaded: upload the picture first with POST /api/files`);
    }
    if (!file.type.startsWith('image/')) {
      throw new ProtocolError(ErrorCode.NOT_AN_IMAGE, `A picture must be an image; "${file.name}" is ${file.type}`);
    }
    return this.ensureAvatar(file);
  }

  /**
   * `file` with its avatar picture (AVATAR_SIZE px square WebP) made and stored,
   * unless it has one already. Made here, when an image first becomes a picture,
   * rather than at upload: only pictures pay for it, and every node can make it,
   * as it reads the original from the shared blob store. Images sharp could not
   * read at upload (no thumbnail) get none and keep being served as they are.
   *
   * Order, as garbage collection needs it: the blob is stored, then the record
   * names it, then the blob is checked again. Collection deletes a blob only
   * when no record names it, so it can only have removed it before the record
   * did; then it is stored once more.
   */
  private async ensureAvatar(file: FileRecord): Promise<FileRecord> {
    if (file.thumbHash === null) return file;
    if (file.avatarHash !== null && (await this.blobs.has(file.avatarHash))) return file;
    const dir = await mkdtemp(join(tmpdir(), 'chat-avatar-'));
    try {
      const original = join(dir, 'original');
      await pipeline(this.blobs.read(file.hash, 0, Math.max(0, file.size - 1)), createWriteStream(original, { mode: 0o600 }));
      const picture = join(dir, 'avatar.webp');
      try {
        await makeAvatar(original, picture);
      } catch (err) {
        // The thumbnail stays the picture's link: a broken avatar must not refuse the profile change.
        this.log.warn({ err, file: file.id }, 'could not make the avatar picture; the thumbnail serves instead');
        return file;
      }
      const avatarHash = await sha256Of(picture);
      await this.blobs.put(avatarHash, picture);
      if (!(await this.files.setAvatarHash(file.id, avatarHash))) return file;
      if (!(await this.blobs.has(avatarHash))) await this.blobs.put(avatarHash, picture);
      return { ...file, avatarHash };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Signed links for pictures, by file id, signed now: the avatar picture when
   * the image has one (AVATAR_SIZE px square), else the thumbnail (pictures set
   * before avatar pictures existed, until set again), else the file. Ids that
   * name no file are left out.
   */
  async pictureLinks(ids: readonly string[]): Promise<Map<string, string>> {
    const links = new Map<string, string>();
    if (ids.length === 0) return links;
    const expires = this.now() + this.policy.linkMs;
    const key = await this.linkKey();
    for (const r of await this.files.getFiles([...new Set(ids)])) {
      const variant: FileVariant = r.avatarHash !== null ? 'avatar' : r.thumbHash !== null ? 'thumbnail' : 'file';
      links.set(r.id, this.signedPath(key, r.id, variant, expires));
    }
    return links;
  }

  /** `messages` with their attachments filled in (the store keeps them apart). */
  async withAttachments<M extends ChatMessage>(messages: M[]): Promise<M[]> {
    if (messages.length === 0) return messages;
    const found = await this.files.attachmentsOf([...new Set(messages.map((m) => m.id))]);
    if (found.size === 0) return messages;
    const described = new Map<number, Attachment[]>();
    for (const [id, records] of found) described.set(id, await this.describe(records));
    return messages.map((m) => {
      const attachments = described.get(m.id);
      return attachments ? { ...m, attachments } : m;
    });
  }

  /** The path of a file (or its thumbnail, or its avatar picture) on the HTTP port, without credentials. */
  static pathOf(id: string, variant: FileVariant): string {
    return variant === 'file' ? `/api/files/${id}` : `/api/files/${id}/${variant}`;
  }

  private signature(key: Buffer, id: string, variant: FileVariant, expires: number): string {
    return createHmac('sha256', key).update(`${id}/${variant}/${expires}`).digest('base64url');
  }

  private signedPath(key: Buffer, id: string, variant: FileVariant, expires: number): string {
    return `${FileService.pathOf(id, variant)}?expires=${expires}&sig=${this.signature(key, id, variant, expires)}`;
  }

  /**
   * A file's content for a download, or null when it does not exist or the
   * credentials do not reach it (the caller answers 404 either way, so nobody
   * learns which files exist).
   */
  async open(id: string, variant: FileVariant, access: FileAccess): Promise<FileContent | null> {
    const [file] = await this.files.getFiles([id]);
    if (!file) return null;
    if ('user' in access) {
      if (!(await this.files.canRead(id, access.user))) return null;
    } else {
      if (!Number.isSafeInteger(access.expires) || access.expires <= this.now()) return null;
      const expected = Buffer.from(this.signature(await this.linkKey(), id, variant, access.expires));
      const given = Buffer.from(access.signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    }
    const hash = variant === 'file' ? file.hash : variant === 'thumbnail' ? file.thumbHash : file.avatarHash;
    if (hash === null) return null;
    const size = variant === 'file' ? file.size : await this.previewSize(hash);
    return {
      name: variant === 'file' ? file.name : `${file.name}.${variant}.webp`,
      type: variant === 'file' ? file.type : PREVIEW_TYPE,
      size,
      inline: variant !== 'file' || IMAGE_TYPES.has(file.type),
      etag: `"${hash}"`,
      read: (start, end) => this.blobs.read(hash, start, end),
    };
  }

  private async previewSize(hash: string): Promise<number> {
    // Thumbnails and avatar pictures are small: count their bytes rather than store more size columns.
    let size = 0;
    for await (const chunk of this.blobs.read(hash, 0, Number.MAX_SAFE_INTEGER - 1)) size += (chunk as Buffer).length;
    return size;
  }

  /**
   * Deletes uploads no message carries that are older than the grace period,
   * then the blobs no remaining record names. Resolves what it deleted.
   */
  async collectGarbage(): Promise<{ files: number; blobs: number }> {
    const cutoff = this.now() - this.policy.graceMs;
    let files = 0;
    let blobs = 0;
    for (;;) {
      const stale = await this.files.unreferencedFiles(cutoff, 500);
      if (stale.length === 0) break;
      const deleted = new Set(await this.files.deleteUnreferenced(stale.map((f) => f.id)));
      files += deleted.size;
      // A blob goes once no remaining record names it: as content, thumbnail or avatar picture.
      const hashes = new Set(stale.filter((f) => deleted.has(f.id)).flatMap((f) => [f.hash, f.thumbHash, f.avatarHash].filter((h) => h !== null)));
      for (const hash of hashes) {
        if (await this.files.hashInUse(hash)) continue;
        await this.blobs.delete(hash);
        blobs++;
      }
      if (stale.length < 500) break;
    }
    if (files > 0) this.log.info({ files, blobs }, 'unsent uploads deleted');
    return { files, blobs };
  }
}
