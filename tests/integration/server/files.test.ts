// File attachments on every backend: upload (auth, size limit, sniffing, image
// processing), sending with message / message-group / broadcast, what
// recipients see on WebSocket and TCP, downloads (who may, signed links,
// headers, ranges), history and offline replay, and garbage collection.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { download, pngBytes, sidewaysJpegWithGps, unsigned, upload } from '../../helpers/files';
import { startTestServer } from '../../helpers/test-server';
import { passwordOf } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';
import { WsClient } from '../../helpers/ws-client';
import { useBackend } from './harness';

async function tokenOf(client: WsClient): Promise<string> {
  return (await client.request({ type: 'file-token' })).token;
}

for (const backend of backends) {
  describe(`files [${backend.name}]`, () => {
    const h = useBackend(backend);
    const base = (k: number) => `http://127.0.0.1:${h.backend.node(k).wsPort}`;

    it('refuses uploads without a valid token (401) and names without X-File-Name (400)', async () => {
      expect((await upload(base(0), null, 'a.txt', 'hello')).status).toBe(401);
      const bad = await upload(base(0), 'not-a-token-at-all-really', 'a.txt', 'hello');
      expect(bad.status).toBe(401);
      expect(bad.body.error?.code).toBe('NOT_SIGNED_IN');
      const alice = await h.wsUser(0, 'alice');
      const res = await fetch(`${base(0)}/api/files`, { method: 'POST', headers: { authorization: `Bearer ${await tokenOf(alice)}` }, body: 'x' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    });

    it('sniffs the type from the bytes: a PNG sent as text/html is image/png, with dimensions and a thumbnail', async () => {
      const alice = await h.wsUser(0, 'alice');
      const png = await pngBytes(640, 480);
      const res = await upload(base(0), await tokenOf(alice), 'page.html', png, { 'content-type': 'text/html' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: 'page.html', size: png.length, type: 'image/png', width: 640, height: 480 });
      expect(res.body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const thumb = await download(base(0), res.body.thumbnailUrl!, null);
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get('content-type')).toBe('image/webp');
      const meta = await sharp(thumb.bytes).metadata();
      expect([meta.width, meta.height]).toEqual([480, 360]);
      // The uploader may fetch the original with a bearer token: the same bytes.
      const original = await download(base(0), unsigned(res.body.url), await tokenOf(alice));
      expect(original.status).toBe(200);
      expect(original.bytes.equals(png)).toBe(true);
      expect(original.headers.get('content-type')).toBe('image/png');
    });

    it('makes thumbnails 480 px on the longest side (sharp at 240 CSS px on 2x screens), never enlarging a smaller image', async () => {
      const alice = await h.wsUser(0, 'alice');
      const token = await tokenOf(alice);
      const thumbnailSize = async (width: number, height: number) => {
        const res = await upload(base(0), token, `${width}x${height}.png`, await pngBytes(width, height));
        expect(res.body).toMatchObject({ width, height });
        const meta = await sharp((await download(base(0), res.body.thumbnailUrl!, null)).bytes).metadata();
        return [meta.width, meta.height];
      };
      expect(await thumbnailSize(1000, 500)).toEqual([480, 240]);
      expect(await thumbnailSize(500, 1000)).toEqual([240, 480]);
      expect(await thumbnailSize(300, 200)).toEqual([300, 200]);
    });

    it('applies EXIF orientation and strips location metadata from images', async () => {
      const alice = await h.wsUser(0, 'alice');
      const jpeg = await sidewaysJpegWithGps(80, 40);
      expect((await sharp(jpeg).metadata()).exif).toBeDefined();
      const res = await upload(base(0), await tokenOf(alice), 'holiday.jpg', jpeg);
      expect(res.body).toMatchObject({ type: 'image/jpeg', width: 40, height: 80 });
      const stored = await download(base(0), res.body.url, null);
      const meta = await sharp(stored.bytes).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.orientation ?? 1).toBe(1);
      expect([meta.width, meta.height]).toEqual([40, 80]);
      expect(stored.bytes.includes(Buffer.from('TestCam'))).toBe(false);
    });

    it('refuses uploads above the size limit with 413, whether announced or streamed', async () => {
      await h.startFresh({ maxUploadBytes: 1024 });
      const alice = await h.wsUser(0, 'alice');
      const token = await tokenOf(alice);
      const announced = await upload(base(0), token, 'big.bin', Buffer.alloc(4096, 1));
      expect(announced.status).toBe(413);
      expect(announced.body.error?.code).toBe('FILE_TOO_LARGE');
      // No Content-Length: the server counts while it streams and stops at the limit.
      const chunks = async function* () {
        for (let i = 0; i < 8; i++) yield Buffer.alloc(512, 2);
      };
      const request: RequestInit & { duplex: 'half' } = {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'x-file-name': 'big.bin' },
        body: ReadableStream.from(chunks()),
        duplex: 'half',
      };
      const streamed = await fetch(`${base(0)}/api/files`, request);
      expect(streamed.status).toBe(413);
      expect((await upload(base(0), token, 'ok.bin', Buffer.alloc(1024, 3))).status).toBe(201);
    });

    it('delivers attachments to the recipient; only people who can see the message (or the uploader) can download', async () => {
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.wsUser(1, 'carol');
      const alice = await h.wsUser(0, 'alice');
      const aliceToken = await tokenOf(alice);
      const doc = await upload(base(0), aliceToken, 'notes <1>.txt', 'plain text notes\n');
      expect(doc.body.type).toBe('application/octet-stream');
      const img = await upload(base(0), aliceToken, 'cat.png', await pngBytes());
      // Text is optional when files are attached.
      const sent = await alice.request({ type: 'message', to: 'bob', attachments: [img.body.id, doc.body.id] });
      expect(sent.message.text).toBe('');
      const [got] = await bob.waitMessages(1);
      const files = got!.message.attachments!;
      expect(files.map((f) => [f.name, f.size, f.type])).toEqual([
        ['cat.png', img.body.size, 'image/png'],
        ['notes <1>.txt', 17, 'application/octet-stream'],
      ]);
      expect(files[0]).toMatchObject({ width: 64, height: 48 });
      expect(files[0]!.thumbnailUrl).toMatch(/^\/api\/files\/[\w-]{22}\/thumbnail\?expires=\d+&sig=/);
      expect(files[1]!.thumbnailUrl).toBeUndefined();

      const bobToken = await tokenOf(bob);
      const carolToken = await tokenOf(carol);
      const asBob = await download(base(1), unsigned(files[1]!.url), bobToken);
      expect(asBob.status).toBe(200);
      expect(asBob.bytes.toString()).toBe('plain text notes\n');
      expect(asBob.headers.get('content-disposition')).toMatch(/^attachment; filename="notes <1>.txt"/);
      expect(asBob.headers.get('x-content-type-options')).toBe('nosniff');
      expect(asBob.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      const image = await download(base(1), unsigned(files[0]!.url), bobToken);
      expect(image.headers.get('content-disposition')).toMatch(/^inline; /);
      // Carol saw no message carrying them: 404, exactly as for a file that does not exist.
      expect((await download(base(1), unsigned(files[1]!.url), carolToken)).status).toBe(404);
      expect((await download(base(1), '/api/files/AAAAAAAAAAAAAAAAAAAAAA', carolToken)).status).toBe(404);
      // Nor may she forward them.
      expect((await carol.expectError({ type: 'message', to: 'alice', attachments: [doc.body.id] })).code).toBe('UNKNOWN_FILE');
      // The signed link works without a token; a tampered one does not.
      expect((await download(base(1), files[1]!.url, null)).status).toBe(200);
      expect(
        (
          await download(
            base(1),
            files[1]!.url.replace(/sig=(.)/, (_, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`),
            null,
          )
        ).status,
      ).toBe(404);
      expect((await download(base(1), files[1]!.url.replace(/expires=\d+/, 'expires=99999999999999'), null)).status).toBe(404);
      expect((await download(base(1), unsigned(files[1]!.url), null)).status).toBe(401);
    });

    it('rejects unknown ids and files uploaded by someone else and never sent', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const bobs = await upload(base(1), await tokenOf(bob), 'b.txt', 'b');
      expect((await alice.expectError({ type: 'message', to: 'bob', attachments: ['AAAAAAAAAAAAAAAAAAAAAA'] })).code).toBe('UNKNOWN_FILE');
      expect((await alice.expectError({ type: 'broadcast', attachments: [bobs.body.id] })).code).toBe('UNKNOWN_FILE');
      expect((await alice.expectError({ type: 'message', to: 'bob', attachments: ['../../etc/passwd'] })).code).toBe('BAD_REQUEST');
      expect((await alice.expectError({ type: 'message', to: 'bob' } as never)).code).toBe('BAD_REQUEST');
      expect((await alice.expectError({ type: 'message', to: 'bob', text: ' ', attachments: [] })).code).toBe('BAD_REQUEST');
    });

    it('answers byte ranges (206), suffix ranges, and unsatisfiable ones (416)', async () => {
      const alice = await h.wsUser(0, 'alice');
      const token = await tokenOf(alice);
      const bytes = Buffer.from(Array.from({ length: 700_000 }, (_, i) => i % 251));
      const res = await upload(base(0), token, 'data.bin', bytes);
      const path = unsigned(res.body.url);
      const mid = await download(base(0), path, token, { range: 'bytes=262100-524300' });
      expect(mid.status).toBe(206);
      expect(mid.headers.get('content-range')).toBe(`bytes 262100-524300/${bytes.length}`);
      expect(mid.bytes.equals(bytes.subarray(262100, 524301))).toBe(true);
      const tail = await download(base(0), path, token, { range: 'bytes=-10' });
      expect(tail.bytes.equals(bytes.subarray(bytes.length - 10))).toBe(true);
      const open = await download(base(0), path, token, { range: 'bytes=699990-' });
      expect(open.bytes.equals(bytes.subarray(699990))).toBe(true);
      const outside = await download(base(0), path, token, { range: `bytes=${bytes.length}-` });
      expect(outside.status).toBe(416);
      expect(outside.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
      // An end before the start makes the range invalid (RFC 9110), not unsatisfiable: ignored, the whole file is sent.
      const reversed = await download(base(0), path, token, { range: 'bytes=500-400' });
      expect(reversed.status).toBe(200);
      expect(reversed.headers.get('content-range')).toBeNull();
      expect(reversed.bytes.equals(bytes)).toBe(true);
      const whole = await download(base(0), path, token);
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
      expect(whole.bytes.equals(bytes)).toBe(true);
    });

    it('group members (now, not former ones) can download; broadcasts reach online users; history and the offline list carry files', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const aliceToken = await tokenOf(alice);
      await alice.request({ type: 'create-group', group: 'team', members: ['bob', 'dave'] });
      const f = await upload(base(0), aliceToken, 'plan.pdf', '%PDF-1.4\n%fake\n');
      expect(f.body.type).toBe('application/pdf');
      await alice.request({ type: 'message-group', group: 'team', text: 'the plan', attachments: [f.body.id] });
      const [got] = await bob.waitMessages(1);
      const path = unsigned(got!.message.attachments![0]!.url);
      expect((await download(base(1), path, await tokenOf(bob))).status).toBe(200);
      // dave was offline: the file waits for him with the message.
      const dave = await h.wsUser(1, 'dave');
      const offline = await dave.request({ type: 'offline' });
      expect(offline.messages[0]!.message.attachments?.[0]?.name).toBe('plan.pdf');
      const history = await dave.request({ type: 'history', with: 'team', group: true });
      expect(history.messages[0]!.attachments?.[0]?.id).toBe(f.body.id);
      const daveToken = await tokenOf(dave);
      expect((await download(base(1), path, daveToken)).status).toBe(200);
      await alice.request({ type: 'group-remove', group: 'team', members: ['dave'] });
      expect((await download(base(1), path, daveToken)).status).toBe(404);

      const g = await upload(base(0), aliceToken, 'all.txt', 'for everyone');
      await alice.request({ type: 'broadcast', attachments: [g.body.id] });
      const [bc] = await bob.waitMessages(1);
      expect(bc!.message.attachments![0]!.name).toBe('all.txt');
      expect((await download(base(1), unsigned(bc!.message.attachments![0]!.url), await tokenOf(bob))).status).toBe(200);
    });

    it('who may download follows the messages that carry a file: every user for a broadcast (offline ones too), nobody else once it is deleted', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const aliceToken = await tokenOf(alice);
      const all = await upload(base(0), aliceToken, 'all.txt', 'for everyone');
      await alice.request({ type: 'broadcast', attachments: [all.body.id] });
      // carol was offline when it was sent; the broadcast is hers to see (Everyone's history), and so is its file.
      const carol = await h.wsUser(1, 'carol');
      const everyone = await carol.request({ type: 'history', everyone: true });
      expect(everyone.messages[0]!.attachments?.[0]?.id).toBe(all.body.id);
      const carolToken = await tokenOf(carol);
      expect((await download(base(1), `/api/files/${all.body.id}`, carolToken)).status).toBe(200);
      // She may forward it too, as any file she can download.
      await carol.request({ type: 'message', to: 'bob', attachments: [all.body.id] });

      const secret = await upload(base(0), aliceToken, 'secret.txt', 'not for long');
      const sent = await alice.request({ type: 'message', to: 'bob', attachments: [secret.body.id] });
      const bobToken = await tokenOf(bob);
      expect((await download(base(1), `/api/files/${secret.body.id}`, bobToken)).status).toBe(200);
      await alice.request({ type: 'delete', messageId: sent.message.id });
      // No message carries it any more: bob gets 404 as for any file he cannot see; the uploader still can.
      expect((await download(base(1), `/api/files/${secret.body.id}`, bobToken)).status).toBe(404);
      expect((await bob.expectError({ type: 'message', to: 'carol', attachments: [secret.body.id] })).code).toBe('UNKNOWN_FILE');
      expect((await download(base(0), `/api/files/${secret.body.id}`, aliceToken)).status).toBe(200);
    });

    it('TCP shows [file: name (size)] with a signed link that downloads', async () => {
      const bob = await h.tcpUser(1, 'bob');
      const alice = await h.wsUser(0, 'alice');
      const f = await upload(base(0), await tokenOf(alice), 'report.txt', 'x'.repeat(2048));
      await alice.request({ type: 'message', to: 'bob', text: 'see this', attachments: [f.body.id] });
      const line = await bob.waitLine(/report\.txt/);
      const match = /alice \(private\): see this \[file: report\.txt \(2\.0 KiB\)\] (http:\/\/\S+)$/.exec(line);
      expect(match, line).not.toBeNull();
      const res = await fetch(match![1]!);
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBe(2048);
    });

    it('TCP sends files it uploaded over HTTP with "+file <id>": WebSocket and TCP recipients (and group members) get them', async () => {
      const alice = await h.tcpUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const carol = await h.tcpUser(1, 'carol');
      alice.send('file-token');
      const token = /^File token: (\S+) /.exec(await alice.waitLine(/^File token: /))![1]!;
      const f = await upload(base(0), token, 'notes.txt', 'y'.repeat(3000));
      expect(f.status).toBe(201);

      alice.send(`message bob have a look +file ${f.body.id}`);
      await alice.waitLine('Sent to bob.');
      const [got] = await bob.waitMessages(1);
      expect(got!.message).toMatchObject({ from: 'alice', text: 'have a look' });
      expect(got!.message.attachments).toEqual([expect.objectContaining({ id: f.body.id, name: 'notes.txt', size: 3000, type: 'application/octet-stream' })]);
      expect((await download(base(1), unsigned(got!.message.attachments![0]!.url), await tokenOf(bob))).status).toBe(200);

      // No text at all: the file is the message.
      alice.send(`message carol +file ${f.body.id}`);
      await alice.waitLine('Sent to carol.');
      const line = await carol.waitLine(/notes\.txt/);
      const match = /alice \(private\): \[file: notes\.txt \(2\.9 KiB\)\] (http:\/\/\S+)$/.exec(line);
      expect(match, line).not.toBeNull();
      const res = await fetch(match![1]!);
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBe(3000);

      // Groups and broadcasts take the same suffix.
      alice.send('create group crew bob carol');
      await alice.waitLine(/crew/);
      alice.send(`message group crew for the crew +file ${f.body.id}`);
      await alice.waitLine('Sent to group crew.');
      const [grouped] = await bob.waitMessages(1);
      expect(grouped!.message).toMatchObject({ kind: 'group', group: 'crew', text: 'for the crew' });
      expect(grouped!.message.attachments?.[0]?.id).toBe(f.body.id);
      await carol.waitLine(/\(group crew\): for the crew \[file: notes\.txt/);

      // Someone else's unsent upload, or an id that is not one, gets a clear error and sends nothing.
      const bobs = await upload(base(1), await tokenOf(bob), 'private.txt', 'mine');
      alice.send(`message bob mine now +file ${bobs.body.id}`);
      await alice.waitLine(/^error UNKNOWN_FILE: No file ".+" you can send/);
      alice.send('message bob hi +file not-an-id');
      await alice.waitLine(/^error BAD_REQUEST: attachments\.0: must be a file id returned by POST \/api\/files/);
      alice.send('message bob plain text after the errors');
      const [plain] = await bob.waitMessages(1);
      expect(plain!.message.text).toBe('plain text after the errors');
    });

    it('a per-user quota (--quota-mib) counts sent and unsent uploads, announced or streamed: QUOTA_EXCEEDED (413) past it', async () => {
      await h.startFresh({ quotaBytes: 4096 });
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const token = await tokenOf(alice);
      const first = await upload(base(0), token, 'first.bin', Buffer.alloc(3000, 1));
      expect(first.status).toBe(201);
      await alice.request({ type: 'message', to: 'bob', attachments: [first.body.id] });
      await bob.waitMessages(1);
      // Content-Length says it will not fit: refused before reading.
      const announced = await upload(base(0), token, 'second.bin', Buffer.alloc(2000, 2));
      expect(announced.status).toBe(413);
      expect(announced.body.error?.code).toBe('QUOTA_EXCEEDED');
      // No Content-Length: counted while it streams, cut off once past what is left.
      const chunks = async function* () {
        for (let i = 0; i < 4; i++) yield Buffer.alloc(500, 3);
      };
      const request: RequestInit & { duplex: 'half' } = {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'x-file-name': 'streamed.bin' },
        body: ReadableStream.from(chunks()),
        duplex: 'half',
      };
      const streamed = await fetch(`${base(0)}/api/files`, request);
      expect(streamed.status).toBe(413);
      expect(((await streamed.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'QUOTA_EXCEEDED',
        message: expect.stringContaining('quota'),
      });
      // What is left still fits, and other users have quotas of their own.
      expect((await upload(base(0), token, 'fits.bin', Buffer.alloc(1096, 4))).status).toBe(201);
      expect((await upload(base(0), token, 'one-more.bin', 'x')).body.error?.code).toBe('QUOTA_EXCEEDED');
      expect((await upload(base(1), await tokenOf(bob), 'bobs.bin', Buffer.alloc(4000, 5))).status).toBe(201);
    });

    it('file-token: a session without "remember me" gets a token that logout revokes', async () => {
      const alice = await h.wsUser(0, 'alice');
      const { token, expiresAt } = await alice.request({ type: 'file-token' });
      expect(expiresAt).toBeGreaterThan(Date.now());
      expect((await alice.request({ type: 'file-token' })).token).toBe(token);
      expect((await upload(base(0), token, 'a.txt', 'a')).status).toBe(201);
      await alice.request({ type: 'logout' });
      expect((await upload(base(0), token, 'a.txt', 'a')).status).toBe(401);
    });
  });

  describe(`file garbage collection [${backend.name}]`, () => {
    const h = useBackend(backend, { uploadGraceHours: 0.0001, fileGcMinutes: 0.002 });
    const base = (k: number) => `http://127.0.0.1:${h.backend.node(k).wsPort}`;

    it('deletes uploads never sent once the grace period is over, and keeps files a message carries', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const token = await tokenOf(alice);
      const sent = await upload(base(0), token, 'kept.txt', 'kept');
      const unsent = await upload(base(0), token, 'dropped.txt', 'dropped');
      await alice.request({ type: 'message', to: 'bob', attachments: [sent.body.id] });
      await bob.waitMessages(1);
      await waitUntil(async () => (await download(base(0), unsigned(unsent.body.url), token)).status === 404, 'the unsent upload is collected', 10_000);
      expect((await download(base(0), unsigned(sent.body.url), token)).status).toBe(200);
      expect((await alice.expectError({ type: 'message', to: 'bob', attachments: [unsent.body.id] })).code).toBe('UNKNOWN_FILE');
    });
  });
}

describe('files: one stored copy however many receive it [sqlite]', () => {
  it('a file sent to a 1,000-member group (and uploaded twice) is stored once, and members can download it', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `m${i}`);
    const srv = await startTestServer({ users: Object.fromEntries(names.map((u) => [u, passwordOf('alice')])) });
    const clients: WsClient[] = [];
    try {
      const base = `http://127.0.0.1:${srv.wsPort}`;
      const owner = await WsClient.connect(srv.wsUrl);
      clients.push(owner);
      await owner.login('m0', passwordOf('alice'));
      await owner.request({ type: 'create-group', group: 'everyone-here', members: names.slice(1) });
      const bytes = Buffer.alloc(300_000, 7);
      const ownerToken = await tokenOf(owner);
      const first = await upload(base, ownerToken, 'big.bin', bytes);
      const sent = await owner.request({ type: 'message-group', group: 'everyone-here', text: 'for all', attachments: [first.body.id] });
      expect(sent.queued).toHaveLength(999);

      const member = await WsClient.connect(srv.wsUrl);
      clients.push(member);
      await member.login('m999', passwordOf('alice'));
      const [waiting] = (await member.request({ type: 'offline' })).messages;
      const memberToken = await tokenOf(member);
      const got = await download(base, unsigned(waiting!.message.attachments![0]!.url), memberToken);
      expect(got.bytes.equals(bytes)).toBe(true);
      // The same bytes uploaded again by someone else: a new file id, no new copy.
      const again = await upload(base, memberToken, 'copy.bin', bytes);
      expect(again.body.id).not.toBe(first.body.id);

      const blobFiles = await readdir(path.join(srv.dataDir, 'files'), { recursive: true });
      const stored = blobFiles.filter((f) => /[0-9a-f]{64}$/.test(f));
      expect(stored).toHaveLength(1);
      expect((await stat(path.join(srv.dataDir, 'files', stored[0]!))).size).toBe(bytes.length);
    } finally {
      for (const c of clients) c.kill();
      await srv.stop();
    }
  }, 60_000);
});
