// Runs the Store conformance suite against the memory and SQLite stores, plus
// what only SQLite has: migrations, durable pragmas and group commit.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../server/store/memory';
import { LATEST_SCHEMA_VERSION, openSqliteStore, SchemaTooNewError, SQLITE_FILE_NAME, type SqliteStore } from '../../server/store/sqlite';
import { applyMigrations, MIGRATIONS, readSchemaVersion, type Migration } from '../../server/store/sqlite/migrations';
import { prepareStatements } from '../../server/store/sqlite/statements';
import { describeStoreConformance } from './store-conformance';
import { waitUntil } from '../helpers/wait';

const T0 = 1_700_000_000_000;

/** The steps of SQLite's plan for statement `sql` run with `params` (SEARCH ..., SCAN ...). */
function queryPlan(db: Database.Database, sql: string, params: unknown): string[] {
  return db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(params)
    .map((row) => (row as { detail: string }).detail);
}

describeStoreConformance('memory', async () => ({ store: await MemoryStore.open(), cleanup: async () => {} }));

describeStoreConformance('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chat-store-'));
  return {
    store: await openSqliteStore({ dataDir: dir }),
    reopen: () => openSqliteStore({ dataDir: dir }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('SQLite store specifics', () => {
  let dir: string;
  let file: string;
  const open: SqliteStore[] = [];

  /** Opens a store on this test's directory; afterEach closes it. */
  async function openStore(options: { maxBatch?: number } = {}): Promise<SqliteStore> {
    const store = await openSqliteStore({ dataDir: dir, ...options });
    open.push(store);
    return store;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chat-sqlite-'));
    file = join(dir, SQLITE_FILE_NAME);
  });

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

  describe('opening', () => {
    it('creates the data directory recursively and applies the durable settings', async () => {
      dir = join(dir, 'nested', 'deeper');
      file = join(dir, SQLITE_FILE_NAME);
      const store = await openStore();
      expect(store.file).toBe(file);
      expect(existsSync(file)).toBe(true);
      expect(store.settings()).toEqual({
        journalMode: 'wal',
        synchronous: 2, // FULL
        foreignKeys: true,
        busyTimeoutMs: 5000,
        schemaVersion: LATEST_SCHEMA_VERSION,
      });
      // WAL is a property of the file: another connection sees it too.
      const raw = new Database(file, { readonly: true });
      try {
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        raw.close();
      }
    });

    it('accepts an explicit file path', async () => {
      const custom = join(dir, 'sub', 'custom.db');
      const store = await openSqliteStore({ file: custom });
      open.push(store);
      expect(await store.accounts.createUser('alice', 'h', T0)).toBe(true);
      expect(store.file).toBe(custom);
      expect(existsSync(custom)).toBe(true);
    });

    it('close() folds the WAL back into chat.db, and later calls reject', async () => {
      const store = await openSqliteStore({ dataDir: dir });
      await store.accounts.createUser('alice', 'h', T0);
      await store.close();
      await store.close(); // idempotent
      expect(existsSync(`${file}-wal`)).toBe(false);
      await expect(store.accounts.getUser('alice')).rejects.toThrow(/closed/);
      await expect(store.messages.saveMessage({ kind: 'broadcast', from: 'alice', text: 'x', ts: T0 })).rejects.toThrow(/closed/);
      await expect(store.messages.ack('alice', 1)).rejects.toThrow(/closed/);
    });
  });

  describe('migrations', () => {
    it('are numbered 1..n with nothing missing', () => {
      expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
    });

    it('upgrade a version-0 file (empty, zero bytes) to the latest version', async () => {
      writeFileSync(file, '');
      const store = await openStore();
      expect(store.settings().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(await store.accounts.createUser('alice', 'h', T0)).toBe(true);
    });

    it('upgrade a version-0 file that already holds unrelated tables, keeping them', async () => {
      const raw = new Database(file);
      raw.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
      raw.close();
      const store = await openStore();
      expect(store.settings().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      await store.close();
      const check = new Database(file, { readonly: true });
      try {
        expect(check.prepare('SELECT body FROM notes').pluck().all()).toEqual(['keep me']);
      } finally {
        check.close();
      }
    });

    it('are idempotent: reopening applies nothing twice and keeps the data', async () => {
      const store = await openStore();
      await store.accounts.createUser('alice', 'h', T0);
      await store.close();
      await (await openStore()).close();

      const raw = new Database(file);
      try {
        expect(readSchemaVersion(raw)).toBe(LATEST_SCHEMA_VERSION);
        expect(applyMigrations(raw)).toEqual([]);
        expect(readSchemaVersion(raw)).toBe(LATEST_SCHEMA_VERSION);
      } finally {
        raw.close();
      }
      const again = await openStore();
      expect((await again.accounts.getUser('alice'))?.passwordHash).toBe('h');
    });

    it('apply a failing step not at all: the version and the schema stay as they were', () => {
      const raw = new Database(file);
      try {
        applyMigrations(raw);
        const broken: Migration = {
          version: LATEST_SCHEMA_VERSION + 1,
          name: 'test step that fails half-way',
          up(db) {
            db.exec('CREATE TABLE half_done (x INTEGER)');
            throw new Error('boom');
          },
        };
        expect(() => applyMigrations(raw, [...MIGRATIONS, broken])).toThrow(/migration .* failed.*boom/i);
        expect(readSchemaVersion(raw)).toBe(LATEST_SCHEMA_VERSION);
        expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
      } finally {
        raw.close();
      }
    });

    it('refuse a migration list with a gap', () => {
      const raw = new Database(file);
      try {
        const gap: Migration = { version: LATEST_SCHEMA_VERSION + 2, name: 'skips a number', up() {} };
        expect(() => applyMigrations(raw, [...MIGRATIONS, gap])).toThrow(/out of order/);
        expect(readSchemaVersion(raw)).toBe(0);
      } finally {
        raw.close();
      }
    });

    it('refuse a file written by a newer release with a clear error, leaving it byte-for-byte unchanged', async () => {
      const newer = LATEST_SCHEMA_VERSION + 1;
      const raw = new Database(file);
      raw.exec("CREATE TABLE from_the_future (x TEXT); INSERT INTO from_the_future VALUES ('data')");
      raw.pragma(`user_version = ${newer}`);
      raw.close();
      const before = sha256(file);

      let caught: unknown;
      try {
        open.push(await openSqliteStore({ dataDir: dir }));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SchemaTooNewError);
      const message = (caught as Error).message;
      expect(message).toContain(file);
      expect(message).toContain(`schema version ${newer}`);
      expect(message).toContain(`up to ${LATEST_SCHEMA_VERSION}`);
      expect(message).toMatch(/newer release/);
      expect(sha256(file)).toBe(before);
      expect(existsSync(`${file}-wal`)).toBe(false);
    });

    /** A chat.db made from the frozen version-2 schema (before canonical names), holding only `users`. */
    function frozenV2(users: readonly string[]): void {
      const raw = new Database(file);
      raw.exec(readFileSync(new URL('../fixtures/sqlite-v2.sql', import.meta.url), 'utf8'));
      // The fixture's schema without its sample rows: these tests bring their own accounts.
      const tables = raw.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all();
      raw.pragma('foreign_keys = OFF');
      for (const table of tables) raw.exec(`DELETE FROM "${table}"`);
      raw.pragma('foreign_keys = ON');
      const insert = raw.prepare('INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)');
      const counters = raw.prepare('INSERT INTO counters (username) VALUES (?)');
      users.forEach((name, i) => {
        insert.run(name, `hash-${name}`, T0 + i);
        counters.run(name);
      });
      expect(readSchemaVersion(raw)).toBe(2);
      raw.close();
    }

    it('upgrades a frozen version-2 database: names match in any case, the registered spelling is kept', async () => {
      frozenV2(['Alice', 'bob']);
      const store = await openStore();
      expect(store.settings().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(await store.accounts.getUser('alice')).toMatchObject({ username: 'Alice', passwordHash: 'hash-Alice' });
      expect(await store.accounts.getUser('BOB')).toMatchObject({ username: 'bob' });
      expect(await store.accounts.createUser('ALICE', 'h', T0)).toBe(false);
      expect(await store.accounts.existingUsers(['ALICE', 'Bob'])).toEqual(['Alice', 'bob']);
    });

    it('a version-2 database with accounts that clash by canonical form is not upgraded: the error names them, nothing is merged', async () => {
      frozenV2(['Alice', 'alice', 'carol', 'BOB', 'bob', 'Bob']);
      await expect(openStore()).rejects.toThrow(/these accounts clash: "Alice" and "alice"; "BOB" and "bob" and "Bob"\. Nothing was changed/);
      const raw = new Database(file, { readonly: true });
      try {
        // Steps before the canonical-name step may have run; that one did not.
        expect(readSchemaVersion(raw)).toBeLessThan(LATEST_SCHEMA_VERSION);
        expect(raw.prepare("SELECT name FROM pragma_table_info('users') WHERE name = 'name_key'").all()).toEqual([]);
        expect(raw.prepare('SELECT username FROM users ORDER BY created_at').pluck().all()).toEqual(['Alice', 'alice', 'carol', 'BOB', 'bob', 'Bob']);
      } finally {
        raw.close();
      }
    });

    it('step 15 reads the private mailbox through private_senders: a version-14 file keeps every mailbox, a reused name starts after its former mail', async () => {
      const raw = new Database(file);
      applyMigrations(raw, MIGRATIONS.slice(0, 14));
      const user = raw.prepare("INSERT INTO users (username, name_key, password_hash, created_at) VALUES (?, lower(?), 'h', 0)");
      for (const name of ['ann', 'bob', 'cat']) user.run(name, name);
      const send = raw.prepare("INSERT INTO messages (kind, sender, recipient, text, ts) VALUES ('private', ?, ?, ?, 0)");
      send.run('ann', 'bob', 'one'); // 1
      send.run('cat', 'bob', 'two'); // 2
      send.run('bob', 'ann', 'three'); // 3
      send.run('ann', 'gone', 'to a deleted account'); // 4: its holder was deleted, the name is free
      send.run('bob', 'bob', 'note to self'); // 5
      raw.close();

      const store = await openStore();
      const check = new Database(file, { readonly: true });
      const indexes = check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").pluck().all();
      expect(indexes).not.toContain('messages_inbox');
      expect(check.prepare('SELECT recipient, sender FROM private_senders ORDER BY recipient, sender').raw().all()).toEqual([
        ['ann', 'bob'],
        ['bob', 'ann'],
        ['bob', 'bob'],
        ['bob', 'cat'],
        ['gone', 'ann'],
      ]);
      // The mailbox walks private_senders and one range of messages_private per sender: no scan of the stream.
      const { mailbox } = prepareStatements(check);
      const plan = queryPlan(check, mailbox.source, { user: 'bob', after: 0, upTo: 5, awayFrom: 0, awayTo: 0, limit: 10 });
      expect(plan).toContain('SEARCH ps USING PRIMARY KEY (recipient=?)');
      expect(plan).toContain('SEARCH m USING INDEX messages_private (kind=? AND sender=? AND recipient=? AND id>? AND id<?)');
      expect(plan.filter((d) => d.startsWith('SCAN'))).toEqual([]);
      check.close();

      const texts = async (username: string, after = 0) => (await store.messages.mailbox({ username, after, limit: 10 })).map((d) => d.message.text);
      expect(await texts('bob')).toEqual(['one', 'two', 'note to self']);
      expect(await texts('bob', 1)).toEqual(['two', 'note to self']);
      expect(await texts('ann')).toEqual(['three']);
      expect(await store.messages.countMailbox({ username: 'bob', after: 0 })).toBe(3);
      // A new account under the free name inherits nothing its former holder was sent: it starts at the head.
      expect(await store.accounts.createUser('gone', 'h2', T0)).toBe(true);
      expect(await store.messages.lastAcked('gone')).toBe(5);
      const fresh = await store.messages.saveMessage({ kind: 'private', from: 'cat', to: 'gone', text: 'welcome', ts: T0 });
      expect(await texts('gone', await store.messages.lastAcked('gone'))).toEqual(['welcome']);
      expect(fresh.id).toBe(6);
    });

    it("step 17 reads a direct pair's newest message from messages_private: a version-16 file lists the same conversations, a pair's rows are written once", async () => {
      const raw = new Database(file);
      applyMigrations(raw, MIGRATIONS.slice(0, 16));
      const user = raw.prepare("INSERT INTO users (username, name_key, password_hash, created_at) VALUES (?, lower(?), 'h', 0)");
      const positions = raw.prepare('INSERT INTO positions (username) VALUES (?)');
      for (const name of ['ann', 'bob', 'cat']) {
        user.run(name, name);
        positions.run(name);
      }
      // As version 16 wrote them: the message, then both rows of the pair with its newest id.
      const send = raw.prepare("INSERT INTO messages (kind, sender, recipient, text, ts) VALUES ('private', ?, ?, ?, ?)");
      const pair = raw.prepare(
        `INSERT INTO direct_peers (username, peer, last_id) VALUES (?, ?, ?), (?, ?, ?)
         ON CONFLICT (username, peer) DO UPDATE SET last_id = max(last_id, excluded.last_id)`,
      );
      const sent = (from: string, to: string, text: string) => {
        const id = Number(send.run(from, to, text, T0).lastInsertRowid);
        pair.run(from, to, id, to, from, id);
      };
      sent('ann', 'bob', 'one'); // 1
      sent('cat', 'ann', 'two'); // 2
      sent('bob', 'ann', 'three'); // 3
      sent('ann', 'ann', 'note to self'); // 4
      raw.close();

      const store = await openStore();
      const listed = async () =>
        (await store.messages.conversations({ username: 'ann', limit: 10 })).filter((c) => c.kind === 'direct').map((c) => [c.name, c.lastMessage?.text]);
      expect(await listed()).toEqual([
        ['ann', 'note to self'],
        ['bob', 'three'],
        ['cat', 'two'],
      ]);
      await store.messages.saveMessage({ kind: 'private', from: 'ann', to: 'cat', text: 'five', ts: T0 });
      expect(await listed()).toEqual([
        ['cat', 'five'],
        ['ann', 'note to self'],
        ['bob', 'three'],
      ]);
      expect(await store.messages.directPeers('cat')).toEqual(['ann']);

      const check = new Database(file, { readonly: true });
      expect(check.prepare("SELECT name FROM pragma_table_info('direct_peers')").pluck().all()).toEqual(['username', 'peer']);
      expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = 'messages_private_sender'").all()).toEqual([]);
      expect(check.prepare('SELECT username, peer FROM direct_peers ORDER BY username, peer').raw().all()).toEqual([
        ['ann', 'ann'],
        ['ann', 'bob'],
        ['ann', 'cat'],
        ['bob', 'ann'],
        ['cat', 'ann'],
      ]);
      // Two seeks of messages_private per peer: no scan of the stream.
      const { directPeers } = prepareStatements(check);
      const plan = queryPlan(check, directPeers.source, 'ann');
      expect(plan.filter((d) => d.startsWith('SEARCH m USING COVERING INDEX messages_private'))).toHaveLength(2);
      expect(plan.filter((d) => d.startsWith('SCAN'))).toEqual([]);
      check.close();
    });

    it('step 18 adds messages.client_key: a version-17 file keeps its messages, keyed sends are answered once, keyless ones add no index entry', async () => {
      const raw = new Database(file);
      applyMigrations(raw, MIGRATIONS.slice(0, 17));
      const user = raw.prepare("INSERT INTO users (username, name_key, password_hash, created_at) VALUES (?, lower(?), 'h', 0)");
      const positions = raw.prepare('INSERT INTO positions (username) VALUES (?)');
      for (const name of ['ann', 'bob']) {
        user.run(name, name);
        positions.run(name);
      }
      const send = raw.prepare("INSERT INTO messages (kind, sender, recipient, text, ts) VALUES ('private', ?, ?, ?, ?)");
      send.run('ann', 'bob', 'before the upgrade', T0); // 1
      send.run('ann', 'bob', 'before the upgrade', T0); // 2: the same text twice, as stored then
      raw.close();

      const store = await openStore();
      const texts = async () => (await store.messages.mailbox({ username: 'bob', after: 0, limit: 10 })).map((d) => [d.seq, d.message.text]);
      expect(await texts()).toEqual([
        [1, 'before the upgrade'],
        [2, 'before the upgrade'],
      ]);
      const first = await store.messages.saveMessageOnce({ kind: 'private', from: 'ann', to: 'bob', text: 'keyed', ts: T0 }, 'k-after');
      const again = await store.messages.saveMessageOnce({ kind: 'private', from: 'ann', to: 'bob', text: 'keyed', ts: T0 + 1 }, 'k-after');
      expect(first).toMatchObject({ repeat: false, message: { id: 3 } });
      expect(again).toEqual({ message: first.message, repeat: true });
      await store.messages.saveMessage({ kind: 'private', from: 'ann', to: 'bob', text: 'plain', ts: T0 });
      expect((await texts()).map(([seq]) => seq)).toEqual([1, 2, 3, 4]);

      const check = new Database(file, { readonly: true });
      expect(readSchemaVersion(check)).toBe(LATEST_SCHEMA_VERSION);
      expect(check.prepare('SELECT id, client_key FROM messages ORDER BY id').raw().all()).toEqual([
        [1, null],
        [2, null],
        [3, 'k-after'],
        [4, null],
      ]);
      // Partial and unique: only keyed rows are in it, and the database itself refuses a second row with a key.
      const index = check.prepare("SELECT sql FROM sqlite_master WHERE name = 'messages_client_key'").pluck().get() as string;
      // (Its columns in the order step 20 gives them.)
      expect(index).toMatch(/CREATE UNIQUE INDEX messages_client_key ON messages \(client_key, sender\) WHERE client_key IS NOT NULL/);
      expect(check.prepare('SELECT count(*) FROM messages INDEXED BY messages_client_key WHERE client_key IS NOT NULL').pluck().get()).toBe(1);
      const { idByClientKey } = prepareStatements(check);
      expect(queryPlan(check, idByClientKey.source, ['ann', 'k-after'])).toEqual([
        expect.stringMatching(/SEARCH messages USING (COVERING )?INDEX messages_client_key \(client_key=\? AND sender=\?\)/),
      ]);
      check.close();
      const writer = new Database(file);
      expect(() => writer.prepare("UPDATE messages SET client_key = 'k-after' WHERE id = 4").run()).toThrow(/UNIQUE/);
      writer.close();
    });

    it('step 19 adds files.avatar_hash: a picture set at version 18 keeps its file and profile, without an avatar picture until one is recorded', async () => {
      const raw = new Database(file);
      applyMigrations(raw, MIGRATIONS.slice(0, 18));
      raw.prepare("INSERT INTO users (username, name_key, password_hash, created_at) VALUES ('ann', 'ann', 'h', 0)").run();
      raw.prepare('INSERT INTO positions (username) VALUES (?)').run('ann');
      const [hash, thumbHash, avatarHash] = ['content', 'thumbnail', 'avatar'].map((t) => createHash('sha256').update(t).digest('hex')) as [
        string,
        string,
        string,
      ];
      raw
        .prepare(
          `INSERT INTO files (id, uploader, name, size, type, hash, width, height, thumb_hash, created_at)
           VALUES ('AAAAAAAAAAAAAAAAAAAAAA', 'ann', 'me.png', 10, 'image/png', ?, 64, 48, ?, ?)`,
        )
        .run(hash, thumbHash, T0);
      raw.prepare("UPDATE users SET avatar = 'AAAAAAAAAAAAAAAAAAAAAA' WHERE username = 'ann'").run();
      raw.close();

      const store = await openStore();
      expect(await store.files.getFiles(['AAAAAAAAAAAAAAAAAAAAAA'])).toEqual([
        {
          id: 'AAAAAAAAAAAAAAAAAAAAAA',
          uploader: 'ann',
          name: 'me.png',
          size: 10,
          type: 'image/png',
          hash,
          width: 64,
          height: 48,
          thumbHash,
          avatarHash: null,
          createdAt: T0,
        },
      ]);
      expect((await store.accounts.getProfiles(['ann']))[0]).toMatchObject({ avatar: 'AAAAAAAAAAAAAAAAAAAAAA' });
      expect(await store.files.setAvatarHash('AAAAAAAAAAAAAAAAAAAAAA', avatarHash)).toBe(true);
      expect(await store.files.hashInUse(avatarHash)).toBe(true);
      const check = new Database(file, { readonly: true });
      expect(readSchemaVersion(check)).toBe(LATEST_SCHEMA_VERSION);
      expect(check.prepare("SELECT sql FROM sqlite_master WHERE name = 'files_avatar_hash'").pluck().get()).toMatch(/WHERE avatar_hash IS NOT NULL/);
      check.close();
    });

    it('step 20 leads messages_client_key with the key: a version-19 file keeps its keys, repeats are still found, and the index stays partial and unique per sender', async () => {
      const raw = new Database(file);
      applyMigrations(raw, MIGRATIONS.slice(0, 19));
      const user = raw.prepare("INSERT INTO users (username, name_key, password_hash, created_at) VALUES (?, lower(?), 'h', 0)");
      const positions = raw.prepare('INSERT INTO positions (username) VALUES (?)');
      for (const name of ['ann', 'bob']) {
        user.run(name, name);
        positions.run(name);
      }
      const send = raw.prepare("INSERT INTO messages (kind, sender, recipient, text, ts, client_key) VALUES ('private', ?, ?, ?, ?, ?)");
      send.run('ann', 'bob', 'keyed at 19', T0, 'k1'); // 1
      send.run('bob', 'ann', 'the same key, another sender', T0, 'k1'); // 2
      send.run('ann', 'bob', 'no key', T0, null); // 3
      raw.close();

      const store = await openStore();
      const again = await store.messages.saveMessageOnce({ kind: 'private', from: 'ann', to: 'bob', text: 'keyed at 19', ts: T0 + 1 }, 'k1');
      expect(again).toMatchObject({ repeat: true, message: { id: 1, from: 'ann', to: 'bob', text: 'keyed at 19', ts: T0 } });
      const fresh = await store.messages.saveMessageOnce({ kind: 'private', from: 'ann', to: 'bob', text: 'keyed at 20', ts: T0 }, 'k2');
      expect(fresh).toMatchObject({ repeat: false, message: { id: 4 } });
      expect(await store.messages.messageByClientKey('bob', 'k1')).toMatchObject({ message: { id: 2, from: 'bob' } });
      // A deleted account's keys go, and only its own.
      expect(await store.admin.deleteUser('ann')).toBe(true);

      const check = new Database(file, { readonly: true });
      expect(readSchemaVersion(check)).toBe(LATEST_SCHEMA_VERSION);
      expect(check.prepare('SELECT id, client_key FROM messages ORDER BY id').raw().all()).toEqual([
        [1, null],
        [2, 'k1'],
        [3, null],
        [4, null],
      ]);
      const index = check.prepare("SELECT sql FROM sqlite_master WHERE name = 'messages_client_key'").pluck().get() as string;
      expect(index).toMatch(/CREATE UNIQUE INDEX messages_client_key ON messages \(client_key, sender\) WHERE client_key IS NOT NULL/);
      expect(check.prepare('SELECT count(*) FROM messages INDEXED BY messages_client_key WHERE client_key IS NOT NULL').pluck().get()).toBe(1);
      // Lookups name both columns: one seek. Forgetting a sender's keys seeks messages_private, no scan.
      const { idByClientKey, forgetClientKeysOf } = prepareStatements(check);
      expect(queryPlan(check, idByClientKey.source, ['bob', 'k1'])).toEqual([
        expect.stringMatching(/SEARCH messages USING COVERING INDEX messages_client_key \(client_key=\? AND sender=\?\)/),
      ]);
      expect(queryPlan(check, forgetClientKeysOf.source, ['bob'])).toEqual([
        expect.stringMatching(/SEARCH messages USING INDEX messages_private \(kind=\? AND sender=\?\)/),
      ]);
      check.close();
      const writer = new Database(file);
      expect(() => writer.prepare("UPDATE messages SET sender = 'bob', client_key = 'k1' WHERE id = 3").run()).toThrow(/UNIQUE/);
      writer.prepare("UPDATE messages SET client_key = 'k1' WHERE id = 3").run();
      writer.close();
    });

    it('a rename onto a name whose former holder was sent mail keeps one private_senders row per pair, and mailboxes follow', async () => {
      const store = await openStore();
      for (const name of ['ann', 'bob', 'old']) expect(await store.accounts.createUser(name, 'h', T0)).toBe(true);
      await store.messages.saveMessage({ kind: 'private', from: 'ann', to: 'old', text: 'to the first old', ts: T0 });
      expect(await store.admin.deleteUser('old')).toBe(true);
      await store.messages.saveMessage({ kind: 'private', from: 'ann', to: 'bob', text: 'to bob', ts: T0 });
      await store.messages.saveMessage({ kind: 'private', from: 'bob', to: 'ann', text: 'from bob', ts: T0 });
      expect(await store.admin.renameUser('bob', 'old')).toBe('ok');
      const check = new Database(file, { readonly: true });
      expect(check.prepare('SELECT recipient, sender FROM private_senders ORDER BY recipient, sender').raw().all()).toEqual([
        ['ann', 'old'],
        ['old', 'ann'],
      ]);
      check.close();
      // As before this change, the renamed account's mailbox holds every message to its new name after its position.
      const bobsMail = (await store.messages.mailbox({ username: 'old', after: await store.messages.lastAcked('old'), limit: 10 })).map((d) => d.message.text);
      expect(bobsMail).toEqual(['to the first old', 'to bob']);
      expect((await store.messages.mailbox({ username: 'ann', after: 0, limit: 10 })).map((d) => [d.message.from, d.message.text])).toEqual([
        ['old', 'from bob'],
      ]);
    });

    it('read a frozen version-1 database (tests/fixtures/sqlite-v1.sql) through the current code', async () => {
      const raw = new Database(file);
      raw.exec(readFileSync(new URL('../fixtures/sqlite-v1.sql', import.meta.url), 'utf8'));
      expect(readSchemaVersion(raw)).toBe(1);
      raw.close();

      const store = await openStore();
      expect(store.settings().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(await store.accounts.getUser('alice')).toEqual({ username: 'alice', passwordHash: 'hash-a', createdAt: T0, lastLoginAt: T0 + 60_000 });
      expect(await store.groups.getGroup('team')).toMatchObject({ name: 'team', owner: 'alice', members: ['alice', 'bob'], createdAt: T0 });
      expect(await store.blocks.blockedBy('bob')).toEqual(['carol']);
      expect(await store.accounts.findToken('tokenhash-a', T0)).toBe('alice');
      // A token from before rotation is a family of its own, never rotated.
      expect(await store.accounts.getToken('tokenhash-a', T0)).toEqual({
        username: 'alice',
        family: 'tokenhash-a',
        createdAt: null,
        expiresAt: 1700003600000,
        rotatedAt: null,
        graceUntil: null,
      });
      expect(await store.accounts.getLockState('carol', T0)).toEqual({ failures: 2, lockedUntil: null });
      // bob's seq 1 was message 1: his acknowledged position; message 2 still waits for him.
      expect(await store.messages.head()).toBe(2);
      expect(await store.messages.lastAcked('bob')).toBe(1);
      const bob = await store.messages.signIn('bob');
      expect(bob).toEqual({ head: 2, acked: 1, away: { from: 2, to: 2 }, previousAway: { from: 0, to: 0 } });
      expect((await store.messages.mailbox({ username: 'bob', after: bob.acked, limit: 10, away: bob.away })).map((d) => [d.seq, d.message.text])).toEqual([
        [2, 'team meeting'],
      ]);
      expect((await store.messages.history({ viewer: 'bob', group: 'team', limit: 10 }))[0]).toEqual({
        id: 2,
        kind: 'group',
        from: 'alice',
        group: 'team',
        text: 'team meeting',
        ts: T0 + 2,
      });
      // New writes continue the stream.
      const next = await store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'new', ts: T0 + 3 });
      expect(next.id).toBe(3);
    });

    it('read a frozen version-2 database (tests/fixtures/sqlite-v2.sql): per-recipient rows become positions, ended groups stay ended', async () => {
      const raw = new Database(file);
      raw.exec(readFileSync(new URL('../fixtures/sqlite-v2.sql', import.meta.url), 'utf8'));
      expect(readSchemaVersion(raw)).toBe(2);
      raw.close();

      const store = await openStore();
      expect(store.settings().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(await store.accounts.getUser('bob')).toEqual({ username: 'bob', passwordHash: 'hash-b', createdAt: T0, lastLoginAt: T0 + 5 });
      expect(await store.groups.getGroup('team')).toMatchObject({ name: 'team', owner: 'alice', members: ['alice', 'bob'], createdAt: T0 + 10 });
      expect(await store.blocks.blockedBy('carol')).toEqual(['dave']);
      // bob acknowledged his seq 2, which was message 3: what he had not acknowledged still waits, exactly once.
      expect(await store.messages.lastAcked('bob')).toBe(3);
      const bob = await store.messages.signIn('bob');
      expect(bob.head).toBe(5);
      const waiting = await store.messages.mailbox({ username: 'bob', after: bob.acked, limit: 10, away: bob.away });
      expect(waiting.map((d) => [d.seq, d.message.text])).toEqual([
        [4, 'team meeting'],
        [5, 'from dave'],
      ]);
      // Everything ever delivered to bob, from the stream.
      expect((await store.messages.mailbox({ username: 'bob', after: 0, limit: 10 })).map((d) => d.message.text)).toEqual([
        'hi bob',
        'hello all',
        'team meeting',
        'from dave',
      ]);
      // The ended group's message is unreachable: the current "team" shows only its own.
      expect((await store.messages.history({ viewer: 'alice', group: 'team', limit: 10 })).map((m) => m.text)).toEqual(['team meeting']);
      expect((await store.messages.mailbox({ username: 'carol', after: 0, limit: 10 })).map((d) => d.message.text)).toEqual([]);
      expect(await store.messages.lastAcked('alice')).toBe(3);
      // Conversations (step 10): the direct pairs are found in the stream, and what was acknowledged counts as read.
      const listed = await store.messages.conversations({ username: 'bob', limit: 10 });
      expect(listed.map((c) => [c.kind, c.name, c.lastMessage?.text ?? null, c.unread])).toEqual([
        ['direct', 'dave', 'from dave', 1],
        ['group', 'team', 'team meeting', 1],
        ['everyone', '', 'hello all', 0],
        ['direct', 'alice', 'hi bob', 0],
      ]);
      expect((await store.messages.conversations({ username: 'alice', limit: 10 })).map((c) => [c.name, c.unread])).toEqual([
        ['team', 0],
        ['', 0],
        ['bob', 0],
      ]);
      // New writes continue the stream, and a new member of the group sees only what follows.
      await store.groups.addGroupMembers('team', ['carol']);
      const next = await store.messages.saveMessage({ kind: 'group', from: 'alice', group: 'team', text: 'welcome carol', ts: T0 + 20 });
      expect(next.id).toBe(6);
      expect((await store.messages.mailbox({ username: 'carol', after: 0, limit: 10 })).map((d) => d.message.text)).toEqual(['welcome carol']);
    });
  });

  it("direct history is index seeks only: two ranges of messages_private, one seek of block_spans per peer's message", async () => {
    const store = await openStore();
    for (const name of ['ann', 'bob']) expect(await store.accounts.createUser(name, 'h', T0)).toBe(true);
    await store.messages.saveMessage({ kind: 'private', from: 'bob', to: 'ann', text: 'hi', ts: T0 });
    const check = new Database(file, { readonly: true });
    const { privateHistory } = prepareStatements(check);
    const plan = queryPlan(check, privateHistory.source, { u: 'ann', peer: 'bob', before: 10, limit: 10 });
    check.close();
    expect(plan.filter((d) => d.startsWith('SEARCH m USING INDEX messages_private (kind=? AND sender=? AND recipient=? AND id<?)'))).toHaveLength(2);
    expect(plan).toContain('SEARCH b USING INDEX block_spans_blocker (blocker=? AND blocked=?)');
    // Only the two bounded pages (LIMIT) are read back to merge them; no table is scanned.
    expect(plan.filter((d) => d.startsWith('SCAN') && !/^SCAN \(subquery-\d+\)$/.test(d))).toEqual([]);
  });

  it('group history is index seeks only: one range of the group, one seek of block_spans per message', async () => {
    await openStore();
    const check = new Database(file, { readonly: true });
    const { groupHistory } = prepareStatements(check);
    const plan = queryPlan(check, groupHistory.source, { u: 'ann', group: 'team', before: 10, limit: 10 });
    check.close();
    expect(plan).toContain('SEARCH m USING INDEX messages_group_id (group_id=? AND id<?)');
    expect(plan).toContain('SEARCH b USING INDEX block_spans_blocker (blocker=? AND blocked=?)');
    expect(plan.filter((d) => d.startsWith('SCAN'))).toEqual([]);
  });

  describe('private pairs: their rows are written by the first message only', () => {
    const rowsOf = (pairOf: string): { peers: unknown[]; senders: unknown[] } => {
      const check = new Database(file, { readonly: true });
      try {
        return {
          peers: check.prepare('SELECT username, peer FROM direct_peers WHERE ? IN (username, peer) ORDER BY username, peer').raw().all(pairOf),
          senders: check.prepare('SELECT recipient, sender FROM private_senders WHERE ? IN (recipient, sender) ORDER BY recipient, sender').raw().all(pairOf),
        };
      } finally {
        check.close();
      }
    };
    const send = (store: SqliteStore, from: string, to: string, text: string) => store.messages.saveMessage({ kind: 'private', from, to, text, ts: T0 });
    const mail = async (store: SqliteStore, username: string) => (await store.messages.mailbox({ username, after: 0, limit: 10 })).map((d) => d.message.text);

    it('rows another connection deletes (an admin CLI beside the server) are written again by the next message of the pair', async () => {
      const store = await openStore();
      for (const name of ['ann', 'bob']) await store.accounts.createUser(name, 'h', T0);
      await send(store, 'ann', 'bob', 'one');
      await send(store, 'ann', 'bob', 'two');
      const other = new Database(file);
      other.exec("DELETE FROM direct_peers; DELETE FROM private_senders WHERE recipient = 'bob'");
      other.close();
      await send(store, 'ann', 'bob', 'three');
      expect(rowsOf('bob')).toEqual({
        peers: [
          ['ann', 'bob'],
          ['bob', 'ann'],
        ],
        senders: [['bob', 'ann']],
      });
      expect(await mail(store, 'bob')).toEqual(['one', 'two', 'three']);
    });

    it('a name deleted, or renamed away, and registered again gets its pair rows with the first message to it', async () => {
      const store = await openStore();
      for (const name of ['ann', 'bob']) await store.accounts.createUser(name, 'h', T0);
      await send(store, 'ann', 'bob', 'to the first bob');
      expect(await store.admin.deleteUser('bob')).toBe(true);
      await store.accounts.createUser('bob', 'h', T0);
      await send(store, 'ann', 'bob', 'to the second bob');
      expect(rowsOf('bob').peers).toEqual([
        ['ann', 'bob'],
        ['bob', 'ann'],
      ]);
      expect(await store.messages.directPeers('bob')).toEqual(['ann']);

      expect(await store.admin.renameUser('bob', 'ben')).toBe('ok');
      await store.accounts.createUser('bob', 'h', T0);
      await send(store, 'ann', 'bob', 'to the third bob');
      expect(rowsOf('bob').peers).toEqual([
        ['ann', 'bob'],
        ['bob', 'ann'],
      ]);
      expect(await store.messages.directPeers('ben')).toEqual(['ann']);
    });

    it('a message whose save failed (a batch rerun) leaves its pair unknown: the next one writes the rows', async () => {
      const store = await openStore();
      for (const name of ['ann', 'dan']) await store.accounts.createUser(name, 'h', T0);
      const failed = store.messages.saveMessage({ kind: 'private', from: 'ann', to: 'dan', text: 'with a missing file', ts: T0 }, { ids: ['no-such-file'] });
      await expect(failed).rejects.toThrow(/no file no-such-file/);
      await send(store, 'ann', 'dan', 'hello');
      expect(rowsOf('dan')).toEqual({
        peers: [
          ['ann', 'dan'],
          ['dan', 'ann'],
        ],
        senders: [['dan', 'ann']],
      });
      expect(await mail(store, 'dan')).toEqual(['hello']);
    });

    it('private messages another connection inserted reach the mailbox: at the next start, or at the next commit while running', async () => {
      let store = await openStore();
      for (const name of ['ann', 'bob', 'cat']) await store.accounts.createUser(name, 'h', T0);
      await store.close();
      const insert = "INSERT INTO messages (kind, sender, recipient, text, ts) VALUES ('private', ?, ?, ?, 0)";
      let other = new Database(file);
      other.prepare(insert).run('ann', 'bob', 'while stopped');
      other.close();
      store = await openStore();
      expect(await mail(store, 'bob')).toEqual(['while stopped']);

      other = new Database(file);
      other.prepare(insert).run('cat', 'bob', 'while running');
      other.close();
      await store.accounts.recordLogin('ann', T0);
      expect(await mail(store, 'bob')).toEqual(['while stopped', 'while running']);

      // Nothing written after it: the writer's idle indexing adopts it before indexing it.
      other = new Database(file);
      other.prepare(insert).run('ann', 'cat', 'then idle');
      other.close();
      const indexedUpTo = () => {
        const check = new Database(file, { readonly: true });
        try {
          return check.prepare<[], number>('SELECT coalesce(max(id), 0) FROM messages_fts_docsize').pluck().get();
        } finally {
          check.close();
        }
      };
      await waitUntil(() => indexedUpTo() === 3, 'the idle writer indexing the third message');
      await store.accounts.recordLogin('ann', T0);
      expect(await mail(store, 'cat')).toEqual(['then idle']);
    });
  });

  describe('group commit', () => {
    async function seedUsers(store: SqliteStore, names: string[]): Promise<void> {
      for (const name of names) await store.accounts.createUser(name, 'h', T0);
    }

    it('writes the saves and acks of one tick in one transaction', async () => {
      const store = await openStore();
      await seedUsers(store, ['alice', 'bob']);
      const before = store.batchStats().commits;
      const saves = Array.from({ length: 100 }, (_, i) => store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: `m${i}`, ts: T0 + i }));
      const ack = store.messages.ack('bob', 50);
      const saved = await Promise.all(saves);
      await ack;
      expect(store.batchStats().commits - before).toBe(1);
      expect(saved.map((m) => m.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      // The ack was queued after 100 saves, so it saw a head of 100.
      expect(await store.messages.lastAcked('bob')).toBe(50);
    });

    it('splits a large tick into batches of maxBatch, and every write is durable after reopen', async () => {
      const store = await openStore({ maxBatch: 512 });
      await seedUsers(store, ['alice', 'bob']);
      const before = store.batchStats();
      const COUNT = 1200;
      const saved = await Promise.all(
        Array.from({ length: COUNT }, (_, i) => store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: `m${i}`, ts: T0 + i })),
      );
      const after = store.batchStats();
      expect(after.commits - before.commits).toBe(3); // 512 + 512 + 176
      expect(after.writes - before.writes).toBe(COUNT);
      expect(after.largestBatch).toBe(512);
      expect(saved.at(-1)?.id).toBe(COUNT);
      await store.close();

      const reopened = await openStore();
      expect(await reopened.messages.head()).toBe(COUNT);
      const all = await reopened.messages.mailbox({ username: 'bob', after: 0, limit: COUNT + 10 });
      expect(all.map((d) => d.seq)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
      expect(all.map((d) => d.message.text)).toEqual(Array.from({ length: COUNT }, (_, i) => `m${i}`));
    });

    it('a broadcast writes one row whatever the audience: 1000 users read it from the stream', async () => {
      const store = await openStore();
      const everyone = Array.from({ length: 1000 }, (_, i) => `user${i}`);
      await seedUsers(store, everyone);
      const raw = new Database(file, { readonly: true });
      try {
        const changes = () => raw.prepare('SELECT total_changes() AS n').pluck().get() as number;
        const rowsBefore = raw.prepare('SELECT count(*) FROM messages').pluck().get() as number;
        const message = await store.messages.saveMessage({ kind: 'broadcast', from: 'user0', text: 'hi all', ts: T0 });
        expect(raw.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(rowsBefore + 1);
        expect(changes()).toBe(0); // this connection wrote nothing; the point is the table has no per-recipient rows
        const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
        expect(tables).not.toContain('deliveries');
        expect((await store.messages.mailbox({ username: 'user999', after: 0, limit: 5 })).map((d) => d.message)).toEqual([message]);
        expect(await store.messages.mailbox({ username: 'user0', after: 0, limit: 5 })).toEqual([]);
      } finally {
        raw.close();
      }
    });

    it('reads do not wait for writes in flight, and see every write whose promise resolved', async () => {
      const store = await openStore();
      await seedUsers(store, ['alice', 'bob']);
      const save = store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'hi', ts: T0 });
      // Same turn: the job has not even left this thread yet. (Same as the PostgreSQL store.)
      expect(await store.messages.head()).toBe(0);
      await save;
      expect(await store.messages.head()).toBe(1);
      expect((await store.messages.history({ viewer: 'bob', peer: 'alice', limit: 5 })).map((m) => m.text)).toEqual(['hi']);
    });

    it('resolves only once committed: a second connection sees the write when the promise resolves', async () => {
      const store = await openStore();
      await seedUsers(store, ['alice', 'bob']);
      const reader = new Database(file, { readonly: true });
      try {
        const count = reader.prepare("SELECT count(*) FROM messages WHERE recipient = 'bob'").pluck();
        const pending = store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'hi', ts: T0 });
        expect(count.get()).toBe(0); // queued, not yet written
        await pending;
        expect(count.get()).toBe(1);
      } finally {
        reader.close();
      }
    });

    it('close() commits writes still queued', async () => {
      const store = await openSqliteStore({ dataDir: dir });
      await seedUsers(store, ['alice', 'bob']);
      const pending = store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'last words', ts: T0 });
      const ack = store.messages.ack('bob', 1);
      await store.close();
      await Promise.all([pending, ack]);

      const reopened = await openStore();
      expect((await reopened.messages.mailbox({ username: 'bob', after: 0, limit: 5 })).map((d) => d.message.text)).toEqual(['last words']);
      expect(await reopened.messages.lastAcked('bob')).toBe(1);
    });

    it('a save with an unknown recipient fails alone inside its batch; the others commit together', async () => {
      const store = await openStore();
      await seedUsers(store, ['alice', 'bob', 'carol']);
      const before = store.batchStats().commits;
      const first = store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'one', ts: T0 });
      const doomed = store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'ghost', text: 'two', ts: T0 });
      const third = store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'three', ts: T0 });
      await expect(doomed).rejects.toThrow(/"ghost" is not a user/);
      const [a, c] = await Promise.all([first, third]);
      expect(store.batchStats().commits - before).toBe(1);
      expect((await store.messages.mailbox({ username: 'bob', after: 0, limit: 10 })).map((d) => d.message.text)).toEqual(['one', 'three']);
      // The doomed message's own row went with its savepoint: ids of the survivors are adjacent.
      expect(c.id - a.id).toBe(1);
    });

    it('recordLogin is group-committed with other writes, and visible once it resolved', async () => {
      const store = await openStore();
      await seedUsers(store, ['alice', 'bob']);
      const before = store.batchStats().commits;
      const reader = new Database(file, { readonly: true });
      try {
        const lastLogin = reader.prepare("SELECT last_login_at FROM users WHERE username = 'alice'").pluck();
        const logins = [store.accounts.recordLogin('alice', T0 + 5), store.accounts.recordLogin('bob', T0 + 6)];
        const save = store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'hi', ts: T0 });
        expect(lastLogin.get()).toBeNull(); // queued, not yet written
        await Promise.all([...logins, save]);
        expect(lastLogin.get()).toBe(T0 + 5);
        expect(store.batchStats().commits - before).toBe(1);

        await store.accounts.recordLogin('alice', T0 + 9);
        expect((await store.accounts.getUser('alice'))?.lastLoginAt).toBe(T0 + 9);
        expect(await store.accounts.usersLoggedInSince(T0 + 6)).toEqual(
          expect.arrayContaining([
            { username: 'alice', lastLoginAt: T0 + 9 },
            { username: 'bob', lastLoginAt: T0 + 6 },
          ]),
        );
      } finally {
        reader.close();
      }
    });

    it('close() commits a queued recordLogin; recordLogin after close rejects', async () => {
      const store = await openSqliteStore({ dataDir: dir });
      await seedUsers(store, ['alice']);
      const pending = store.accounts.recordLogin('alice', T0 + 1);
      await store.close();
      await pending;
      await expect(store.accounts.recordLogin('alice', T0 + 2)).rejects.toThrow(/closed/);
      const reopened = await openStore();
      expect((await reopened.accounts.getUser('alice'))?.lastLoginAt).toBe(T0 + 1);
    });
  });
});
