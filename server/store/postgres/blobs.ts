// Blob bytes in PostgreSQL for clusters: every node reads and writes the same
// rows, in chunks of CHUNK_BYTES, so no shared disk is needed. A range read
// fetches only the chunks it covers, a few at a time (never the whole blob).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Pool } from 'pg';
import type { BlobStore } from '../file-store';
import { inTransaction, rows, toNumber } from './db';

/** Bytes per chunk row. */
export const CHUNK_BYTES = 256 * 1024;
/** Chunks fetched per query while streaming. */
const CHUNKS_PER_QUERY = 4;

export class PostgresBlobStore implements BlobStore {
  constructor(private readonly pool: Pool) {}

  async put(hash: string, source: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      // A concurrent put of the same hash waits on this row and then finds it taken.
      const claimed = await client.query('INSERT INTO file_blobs (hash, size) VALUES ($1, 0) ON CONFLICT DO NOTHING', [hash]);
      if ((claimed.rowCount ?? 0) === 0) return;
      let n = 0;
      let size = 0;
      for await (const chunk of createReadStream(source, { highWaterMark: CHUNK_BYTES })) {
        const bytes = chunk as Buffer;
        await client.query('INSERT INTO file_chunks (hash, n, data) VALUES ($1, $2, $3)', [hash, n++, bytes]);
        size += bytes.length;
      }
      await client.query('UPDATE file_blobs SET size = $2 WHERE hash = $1', [hash, size]);
    });
  }

  read(hash: string, start: number, end: number): Readable {
    const pool = this.pool;
    async function* chunks(): AsyncGenerator<Buffer> {
      const [blob] = await rows<{ size: string }>(pool, 'SELECT size FROM file_blobs WHERE hash = $1', [hash]);
      if (!blob) throw new Error(`No blob ${hash}`);
      const last = Math.min(end, toNumber(blob.size) - 1);
      if (last < start) return;
      const firstChunk = Math.floor(start / CHUNK_BYTES);
      const lastChunk = Math.floor(last / CHUNK_BYTES);
      for (let from = firstChunk; from <= lastChunk; from += CHUNKS_PER_QUERY) {
        const to = Math.min(lastChunk, from + CHUNKS_PER_QUERY - 1);
        const found = await rows<{ n: number; data: Buffer }>(pool, 'SELECT n, data FROM file_chunks WHERE hash = $1 AND n BETWEEN $2 AND $3 ORDER BY n', [
          hash,
          from,
          to,
        ]);
        for (const { n, data } of found) {
          const offset = n * CHUNK_BYTES;
          yield data.subarray(Math.max(0, start - offset), Math.min(data.length, last - offset + 1));
        }
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async has(hash: string): Promise<boolean> {
    return (await rows(this.pool, 'SELECT 1 FROM file_blobs WHERE hash = $1', [hash])).length > 0;
  }

  async delete(hash: string): Promise<void> {
    await this.pool.query('DELETE FROM file_blobs WHERE hash = $1', [hash]);
  }

  async list(): Promise<string[]> {
    const found = await rows<{ hash: string }>(this.pool, 'SELECT hash FROM file_blobs ORDER BY hash');
    return found.map((r) => r.hash);
  }
}
