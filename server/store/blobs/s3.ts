// Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...),
// through the AWS SDK: `blobs/<sha256>`. Any number of nodes share the bucket,
// so neither a shared disk nor database rows are needed for the bytes.
// Credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role, ...), never from flags.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { BlobStore } from '../file-store';

const HASH = /^[0-9a-f]{64}$/;
const PREFIX = 'blobs/';

export interface S3BlobOptions {
  bucket: string;
  /** An S3-compatible service's URL (path-style requests), or null for AWS S3 itself. */
  endpoint: string | null;
  /** The bucket's region; null: AWS_REGION, else us-east-1. */
  region: string | null;
}

/** Throws on anything but a SHA-256 hex digest, so a hash can never name another key. */
function keyOf(hash: string): string {
  if (!HASH.test(hash)) throw new Error(`Invalid blob hash ${JSON.stringify(hash)}`);
  return PREFIX + hash;
}

function isStatus(err: unknown, status: number): boolean {
  return err instanceof S3ServiceException && err.$metadata.httpStatusCode === status;
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3BlobOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      // S3-compatible services are reached by address, where bucket subdomains rarely resolve;
      // many of them store the SDK's default aws-chunked upload framing (with a trailing
      // CRC32) as part of the object, so checksums are sent only where an operation requires one.
      ...(options.endpoint
        ? { endpoint: options.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
        : {}),
    });
  }

  async put(hash: string, source: string): Promise<void> {
    const key = keyOf(hash);
    if (await this.has(hash)) return;
    // A PUT is atomic: the object appears whole or not at all, so readers never see part of it.
    const { size } = await stat(source);
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: createReadStream(source), ContentLength: size }));
  }

  /** A ranged GET; the stream errors when the object does not exist. */
  read(hash: string, start: number, end: number): Readable {
    const out = new PassThrough();
    const key = keyOf(hash);
    // From byte 0 to the end or beyond (a whole download, an empty file's `0..-1`, a thumbnail
    // being measured) is the whole object: no Range, which an empty object could not satisfy.
    const whole = start === 0 && (end < start || end >= Number.MAX_SAFE_INTEGER - 1);
    this.client
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(whole ? {} : { Range: `bytes=${start}-${end}` }) }))
      .then((res) => {
        const body = res.Body;
        if (!(body instanceof Readable)) throw new Error(`S3 GetObject ${key}: no stream body`);
        body.on('error', (err) => out.destroy(err));
        body.pipe(out);
      })
      .catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
    return out;
  }

  async has(hash: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: keyOf(hash) }));
      return true;
    } catch (err) {
      if (isStatus(err, 404)) return false;
      throw err;
    }
  }

  async delete(hash: string): Promise<void> {
    // S3 answers 204 whether or not the object existed.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: keyOf(hash) }));
  }

  async list(): Promise<string[]> {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: PREFIX, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const hash = object.Key?.slice(PREFIX.length) ?? '';
        if (HASH.test(hash)) found.push(hash);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort();
  }

  /** Closes the SDK's connection pool. */
  close(): void {
    this.client.destroy();
  }
}
