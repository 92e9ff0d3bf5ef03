// The storage roles behind file attachments: FileStore keeps what is known
// about each upload (metadata, which messages carry it, who may read it);
// BlobStore keeps the bytes, content-addressed, so identical bytes are stored
// once however many uploads and messages refer to them.
//
// Guarantees every implementation MUST give (besides those of store.ts):
// - Blobs are keyed by the SHA-256 of their bytes (64 lower-case hex digits);
//   put() of a hash already present stores nothing new.
// - A message's file references and grants are written by
//   MessageStore.saveMessage, in the message's own transaction.
// - createFile() with a quota is atomic per uploader: concurrent uploads by
//   one user never pass the quota together.
// - canRead() is true for the uploader, every user when the file is some
//   user's avatar (a profile picture is public to the signed-in), and whoever
//   can see a message that carries the file now: the two parties of a private
//   message, every user for a broadcast (those offline when it was sent too),
//   the sender and the current members of the very group of a group message;
//   false for unknown files and for anyone else once no message carries it (a
//   deleted message carries none).
// - A file is referenced while a message carries it or a user has it as their
//   avatar: unreferencedFiles() and deleteUnreferenced() leave it alone.
import type { Readable } from 'node:stream';

export interface FileRecord {
  /** 22 characters of base64url, chosen by the server at upload. */
  id: string;
  uploader: string;
  /** The name given at upload (shown to recipients; never used as a path). */
  name: string;
  /** Bytes of the stored content. */
  size: number;
  /** Media type sniffed from the bytes. */
  type: string;
  /** SHA-256 (hex) of the stored content: its blob's key. */
  hash: string;
  /** Image dimensions after EXIF orientation, or null for non-images. */
  width: number | null;
  height: number | null;
  /** Blob key of the thumbnail (images only), else null. */
  thumbHash: string | null;
  /**
   * Blob key of the small square avatar picture, made when the image is first
   * set as someone's picture (never at upload); null until then, and for files
   * stored before avatars had one.
   */
  avatarHash: string | null;
  /** ms since the epoch. */
  createdAt: number;
}

/** A per-user storage quota, as createFile() checks it. */
export interface FileQuota {
  /** Most bytes one user's counted uploads may add up to. */
  bytes: number;
  /** Uploads no message carries count while created at or after this (ms since the epoch): the ones garbage collection keeps. */
  pendingSince: number;
}

export interface FileStore {
  /**
   * Records a new upload; the id must be new. With `quota`, resolves false,
   * storing nothing, when the uploader's usage (see usage()) plus
   * record.size would exceed quota.bytes; else true.
   */
  createFile(record: FileRecord, quota?: FileQuota): Promise<boolean>;
  /**
   * Bytes of `uploader`'s uploads that count toward a quota: the ones a
   * message carries, and the ones created at or after `pendingSince`. Each
   * upload counts its own size, even when its bytes are stored once for several.
   */
  usage(uploader: string, pendingSince: number): Promise<number>;
  /** The records of `ids` that exist, in input order. */
  getFiles(ids: readonly string[]): Promise<FileRecord[]>;
  /** The files each of `messageIds` carries, in attach order; messages without files are absent from the map. */
  attachmentsOf(messageIds: readonly number[]): Promise<Map<number, FileRecord[]>>;
  /** True when `username` may read file `id` (see the guarantees above). */
  canRead(id: string, username: string): Promise<boolean>;
  /** Up to `limit` files created before `createdBefore` that nothing references (no message, no avatar), oldest first. */
  unreferencedFiles(createdBefore: number, limit: number): Promise<FileRecord[]>;
  /** Deletes the records (and their grants) of files nothing references; referenced ids are kept. Resolves the ids deleted. */
  deleteUnreferenced(ids: readonly string[]): Promise<string[]>;
  /** True while some file record uses `hash` as its content, its thumbnail or its avatar picture. */
  hashInUse(hash: string): Promise<boolean>;
  /**
   * Records `hash` as the avatar picture of file `id` (replacing any before).
   * Resolves false when no such file exists (it was collected meanwhile).
   */
  setAvatarHash(id: string, hash: string): Promise<boolean>;
  /**
   * The key that signs download links, shared by every node of a cluster:
   * the stored one, or `candidate` when none was stored yet (it is then stored).
   */
  linkKey(candidate: string): Promise<string>;
}

export interface BlobStore {
  /** Stores the bytes of the file at `source` (left in place) under `hash`, unless that hash is already stored. */
  put(hash: string, source: string): Promise<void>;
  /** Bytes `start`..`end` (inclusive) of the blob; the stream errors if it does not exist. */
  read(hash: string, start: number, end: number): Readable;
  has(hash: string): Promise<boolean>;
  /** Removes the blob; no-op when absent. */
  delete(hash: string): Promise<void>;
  /** Every stored hash (tests and garbage collection audits). */
  list(): Promise<string[]>;
}
