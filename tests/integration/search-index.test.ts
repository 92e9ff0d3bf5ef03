// The search indexes themselves, beyond the conformance suite: they follow any
// change of a message's text made straight in the database (an edit, a delete
// that empties the text, a removed row), and upgrading a database indexes the
// messages it already holds. SQLite always; PostgreSQL when configured.
// SQLite's writer indexes new messages in bulk: thousands at a time, when idle, before a
// search, at start and at close.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { searchTerms } from '../../server/protocol/search';
import { openPostgresStore } from '../../server/store/postgres/index';
import { openSqliteStore, SQLITE_FILE_NAME, type SqliteStore } from '../../server/store/sqlite';
import { openWriterConnection } from '../../server/store/sqlite/connection';
import { applyMigrations, MIGRATIONS as SQLITE_MIGRATIONS } from '../../server/store/sqlite/migrations';
import { prepareStatements } from '../../server/store/sqlite/statements';
import { WriteBatch } from '../../server/store/sqlite/write-batch';
import { writeOps } from '../../server/store/sqlite/write-ops';
import type { Store } from '../../server/store/store';
import { postgresSchemaAt } from '../helpers/postgres-schema';
import { waitUntil } from '../helpers/wait';
import { createTestSchema, describeWithServices } from '../helpers/services';

const T0 = 1_700_000_000_000;

const texts = async (store: Store, viewer: string, query: string): Promise<string[]> =>
  (await store.messages.search({ viewer, terms: searchTerms(query), limit: 50 })).map((m) => m.text);

describe('SQLite search index', () => {
  let dir: string;
  let file: string;
  const opened: Store[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chat-search-'));
    file = join(dir, SQLITE_FILE_NAME);
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(): Promise<Store> {
    const store = await openSqliteStore({ dataDir: dir });
    opened.push(store);
    return store;
  }

  it('follows edits, emptied texts and deleted rows written by any connection', async () => {
    const store = await open();
    await store.accounts.createUser('alice', 'h', T0);
    await store.accounts.createUser('bob', 'h', T0);
    const first = await store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'meet at the harbour', ts: T0 });
    const second = await store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'harbour again', ts: T0 });
    expect(await texts(store, 'bob', 'harbour')).toEqual(['harbour again', 'meet at the harbour']);

    const raw = new Database(file);
    try {
      raw.prepare('UPDATE messages SET text = ? WHERE id = ?').run('meet at the station', first.id);
      expect(await texts(store, 'bob', 'harbour')).toEqual(['harbour again']);
      expect(await texts(store, 'bob', 'station')).toEqual(['meet at the station']);
      // A deleted message keeps its row with empty text: it matches nothing.
      raw.prepare("UPDATE messages SET text = '' WHERE id = ?").run(second.id);
      expect(await texts(store, 'bob', 'harbour')).toEqual([]);
      expect(await texts(store, 'bob', 'again')).toEqual([]);
      raw.prepare('DELETE FROM messages WHERE id = ?').run(first.id);
      expect(await texts(store, 'bob', 'station')).toEqual([]);
      // Other columns change without touching the index (UPDATE OF text only).
      raw.prepare("UPDATE messages SET sender = 'alice' WHERE id = ?").run(second.id);
      raw.prepare("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')").run();
    } finally {
      raw.close();
    }
  });

  // FTS5 writes its pending terms out as a segment at every statement savepoint: indexing
  // message by message (the insert trigger of old) made a segment per message.
  it('indexes the messages of a batch at its commit, as one segment, with the text they have then', async () => {
    const db = openWriterConnection(file);
    const s = prepareStatements(db);
    const ops = writeOps(s);
    const batch = new WriteBatch(db, 512, () => s.indexNewMessages.run());
    const segments = db.prepare('SELECT count(DISTINCT segid) FROM messages_fts_idx').pluck();
    try {
      await Promise.all([batch.enqueue(() => ops.createUser('alice', 'h', T0)), batch.enqueue(() => ops.createUser('bob', 'h', T0))]);
      expect(segments.get()).toBe(0);
      const ids: number[] = [];
      const save = (text: string) => batch.enqueue(() => ids.push(ops.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text, ts: T0 })));
      const writes = [
        ...Array.from({ length: 30 }, (_, i) => save(`note ${i} about the harbour`)),
        // Changed in the batch that wrote them, before they are indexed.
        save('first draft'),
        batch.enqueue(() => ops.editMessage(ids[30]!, 'final wording', T0)),
        save('a secret'),
        batch.enqueue(() => ops.deleteMessage(ids[31]!, T0)),
        save('gone entirely'),
        batch.enqueue(() => db.prepare('DELETE FROM messages WHERE id = ?').run(ids[32]!)),
      ];
      await Promise.all(writes);
      expect(batch.getStats().commits).toBe(2);
      expect(segments.get()).toBe(1);
      // Edited and deleted after their commit: the triggers update the index.
      await batch.enqueue(() => ops.editMessage(ids[0]!, 'note 0 about the station', T0));
      await batch.enqueue(() => ops.deleteMessage(ids[1]!, T0));
      db.prepare("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')").run();
    } finally {
      db.close();
    }

    const store = await open();
    expect(await texts(store, 'bob', 'harbour')).toHaveLength(28);
    expect(await texts(store, 'bob', 'stat')).toEqual(['note 0 about the station']);
    expect(await texts(store, 'bob', 'final')).toEqual(['final wording']);
    expect(await texts(store, 'bob', 'draft')).toEqual([]);
    expect(await texts(store, 'bob', 'secret')).toEqual([]);
    expect(await texts(store, 'bob', 'gone')).toEqual([]);
  });

  it('upgrading a database whose index was kept by an insert trigger keeps it, and drops the trigger', async () => {
    const raw = new Database(file);
    applyMigrations(raw, SQLITE_MIGRATIONS.slice(0, 15));
    const insert = raw.prepare("INSERT INTO messages (kind, sender, recipient, text, ts) VALUES ('private', 'alice', 'bob', ?, ?)");
    const old = Number(insert.run('indexed by the trigger: Lighthouse', T0).lastInsertRowid);
    insert.run('another lighthouse', T0 + 1);
    raw.close();

    const store = await open();
    await store.accounts.createUser('alice', 'h', T0);
    await store.accounts.createUser('bob', 'h', T0);
    await store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'Lighthouse after the upgrade', ts: T0 + 2 });
    expect(await texts(store, 'bob', 'lighthouse')).toEqual(['Lighthouse after the upgrade', 'another lighthouse', 'indexed by the trigger: Lighthouse']);
    expect(await store.messages.editMessage(old, 'indexed, then edited: beacon', T0 + 3)).not.toBeNull();
    expect(await texts(store, 'bob', 'lighthouse')).toEqual(['Lighthouse after the upgrade', 'another lighthouse']);
    expect(await texts(store, 'bob', 'beacon')).toEqual(['indexed, then edited: beacon']);

    const check = new Database(file);
    try {
      const triggers = check.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'messages_fts%' ORDER BY name").pluck().all();
      expect(triggers).toEqual(['messages_fts_delete', 'messages_fts_update']);
      check.prepare("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')").run();
    } finally {
      check.close();
    }
  });

  /** Messages in the search index, read on a connection of its own. */
  const indexed = (): number => {
    const check = new Database(file, { readonly: true });
    try {
      return check.prepare<[], number>('SELECT count(*) FROM messages_fts_docsize').pluck().get() ?? 0;
    } finally {
      check.close();
    }
  };

  it('a search finds what was stored just before it, with edits and deletions made before the messages were indexed', async () => {
    const store = await open();
    await store.accounts.createUser('alice', 'h', T0);
    await store.accounts.createUser('bob', 'h', T0);
    const send = (text: string) => store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text, ts: T0 });
    const [draft, secret] = await Promise.all([send('draft about the harbour'), send('secret harbour plan'), send('harbour at noon')]);
    await store.messages.editMessage(draft.id, 'final wording about the harbour', T0);
    await store.messages.deleteMessage(secret.id, T0);
    expect(await texts(store, 'bob', 'harbour')).toEqual(['harbour at noon', 'final wording about the harbour']);
    expect(await texts(store, 'bob', 'draft')).toEqual([]);
    expect(await texts(store, 'bob', 'secret')).toEqual([]);
    const later = await send('one more harbour');
    expect((await store.messages.search({ viewer: 'bob', terms: searchTerms('harbour'), limit: 1 }))[0]?.id).toBe(later.id);
    await store.close();
    const check = new Database(file);
    try {
      check.prepare("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')").run();
    } finally {
      check.close();
    }
  });

  it('the writer indexes new messages once it is idle, without a search', async () => {
    const store = await open();
    await store.accounts.createUser('alice', 'h', T0);
    await store.messages.saveMessage({ kind: 'broadcast', from: 'alice', text: 'quiet now', ts: T0 });
    await waitUntil(() => indexed() === 1, 'the message in the search index');
  });

  it('messages stored but not indexed when the writer died are indexed at the next start, before any search', async () => {
    let store = await open();
    await store.accounts.createUser('alice', 'h', T0);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.messages.saveMessage({ kind: 'broadcast', from: 'alice', text: `lighthouse ${i}`, ts: T0 })));
    await (store as SqliteStore).terminateWriterForTests();
    await store.close();
    store = await open();
    expect(indexed()).toBe(20);
    expect(await texts(store, 'bob', 'lighthouse')).toHaveLength(20);
  });

  it('messages another connection stored while no writer ran are searchable from the start, before any write', async () => {
    await (await open()).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO messages (kind, sender, text, ts) VALUES ('broadcast', 'carol', 'restored lighthouse log', ?)").run(T0);
    raw.close();
    const store = await open();
    expect(await texts(store, 'bob', 'lighthouse')).toEqual(['restored lighthouse log']);
  });

  it('upgrading a database indexes the messages it already holds', async () => {
    const raw = new Database(file);
    applyMigrations(raw, SQLITE_MIGRATIONS.slice(0, 8));
    const insert = raw.prepare("INSERT INTO messages (kind, sender, recipient, text, ts) VALUES ('private', 'alice', 'bob', ?, ?)");
    insert.run('an old message about Lighthouses', T0);
    insert.run('another one', T0 + 1);
    raw.prepare("INSERT INTO messages (kind, sender, text, ts) VALUES ('broadcast', 'carol', 'lighthouse keepers wanted', ?)").run(T0 + 2);
    raw.close();

    const store = await open();
    expect(await texts(store, 'bob', 'lighthouse')).toEqual(['lighthouse keepers wanted', 'an old message about Lighthouses']);
    expect(await texts(store, 'bob', 'another')).toEqual(['another one']);
    // New messages are indexed as they are written.
    await store.accounts.createUser('bob', 'h', T0);
    await store.accounts.createUser('dave', 'h', T0);
    await store.messages.saveMessage({ kind: 'private', from: 'dave', to: 'bob', text: 'Lighthouse tour?', ts: T0 + 3 });
    expect(await texts(store, 'bob', 'lighthouse')).toEqual(['Lighthouse tour?', 'lighthouse keepers wanted', 'an old message about Lighthouses']);
  });
});

await describeWithServices('PostgreSQL search index', ['postgres'], ({ postgresUrl }) => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function sql(schema: string, text: string, params: unknown[] = []): Promise<void> {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(`SET search_path TO ${schema}`);
      await client.query(text, params);
    } finally {
      await client.end();
    }
  }

  async function openAt(schema: string): Promise<Store> {
    const store = await openPostgresStore({ url: postgresUrl, schema, poolSize: 2 });
    cleanups.push(() => store.close());
    return store;
  }

  it('follows edits and emptied texts, through the expression index', async () => {
    const { schema, drop } = await createTestSchema(postgresUrl);
    cleanups.push(drop);
    const store = await openAt(schema);
    await store.accounts.createUser('alice', 'h', T0);
    await store.accounts.createUser('bob', 'h', T0);
    const first = await store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'meet at the harbour', ts: T0 });
    const second = await store.messages.saveMessage({ kind: 'private', from: 'alice', to: 'bob', text: 'harbour again', ts: T0 });
    expect(await texts(store, 'bob', 'harbour')).toEqual(['harbour again', 'meet at the harbour']);
    await sql(schema, 'UPDATE messages SET body = $1 WHERE id = $2', ['meet at the station', first.id]);
    await sql(schema, "UPDATE messages SET body = '' WHERE id = $1", [second.id]);
    expect(await texts(store, 'bob', 'harbour')).toEqual([]);
    expect(await texts(store, 'bob', 'station')).toEqual(['meet at the station']);
  });

  it('upgrading a schema indexes the messages it already holds', async () => {
    // Version 10: the last before the search index.
    const { schema, drop } = await postgresSchemaAt(postgresUrl, 10, async (client) => {
      await client.query(
        "INSERT INTO messages (kind, sender, recipient, body, ts) VALUES ('private', 'alice', 'bob', 'an old message about Lighthouses', $1)",
        [T0],
      );
      await client.query("INSERT INTO messages (kind, sender, body, ts) VALUES ('broadcast', 'carol', 'lighthouse keepers wanted', $1)", [T0 + 1]);
    });
    cleanups.push(drop);
    const store = await openAt(schema);
    expect(await texts(store, 'bob', 'lighthouse')).toEqual(['lighthouse keepers wanted', 'an old message about Lighthouses']);
  });
});
