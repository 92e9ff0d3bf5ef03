// Profiles on every backend: setting a display name and a picture (validation,
// the picture must be an image the caller uploaded), reading them (profile,
// profiles, users, whoelse, wholasthr, the sign-in reply), the live `profile`
// event to others (across nodes on the cluster), the picture readable by
// everyone and kept by garbage collection, its small avatar picture (on every
// node, after a restart, and for pictures set before avatar pictures existed),
// TCP commands, and a restart.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends';
import { runCli } from '../../helpers/cli';
import { download, pngBytes, unsigned, upload } from '../../helpers/files';
import { startTestServer, testClock } from '../../helpers/test-server';
import { passwordOf } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';
import { WsClient } from '../../helpers/ws-client';
import { useBackend } from './harness';

async function tokenOf(client: WsClient): Promise<string> {
  return (await client.request({ type: 'file-token' })).token;
}

/** A picture's link: its avatar picture, signed. */
const SIGNED = /^\/api\/files\/[A-Za-z0-9_-]{22}\/avatar\?expires=\d+&sig=[A-Za-z0-9_-]+$/;
/** The link of a picture set before avatar pictures existed: its thumbnail. */
const SIGNED_THUMBNAIL = /^\/api\/files\/[A-Za-z0-9_-]{22}\/thumbnail\?expires=\d+&sig=[A-Za-z0-9_-]+$/;

/** Format and dimensions of an image response, read with sharp. */
async function pictureOf(bytes: Buffer): Promise<{ format: string | undefined; width: number; height: number }> {
  const { format, width, height } = await sharp(bytes).metadata();
  return { format, width, height };
}

for (const backend of backends) {
  describe(`profiles [${backend.name}]`, () => {
    const h = useBackend(backend, { uploadGraceHours: 0.0001, fileGcMinutes: 0.002 });
    const base = (k: number) => `http://127.0.0.1:${h.backend.node(k).wsPort}`;

    it('WS: sets a display name (trimmed, NFC) and a picture; others get a profile event and see both in users, whoelse, wholasthr and profiles', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      expect(await alice.request({ type: 'profile' })).toEqual({ username: 'alice', displayName: null, avatarUrl: null });

      // "e" + combining acute: stored composed (NFC), spaces around it trimmed.
      const named = await alice.request({ type: 'profile', displayName: '  Alice Lidde\u0301ll  ' });
      expect(named).toEqual({ username: 'alice', displayName: 'Alice Lidd\u00e9ll', avatarUrl: null });
      expect(await bob.waitEvent('profile')).toEqual({
        type: 'event',
        event: 'profile',
        username: 'alice',
        displayName: 'Alice Lidd\u00e9ll',
        avatarUrl: null,
      });

      const png = await upload(base(0), await tokenOf(alice), 'me.png', await pngBytes(400, 400));
      const pictured = await alice.request({ type: 'profile', avatar: png.body.id });
      // Only the picture changed: the display name stays.
      expect(pictured).toMatchObject({ username: 'alice', displayName: 'Alice Lidd\u00e9ll', avatarUrl: expect.stringMatching(SIGNED) });
      const event = await bob.waitEvent('profile', (e) => e.avatarUrl !== null);
      expect(event).toMatchObject({ username: 'alice', displayName: 'Alice Lidd\u00e9ll', avatarUrl: expect.stringMatching(SIGNED) });
      // The picture's signed link works for anyone holding it (bob is on the other node on the cluster) ...
      const viaLink = await download(base(1), event.avatarUrl!, null);
      expect(viaLink.status).toBe(200);
      expect(viaLink.headers.get('content-type')).toBe('image/webp');
      // ... and bob may read it with his token too: a picture is readable by everyone signed in.
      expect((await download(base(1), unsigned(event.avatarUrl!), await tokenOf(bob))).status).toBe(200);
      expect((await download(base(1), `/api/files/${png.body.id}`, await tokenOf(bob))).status).toBe(200);

      const users = await bob.request({ type: 'users' });
      expect(users.users.find((u) => u.username === 'alice')).toMatchObject({ displayName: 'Alice Lidd\u00e9ll', avatarUrl: expect.stringMatching(SIGNED) });
      expect(users.users.find((u) => u.username === 'carol')).toEqual({
        username: 'carol',
        online: false,
        lastLoginAt: null,
        displayName: null,
        avatarUrl: null,
      });
      const online = await bob.request({ type: 'whoelse' });
      expect(online.users).toEqual(['alice']);
      expect(online.profiles).toEqual([expect.objectContaining({ username: 'alice', displayName: 'Alice Lidd\u00e9ll' })]);
      expect((await bob.request({ type: 'wholasthr' })).users).toEqual([
        expect.objectContaining({ username: 'alice', online: true, displayName: 'Alice Lidd\u00e9ll' }),
      ]);
      // The lookup matches names in any case and leaves unknown ones out.
      const looked = await bob.request({ type: 'profiles', users: ['ALICE', 'nobody', 'carol'] });
      expect(looked.users.map((u) => [u.username, u.displayName])).toEqual([
        ['alice', 'Alice Lidd\u00e9ll'],
        ['carol', null],
      ]);
      expect(await bob.request({ type: 'profile', user: 'Alice' })).toMatchObject({ username: 'alice', displayName: 'Alice Lidd\u00e9ll' });

      // The sign-in reply carries one's own profile.
      alice.close();
      const again = await h.ws(0);
      // The session ends just after the close: a sign-in may briefly find it still held.
      let login: Awaited<ReturnType<WsClient['login']>> | null = null;
      await waitUntil(
        async () => {
          login = await again.login('alice', passwordOf('alice')).catch(() => null);
          return login !== null;
        },
        'alice signs in again',
        15_000,
      );
      expect(login!.profile).toMatchObject({ username: 'alice', displayName: 'Alice Lidd\u00e9ll', avatarUrl: expect.stringMatching(SIGNED) });

      // null clears: back to the username and initials.
      expect(await again.request({ type: 'profile', displayName: null, avatar: null })).toEqual({ username: 'alice', displayName: null, avatarUrl: null });
      await bob.waitEvent('profile', (e) => e.displayName === null && e.avatarUrl === null);
    });

    it("the picture's link serves a 128 px square WebP on every node, with HEAD, ranges and signatures as for thumbnails", async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      const wide = await upload(base(0), await tokenOf(alice), 'wide.png', await pngBytes(1000, 600));
      await alice.request({ type: 'profile', avatar: wide.body.id });
      // bob is on the other node on the cluster: it did not receive the upload, nor make the picture.
      const link = (await bob.waitEvent('profile', (e) => e.avatarUrl !== null)).avatarUrl!;
      expect(link).toMatch(SIGNED);
      const got = await download(base(1), link, null);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('image/webp');
      expect(got.headers.get('content-disposition')).toMatch(/^inline; filename="wide\.png\.avatar\.webp"/);
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(got.headers.get('cache-control')).toBe('private, max-age=3600');
      expect(await pictureOf(got.bytes)).toEqual({ format: 'webp', width: 128, height: 128 });
      // Far smaller than the thumbnail that served as the picture before.
      const thumbnail = await download(base(1), wide.body.thumbnailUrl!, null);
      expect(got.bytes.length).toBeLessThan(thumbnail.bytes.length);

      const head = await fetch(`${base(1)}${link}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(got.bytes.length));
      expect(head.headers.get('etag')).toBe(got.headers.get('etag'));
      const part = await download(base(1), link, null, { range: 'bytes=0-9' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 0-9/${got.bytes.length}`);
      expect(part.bytes).toEqual(got.bytes.subarray(0, 10));
      expect((await download(base(1), link, null, { 'if-none-match': got.headers.get('etag')! })).status).toBe(304);

      // Refused like a thumbnail's: a tampered signature or expiry, the thumbnail's signature, no credentials.
      const tampered = link.replace(/sig=(.)/, (_, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
      expect((await download(base(1), tampered, null)).status).toBe(404);
      expect((await download(base(1), link.replace(/expires=\d+/, 'expires=99999999999999'), null)).status).toBe(404);
      expect((await download(base(1), `${unsigned(link)}?${wide.body.thumbnailUrl!.split('?')[1]!}`, null)).status).toBe(404);
      expect((await download(base(1), unsigned(link), null)).status).toBe(401);
      expect((await download(base(1), unsigned(link), await tokenOf(bob))).status).toBe(200);
      // Only pictures have one: an image never set as a picture has no avatar picture.
      const other = await upload(base(0), await tokenOf(alice), 'other.png', await pngBytes(300, 300));
      expect((await download(base(0), `/api/files/${other.body.id}/avatar`, await tokenOf(alice))).status).toBe(404);

      // A picture smaller than 128 px is cropped square, never enlarged.
      const small = await upload(base(0), await tokenOf(alice), 'small.png', await pngBytes(40, 30));
      const smallLink = (await alice.request({ type: 'profile', avatar: small.body.id })).avatarUrl!;
      expect(await pictureOf((await download(base(1), smallLink, null)).bytes)).toEqual({ format: 'webp', width: 30, height: 30 });
    });

    it('WS: refuses bad display names and pictures that are not images the caller uploaded', async () => {
      const alice = await h.wsUser(0, 'alice');
      const bob = await h.wsUser(1, 'bob');
      for (const bad of ['', '   ', 'x'.repeat(65), 'line\nbreak', 'tab\there', 'bidi \u202e spoof', 'nul\0']) {
        const err = await alice.expectError({ type: 'profile', displayName: bad });
        expect(err.code, JSON.stringify(bad)).toBe('BAD_REQUEST');
        expect(err.message).toMatch(/^profile: displayName: /);
      }
      // 64 characters is the limit, counted in characters (not UTF-16 units).
      expect((await alice.request({ type: 'profile', displayName: '\u{1F600}'.repeat(64) })).displayName).toBe('\u{1F600}'.repeat(64));
      expect((await alice.expectError({ type: 'profile', avatar: 'not-an-id' })).code).toBe('BAD_REQUEST');
      expect((await alice.expectError({ type: 'profile', avatar: 'AAAAAAAAAAAAAAAAAAAAAA' })).code).toBe('UNKNOWN_FILE');
      const text = await upload(base(0), await tokenOf(alice), 'notes.txt', 'just words');
      expect(await alice.expectError({ type: 'profile', avatar: text.body.id })).toMatchObject({ code: 'NOT_AN_IMAGE' });
      // bob's picture is not alice's to take, even once she can read it.
      const bobs = await upload(base(1), await tokenOf(bob), 'bob.png', await pngBytes());
      await bob.request({ type: 'profile', avatar: bobs.body.id });
      expect((await alice.expectError({ type: 'profile', avatar: bobs.body.id })).code).toBe('UNKNOWN_FILE');
      expect((await alice.expectError({ type: 'profile', user: 'bob', displayName: 'Bobby' })).code).toBe('BAD_REQUEST');
      expect((await alice.expectError({ type: 'profile', user: 'zed' })).code).toBe('UNKNOWN_USER');
      expect((await alice.expectError({ type: 'profiles', users: [] })).code).toBe('BAD_REQUEST');
      const anon = await h.ws(0);
      expect((await anon.expectError({ type: 'profile' })).code).toBe('NOT_SIGNED_IN');
      // Nothing of that changed alice's profile.
      expect(await bob.request({ type: 'profile', user: 'alice' })).toMatchObject({ displayName: '\u{1F600}'.repeat(64), avatarUrl: null });
    });

    it("a picture is never collected while it is someone's picture; once replaced, it is", async () => {
      const alice = await h.wsUser(0, 'alice');
      const token = await tokenOf(alice);
      const first = await upload(base(0), token, 'one.png', await pngBytes(50, 50));
      const marker = await upload(base(0), token, 'marker.txt', 'collected first');
      await alice.request({ type: 'profile', avatar: first.body.id });
      // The collector runs every few milliseconds here: an unsent upload goes, the picture stays.
      await waitUntil(async () => (await download(base(0), unsigned(marker.body.url), token)).status === 404, 'the unsent upload is collected', 15_000);
      expect((await download(base(0), unsigned(first.body.url), token)).status).toBe(200);
      const second = await upload(base(0), token, 'two.png', await pngBytes(60, 60));
      await alice.request({ type: 'profile', avatar: second.body.id });
      await waitUntil(async () => (await download(base(0), unsigned(first.body.url), token)).status === 404, 'the replaced picture is collected', 15_000);
      expect((await download(base(0), `/api/files/${first.body.id}/avatar`, token)).status).toBe(404);
      expect((await download(base(0), unsigned(second.body.url), token)).status).toBe(200);
    });

    it('TCP: profile, profile <user>, profile name, profile avatar and profiles; profile events as lines', async () => {
      const alice = await h.tcpUser(0, 'alice');
      const bob = await h.tcpUser(1, 'bob');
      alice.send('profile');
      await alice.waitLine('alice: no display name, no picture');
      alice.send('profile name   Alice  Liddell ');
      await alice.waitLine('alice: "Alice  Liddell", no picture');
      await bob.waitLine('* alice updated their profile: display name "Alice  Liddell", no picture');
      bob.send('profile alice');
      await bob.waitLine('alice: "Alice  Liddell", no picture');
      bob.send('profile @ALICE');
      await bob.waitLine('alice: "Alice  Liddell", no picture');
      bob.send('profiles carol alice');
      await bob.waitLine('carol: no display name, no picture');
      await bob.waitLine('alice: "Alice  Liddell", no picture');

      const ws = await h.wsUser(0, 'carol');
      const png = await upload(base(0), await tokenOf(ws), 'c.png', await pngBytes());
      await ws.request({ type: 'logout' });
      alice.send(`profile avatar ${png.body.id}`);
      await alice.waitLine(/^error UNKNOWN_FILE: /);
      alice.send('file-token');
      const tokenLine = await alice.waitLine(/^File token: /);
      const token = /^File token: (\S+)/.exec(tokenLine)![1]!;
      const own = await upload(base(0), token, 'a.png', await pngBytes());
      alice.send(`profile avatar ${own.body.id}`);
      await alice.waitLine(/^alice: "Alice {2}Liddell", picture http:\/\/127\.0\.0\.1:\d+\/api\/files\/[A-Za-z0-9_-]{22}\/avatar\?expires=\d+&sig=/);
      await bob.waitLine('* alice updated their profile: display name "Alice  Liddell", new picture');
      alice.send('profile avatar');
      await alice.waitLine('alice: "Alice  Liddell", no picture');
      alice.send('profile name');
      await alice.waitLine('alice: no display name, no picture');
      alice.send(`profile name ${'x'.repeat(65)}`);
      await alice.waitLine(/^error BAD_REQUEST: displayName: must be at most 64 characters \(usage: profile /);
      alice.send('profile bob carol');
      await alice.waitLine(/^error BAD_REQUEST: Usage: profile /);
      alice.send('profile zed');
      await alice.waitLine('error UNKNOWN_USER: No user "zed"');
    });

    it.runIf(backend.canRestart)('a profile survives a restart (runs only where the backend can restart: single node)', async () => {
      const alice = await h.wsUser(0, 'alice');
      const png = await upload(base(0), await tokenOf(alice), 'me.png', await pngBytes());
      await alice.request({ type: 'profile', displayName: 'Alice', avatar: png.body.id });
      alice.close();
      await h.backend.restart!();
      const bob = await h.wsUser(0, 'bob');
      const seen = await bob.request({ type: 'profile', user: 'alice' });
      expect(seen).toMatchObject({ displayName: 'Alice', avatarUrl: expect.stringMatching(SIGNED) });
      const got = await download(base(0), seen.avatarUrl!, null);
      expect(got.status).toBe(200);
      expect(await pictureOf(got.bytes)).toEqual({ format: 'webp', width: 48, height: 48 });
    });
  });
}

describe('profiles and the admin CLI [sqlite]', () => {
  it('users rename carries the profile to the new name; users delete removes it', async () => {
    const srv = await startTestServer();
    const clients: WsClient[] = [];
    try {
      const store = ['--data', srv.dataDir, '--hash-cost', '4'];
      const alice = await WsClient.connect(srv.wsUrl);
      clients.push(alice);
      await alice.login('alice', passwordOf('alice'));
      const png = await upload(`http://127.0.0.1:${srv.wsPort}`, await tokenOf(alice), 'me.png', await pngBytes());
      await alice.request({ type: 'profile', displayName: 'Alice', avatar: png.body.id });
      alice.close();
      const renamed = await runCli(['users', 'rename', 'alice', 'alicia', ...store]);
      expect(renamed.code, renamed.stderr).toBe(0);
      const bob = await WsClient.connect(srv.wsUrl);
      clients.push(bob);
      await bob.login('bob', passwordOf('bob'));
      expect(await bob.request({ type: 'profile', user: 'alicia' })).toMatchObject({
        username: 'alicia',
        displayName: 'Alice',
        avatarUrl: expect.stringMatching(SIGNED),
      });
      expect((await bob.expectError({ type: 'profile', user: 'alice' })).code).toBe('UNKNOWN_USER');
      const deleted = await runCli(['users', 'delete', 'alicia', ...store]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect((await bob.request({ type: 'profiles', users: ['alicia', 'alice'] })).users).toEqual([]);
      expect((await bob.request({ type: 'users' })).users.map((u) => u.username)).not.toContain('alicia');
    } finally {
      for (const c of clients) c.kill();
      await srv.stop();
    }
  }, 60_000);
});

describe('avatar pictures across the upgrade to schema 19 [sqlite]', () => {
  it('a picture set before keeps a working link (its thumbnail); set again it gets its avatar picture; links expire; deleting the account removes every blob', async () => {
    const clock = testClock();
    const srv = await startTestServer({ uploadGraceHours: 0.0001, fileGcMinutes: 0.002, clock: clock.now });
    const clients: WsClient[] = [];
    const base = () => `http://127.0.0.1:${srv.wsPort}`;
    const signIn = async (user: string) => {
      const c = await WsClient.connect(srv.wsUrl);
      clients.push(c);
      await c.login(user, passwordOf(user));
      return c;
    };
    const blobPath = (hash: string) => join(srv.dataDir, 'files', hash.slice(0, 2), hash);
    const hashOf = (etag: string | null) => etag!.replaceAll('"', '');
    try {
      const alice = await signIn('alice');
      const png = await upload(base(), await tokenOf(alice), 'me.png', await pngBytes(300, 200));
      const avatarHash = hashOf((await download(base(), (await alice.request({ type: 'profile', avatar: png.body.id })).avatarUrl!, null)).headers.get('etag'));
      alice.close();

      // What a version-18 server left: the picture set, no avatar_hash column, no avatar picture.
      await srv.pause();
      const db = new Database(join(srv.dataDir, 'chat.db'));
      db.exec('DROP INDEX files_avatar_hash; ALTER TABLE files DROP COLUMN avatar_hash; PRAGMA user_version = 18');
      db.close();
      await rm(blobPath(avatarHash));
      await srv.resume();

      const bob = await signIn('bob');
      const before = (await bob.request({ type: 'profile', user: 'alice' })).avatarUrl!;
      expect(before).toMatch(SIGNED_THUMBNAIL);
      const thumbnail = await download(base(), before, null);
      expect(thumbnail.status).toBe(200);
      expect(await pictureOf(thumbnail.bytes)).toEqual({ format: 'webp', width: 300, height: 200 });

      // Set again, the same upload gets its avatar picture.
      const again = await signIn('alice');
      const after = (await again.request({ type: 'profile', avatar: png.body.id })).avatarUrl!;
      expect(after).toMatch(SIGNED);
      const small = await download(base(), after, null);
      expect(await pictureOf(small.bytes)).toEqual({ format: 'webp', width: 128, height: 128 });
      expect(existsSync(blobPath(avatarHash))).toBe(true);

      // Past --file-link-minutes (60) the link is refused, as a thumbnail's is.
      clock.advance(61 * 60_000);
      expect((await download(base(), after, null)).status).toBe(404);
      expect((await download(base(), before, null)).status).toBe(404);

      // Deleting the account frees the picture: collection removes its content, thumbnail and avatar picture.
      const contentHash = hashOf((await download(base(), unsigned(png.body.url), await tokenOf(again))).headers.get('etag'));
      const thumbHash = hashOf(thumbnail.headers.get('etag'));
      again.close();
      const deleted = await runCli(['users', 'delete', 'alice', '--data', srv.dataDir, '--hash-cost', '4']);
      expect(deleted.code, deleted.stderr).toBe(0);
      await waitUntil(
        async () => ![contentHash, thumbHash, avatarHash].some((hash) => existsSync(blobPath(hash))),
        "the deleted account's picture blobs are collected",
        15_000,
      );
    } finally {
      for (const c of clients) c.kill();
      await srv.stop();
    }
  }, 60_000);
});
