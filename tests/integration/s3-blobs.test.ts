// The S3 blob store (--blob-store s3) against a real S3-compatible server over
// HTTP: s3rver, run in this process on a free port with a temporary directory.
// The BlobStore contract (once per hash, ranges, missing blobs), then a server
// whose uploads live in the bucket: upload, ranged download, garbage collection.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../server/store/blobs/s3';
import { download, pngBytes, unsigned, upload } from '../helpers/files';
import { startTestServer, type TestServer } from '../helpers/test-server';
import { waitUntil } from '../helpers/wait';
import { WsClient } from '../helpers/ws-client';
import { passwordOf } from '../helpers/users';

const BUCKET = 'chat-blobs';
let dir: string;
let s3: S3rver;
let endpoint: string;
const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chat-s3-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 'bucket-data') });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  // The standard AWS variables are where the server takes its credentials from; s3rver's are fixed.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  admin.destroy();
});

afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
  process.env.AWS_ACCESS_KEY_ID = savedEnv.id;
  process.env.AWS_SECRET_ACCESS_KEY = savedEnv.secret;
  if (savedEnv.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  if (savedEnv.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
});

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

async function objectKeys(): Promise<string[]> {
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    return (page.Contents ?? []).map((o) => o.Key ?? '');
  } finally {
    client.destroy();
  }
}

describe('S3BlobStore', () => {
  it('stores a blob once under blobs/<sha256>, reads byte ranges, lists, deletes; missing blobs read as errors', async () => {
    const store = new S3BlobStore({ bucket: BUCKET, endpoint, region: null });
    try {
      const content = Buffer.from(`0123456789-${Date.now()}`);
      const hash = createHash('sha256').update(content).digest('hex');
      const source = join(dir, 'src');
      await writeFile(source, content);
      expect(await store.has(hash)).toBe(false);
      await store.put(hash, source);
      await store.put(hash, source);
      expect(await store.has(hash)).toBe(true);
      expect(await objectKeys()).toContain(`blobs/${hash}`);
      expect((await store.list()).filter((h) => h === hash)).toEqual([hash]);
      expect((await readAll(store.read(hash, 0, content.length - 1))).equals(content)).toBe(true);
      expect((await readAll(store.read(hash, 3, 6))).toString()).toBe('3456');
      // A range past the end is cut at the end (what thumbnails' sizes rely on).
      expect((await readAll(store.read(hash, 0, Number.MAX_SAFE_INTEGER - 1))).length).toBe(content.length);

      const empty = createHash('sha256').update('').digest('hex');
      await writeFile(source, '');
      await store.put(empty, source);
      expect((await readAll(store.read(empty, 0, Number.MAX_SAFE_INTEGER - 1))).length).toBe(0);

      await store.delete(hash);
      await store.delete(hash);
      expect(await store.has(hash)).toBe(false);
      await expect(readAll(store.read(hash, 0, 1))).rejects.toThrow();
      expect(() => store.read('../../etc/passwd', 0, 1)).toThrow(/Invalid blob hash/);
    } finally {
      store.close();
    }
  });
});

describe('a server with --blob-store s3', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ blobStore: 's3', s3Bucket: BUCKET, s3Endpoint: endpoint, uploadGraceHours: 0.0001, fileGcMinutes: 0.002 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps upload bytes in the bucket: upload, send, ranged download, and garbage collection of unsent uploads', async () => {
    const base = `http://127.0.0.1:${server.wsPort}`;
    const alice = await WsClient.connect(server.wsUrl);
    const bob = await WsClient.connect(server.wsUrl);
    try {
      await alice.login('alice', passwordOf('alice'));
      await bob.login('bob', passwordOf('bob'));
      const token = (await alice.request({ type: 'file-token' })).token;
      const body = `kept in the bucket ${Date.now()}`;
      const sent = await upload(base, token, 'kept.txt', body);
      expect(sent.status).toBe(201);
      const hash = createHash('sha256').update(body).digest('hex');
      expect(await objectKeys()).toContain(`blobs/${hash}`);
      await alice.request({ type: 'message', to: 'bob', text: 'from S3', attachments: [sent.body.id] });
      const [got] = await bob.waitMessages(1);
      const url = got!.message.attachments![0]!.url;
      const whole = await download(base, url, null);
      expect(whole.status).toBe(200);
      expect(whole.bytes.toString()).toBe(body);
      const part = await download(base, url, null, { range: 'bytes=0-3' });
      expect(part.status).toBe(206);
      expect(part.bytes.toString()).toBe('kept');

      const unsentBody = `never sent ${Date.now()}`;
      const unsent = await upload(base, token, 'dropped.txt', unsentBody);
      const unsentHash = createHash('sha256').update(unsentBody).digest('hex');
      expect(await objectKeys()).toContain(`blobs/${unsentHash}`);
      await waitUntil(async () => !(await objectKeys()).includes(`blobs/${unsentHash}`), 'the unsent upload leaves the bucket', 15_000);
      expect((await download(base, unsigned(unsent.body.url), token)).status).toBe(404);
      expect(await objectKeys()).toContain(`blobs/${hash}`);
      expect((await download(base, url, null)).bytes.toString()).toBe(body);
    } finally {
      alice.kill();
      bob.kill();
    }
  });

  it("makes a picture's avatar picture from the bucket's copy, serves it from there, and deletes it once the picture is replaced and collected", async () => {
    const base = `http://127.0.0.1:${server.wsPort}`;
    const carol = await WsClient.connect(server.wsUrl);
    try {
      await carol.login('carol', passwordOf('carol'));
      const token = (await carol.request({ type: 'file-token' })).token;
      const first = await upload(base, token, 'first.png', await pngBytes(100, 90));
      const link = (await carol.request({ type: 'profile', avatar: first.body.id })).avatarUrl!;
      expect(link).toMatch(/\/avatar\?/);
      const got = await download(base, link, null);
      expect(got.status).toBe(200);
      const avatarKey = `blobs/${got.headers.get('etag')!.replaceAll('"', '')}`;
      expect(await objectKeys()).toContain(avatarKey);
      // Another size: a one-colour square of the same size would be the very same avatar picture, kept while in use.
      const second = await upload(base, token, 'second.png', await pngBytes(120, 110));
      await carol.request({ type: 'profile', avatar: second.body.id });
      await waitUntil(async () => !(await objectKeys()).includes(avatarKey), "the replaced picture's avatar picture leaves the bucket", 15_000);
    } finally {
      carol.kill();
    }
  });
});
