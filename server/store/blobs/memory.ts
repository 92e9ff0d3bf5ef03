// Blobs in process memory, for the memory store (benchmarks): same semantics
// as the durable blob stores, nothing persisted.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { BlobStore } from '../file-store';

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();

  async put(hash: string, source: string): Promise<void> {
    if (!this.blobs.has(hash)) this.blobs.set(hash, await readFile(source));
  }

  read(hash: string, start: number, end: number): Readable {
    const bytes = this.blobs.get(hash);
    if (!bytes) {
      const stream = new Readable({ read() {} });
      stream.destroy(new Error(`No blob ${hash}`));
      return stream;
    }
    return Readable.from([bytes.subarray(start, end + 1)]);
  }

  async has(hash: string): Promise<boolean> {
    return this.blobs.has(hash);
  }

  async delete(hash: string): Promise<void> {
    this.blobs.delete(hash);
  }

  async list(): Promise<string[]> {
    return [...this.blobs.keys()].sort();
  }
}
