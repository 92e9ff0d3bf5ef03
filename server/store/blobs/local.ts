// Blobs as files in the data directory: files/<first 2 hex digits>/<sha256>.
// The one-node default. A blob appears under its name only once complete (copy
// to a temporary name, then rename), so a reader never sees a partial file.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../file-store';

const HASH = /^[0-9a-f]{64}$/;

/** Throws on anything but a SHA-256 hex digest, so a hash can never name a path outside the root. */
function checkHash(hash: string): string {
  if (!HASH.test(hash)) throw new Error(`Invalid blob hash ${JSON.stringify(hash)}`);
  return hash;
}

export class LocalBlobStore implements BlobStore {
  /** `root`: the folder holding the blobs (created with mode 0700 when missing). */
  constructor(readonly root: string) {}

  private pathOf(hash: string): string {
    return join(this.root, checkHash(hash).slice(0, 2), hash);
  }

  async put(hash: string, source: string): Promise<void> {
    const target = this.pathOf(hash);
    if (await this.has(hash)) return;
    await mkdir(join(this.root, hash.slice(0, 2)), { recursive: true, mode: 0o700 });
    const temp = join(this.root, `.incoming-${randomBytes(8).toString('hex')}`);
    try {
      await copyFile(source, temp);
      await rename(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
  }

  read(hash: string, start: number, end: number): Readable {
    return createReadStream(this.pathOf(hash), { start, end });
  }

  async has(hash: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(hash))).isFile();
    } catch {
      return false;
    }
  }

  async delete(hash: string): Promise<void> {
    await rm(this.pathOf(hash), { force: true });
  }

  async list(): Promise<string[]> {
    const found: string[] = [];
    let dirs: string[];
    try {
      dirs = await readdir(this.root);
    } catch {
      return found;
    }
    for (const dir of dirs) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const name of await readdir(join(this.root, dir))) if (HASH.test(name)) found.push(name);
    }
    return found.sort();
  }
}
