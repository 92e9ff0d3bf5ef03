// PostgreSQL store against a real server: migrations under concurrent startup
// and from a frozen v1 database, and the cross-node guarantees (positions that
// become visible in order, lockout, name uniqueness) exercised through stores
// with separate pools, as several nodes would hold.
// Needs CHAT_TEST_POSTGRES_URL; each test works in its own fresh schema.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { groupNamedSql } from '../../server/store/postgres/groups';
import { LATEST_VERSION, MigrationError, openPostgresStore } from '../../server/store/postgres/index';
import type { MessageKind } from '../../server/protocol';
import type { Store } from '../../server/store/store';
import { postgresSchemaAt } from '../helpers/postgres-schema';
import { createTestSchema, describeWithServices } from '../helpers/services';
import { describeStoreConformance } from './store-conformance';

await describeWithServices('PostgreSQL store', ['postgres'], ({ postgresUrl }) => {
  // The behaviour every backend shares, each test in a fresh schema.
  describeStoreConformance('PostgreSQL', async () => {
    const { schema, drop } = await createTestSchema(postgresUrl);
    const store = await openPostgresStore({ url: postgresUrl, schema, poolSize: 4 });
    return { store, reopen: () => openPostgresStore({ url: postgresUrl, schema, poolSize: 4 }), cleanup: drop };
  });

  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A fresh schema and `count` stores ("nodes") open on it. */
  async function nodes(count: number): Promise<{ schema: string; stores: Store[] }> {
    const { schema, drop } = await createTestSchema(postgresUrl);
    cleanups.push(drop);
    const stores = await Promise.all(Array.from({ length: count }, () => openPostgresStore({ url: postgresUrl, schema, poolSize: 4 })));
    for (const store of stores) cleanups.push(() => store.close());
    return { schema, stores };
  }

  async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  it('migrates once when several nodes start at the same time, and again is a no-op', async () => {
    const { schema } = await nodes(4);
    const applied = await sql<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    expect(applied.map((r) => r.version)).toEqual(Array.from({ length: LATEST_VERSION }, (_, i) => i + 1));
    // Opening again (what every node does at start) applies nothing.
    const again = await openPostgresStore({ url: postgresUrl, schema });
    await again.close();
    expect(await sql(`SELECT version FROM ${schema}.schema_migrations`)).toHaveLength(LATEST_VERSION);
  });

  /** A schema at version 2 (before canonical names), built by the released steps 1-2, holding `users`. */
  async function schemaAtV2(users: readonly string[]): Promise<string> {
    const { schema, drop } = await postgresSchemaAt(postgresUrl, 2, async (client) => {
      for (const [i, name] of users.entries()) {
        await client.query(`INSERT INTO names (name, kind) VALUES ($1, 'user')`, [name]);
        await client.query('INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)', [name, `hash-${name}`, i]);
      }
    });
    cleanups.push(drop);
    return schema;
  }

  it('upgrades a version-2 schema: names match in any case, the registered spelling is kept', async () => {
    const schema = await schemaAtV2(['Alice', 'bob']);
    const store = await openPostgresStore({ url: postgresUrl, schema });
    cleanups.push(() => store.close());
    expect(await store.accounts.getUser('ALICE')).toMatchObject({ username: 'Alice', passwordHash: 'hash-Alice' });
    expect(await store.accounts.createUser('alice', 'h', 1)).toBe(false);
    expect(await store.accounts.existingUsers(['BOB', 'alice'])).toEqual(['bob', 'Alice']);
  });

  it('a version-2 schema with accounts that clash by canonical form is not upgraded: the error names them, nothing is merged', async () => {
    const schema = await schemaAtV2(['Alice', 'alice', 'carol', 'BOB', 'bob']);
    await expect(openPostgresStore({ url: postgresUrl, schema })).rejects.toThrow(/these accounts clash: .*"Alice" and "alice".*Nothing was changed/);
    await expect(openPostgresStore({ url: postgresUrl, schema })).rejects.toThrow(/"BOB" and "bob"/);
    // The whole migration runs in one transaction: nothing after version 2 was applied.
    expect(await sql(`SELECT max(version) AS v FROM ${schema}.schema_migrations`)).toEqual([{ v: 2 }]);
    expect((await sql<{ username: string }>(`SELECT username FROM ${schema}.users ORDER BY created_at`)).map((r) => r.username)).toEqual([
      'Alice',
      'alice',
      'carol',
      'BOB',
      'bob',
    ]);
  });

  it('creates a missing schema on open', async () => {
    const { schema, drop } = await createTestSchema(postgresUrl);
    await drop();
    cleanups.push(drop);
    const store = await openPostgresStore({ url: postgresUrl, schema });
    cleanups.push(() => store.close());
    expect(await store.accounts.createUser('alice', 'h', 1)).toBe(true);
  });

  it('refuses a database whose schema is newer than the code', async () => {
    const { schema, stores } = await nodes(1);
    await stores[0]!.close();
    await sql(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, 'from the future')`, [LATEST_VERSION + 1]);
    await expect(openPostgresStore({ url: postgresUrl, schema })).rejects.toBeInstanceOf(MigrationError);
  });

  it('rejects schema names that are not plain identifiers', async () => {
    await expect(openPostgresStore({ url: postgresUrl, schema: 'x; DROP TABLE users' })).rejects.toThrow(/Invalid PostgreSQL schema/);
  });

  it('keeps everything across a reopen (another node or a restart)', async () => {
    const { schema, stores } = await nodes(1);
    const store = stores[0]!;
    await store.accounts.createUser('alice', 'hash', 1_700_000_000_123);
    await store.accounts.createUser('bob', 'hash', 1_700_000_000_123);
    await store.messages.saveMessage({ kind: 'private', from: 'bob', to: 'alice', text: 'hi', ts: 1_700_000_000_456 });
    await store.close();
    const again = await openPostgresStore({ url: postgresUrl, schema });
    cleanups.push(() => again.close());
    expect(await again.accounts.getUser('alice')).toEqual({ username: 'alice', passwordHash: 'hash', createdAt: 1_700_000_000_123, lastLoginAt: null });
    const [delivery] = await again.messages.mailbox({ username: 'alice', after: 0, limit: 10 });
    expect(delivery).toMatchObject({ seq: 1, offline: false, message: { from: 'bob', to: 'alice', text: 'hi', ts: 1_700_000_000_456 } });
    expect(await again.messages.head()).toBe(1);
  });

  it('positions become visible in order across nodes: a reader never sees a position before a smaller one', async () => {
    const { stores } = await nodes(3);
    const [a, b, reader] = stores as [Store, Store, Store];
    for (const u of ['sender', 'bob']) await a.accounts.createUser(u, 'h', 1);
    let done = false;
    const seen: number[][] = [];
    const reading = (async () => {
      while (!done) seen.push((await reader.messages.mailbox({ username: 'bob', after: 0, limit: 1000 })).map((d) => d.seq));
    })();
    const saves = Array.from({ length: 80 }, (_, k) =>
      (k % 2 ? a : b).messages.saveMessage({ kind: 'private', from: 'sender', to: 'bob', text: `m${k}`, ts: k }),
    );
    const saved = await Promise.all(saves);
    done = true;
    await reading;
    const final = (await reader.messages.mailbox({ username: 'bob', after: 0, limit: 1000 })).map((d) => d.seq);
    expect(final).toEqual(saved.map((m) => m.id).sort((x, y) => x - y));
    expect(seen.length).toBeGreaterThan(0);
    // Every read was a prefix of the final order: no hole that a later commit filled.
    for (const read of seen) expect(read).toEqual(final.slice(0, read.length));
  });

  it('a broadcast is one row whatever the audience', async () => {
    const { schema, stores } = await nodes(1);
    const store = stores[0]!;
    const names = Array.from({ length: 1000 }, (_, i) => `u${i}`);
    // Bulk-created accounts (createUser commits one at a time, which is slow for 1000).
    await sql(`INSERT INTO ${schema}.names (name, kind) SELECT unnest($1::text[]), 'user'`, [[...names, 'boss']]);
    await sql(`INSERT INTO ${schema}.users (username, name_key, password_hash, created_at) SELECT n, n, 'h', 1 FROM unnest($1::text[]) AS n`, [
      [...names, 'boss'],
    ]);
    const message = await store.messages.saveMessage({ kind: 'broadcast', from: 'boss', text: 'all hands', ts: 5 });
    expect(await sql(`SELECT id FROM ${schema}.messages`)).toHaveLength(1);
    expect((await store.messages.mailbox({ username: 'u999', after: 0, limit: 10 })).map((d) => d.message)).toEqual([message]);
  });

  it('rolls back a failed saveMessage entirely: no message; the next one commits', async () => {
    const { schema, stores } = await nodes(1);
    const store = stores[0]!;
    await store.accounts.createUser('b', 'h', 1);
    await store.messages.saveMessage({ kind: 'private', from: 'a', to: 'b', text: 'one', ts: 1 });
    // The CHECK constraint on kind fails inside the batch's transaction.
    const bad = { kind: 'bogus' as MessageKind, from: 'a', to: 'b', text: 'two', ts: 2 };
    await expect(store.messages.saveMessage(bad)).rejects.toThrow();
    expect(await sql(`SELECT id FROM ${schema}.messages`)).toHaveLength(1);
    const next = await store.messages.saveMessage({ kind: 'private', from: 'a', to: 'b', text: 'three', ts: 3 });
    expect((await store.messages.mailbox({ username: 'b', after: 0, limit: 10 })).map((d) => d.message)).toEqual([
      expect.objectContaining({ text: 'one' }),
      next,
    ]);
  });

  it('upgrades a version-13 schema: messages keep their ids, client_key is added with a unique index per sender', async () => {
    const { schema, drop } = await postgresSchemaAt(postgresUrl, 13, async (client) => {
      for (const name of ['ann', 'bob']) {
        await client.query(`INSERT INTO names (name, kind) VALUES ($1, 'user')`, [name]);
        await client.query("INSERT INTO users (username, name_key, password_hash, created_at) VALUES ($1, $1, 'h', 1)", [name]);
      }
      await client.query("INSERT INTO messages (id, kind, sender, recipient, body, ts) VALUES (nextval('messages_id_seq'), 'private', 'ann', 'bob', 'old', 1)");
    });
    cleanups.push(drop);
    const store = await openPostgresStore({ url: postgresUrl, schema });
    cleanups.push(() => store.close());
    const first = await store.messages.saveMessageOnce({ kind: 'private', from: 'ann', to: 'bob', text: 'keyed', ts: 2 }, 'k1');
    expect(first).toMatchObject({ repeat: false, message: { id: 2 } });
    expect(await store.messages.saveMessageOnce({ kind: 'private', from: 'ann', to: 'bob', text: 'keyed', ts: 3 }, 'k1')).toEqual({
      message: first.message,
      repeat: true,
    });
    expect((await store.messages.mailbox({ username: 'bob', after: 0, limit: 10 })).map((d) => d.message.text)).toEqual(['old', 'keyed']);
    expect(await sql(`SELECT id, client_key FROM ${schema}.messages ORDER BY id`)).toEqual([
      { id: '1', client_key: null },
      { id: '2', client_key: 'k1' },
    ]);
    await expect(sql(`UPDATE ${schema}.messages SET client_key = 'k1' WHERE id = 1`)).rejects.toThrow(/unique/i);
  });

  it('step 15 adds files.avatar_hash: a picture set at version 14 keeps its file and profile, without an avatar picture until one is recorded', async () => {
    const [hash, thumbHash, avatarHash] = ['content', 'thumbnail', 'avatar'].map((t) => createHash('sha256').update(t).digest('hex')) as [
      string,
      string,
      string,
    ];
    const { schema, drop } = await postgresSchemaAt(postgresUrl, 14, async (client) => {
      await client.query(`INSERT INTO names (name, kind) VALUES ('ann', 'user')`);
      await client.query("INSERT INTO users (username, name_key, password_hash, created_at) VALUES ('ann', 'ann', 'h', 1)");
      await client.query(
        `INSERT INTO files (id, uploader, name, size, type, hash, width, height, thumb_hash, created_at)
         VALUES ('AAAAAAAAAAAAAAAAAAAAAA', 'ann', 'me.png', 10, 'image/png', $1, 64, 48, $2, 1)`,
        [hash, thumbHash],
      );
      await client.query("UPDATE users SET avatar = 'AAAAAAAAAAAAAAAAAAAAAA' WHERE username = 'ann'");
    });
    cleanups.push(drop);
    const store = await openPostgresStore({ url: postgresUrl, schema });
    cleanups.push(() => store.close());
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
        createdAt: 1,
      },
    ]);
    expect((await store.accounts.getProfiles(['ann']))[0]).toMatchObject({ avatar: 'AAAAAAAAAAAAAAAAAAAAAA' });
    expect(await store.files.setAvatarHash('AAAAAAAAAAAAAAAAAAAAAA', avatarHash)).toBe(true);
    expect(await store.files.hashInUse(avatarHash)).toBe(true);
  });

  it('step 16 indexes group names by lower(name), which every any-case check uses; groups differing only in case from before are kept', async () => {
    const { schema, drop } = await postgresSchemaAt(postgresUrl, 15, async (client) => {
      await client.query(`INSERT INTO names (name, kind) VALUES ('ann', 'user')`);
      await client.query("INSERT INTO users (username, name_key, password_hash, created_at) VALUES ('ann', 'ann', 'h', 1)");
      // Allowed before names were compared in any case: a unique index could not be built on these.
      for (const name of ['Crew', 'crew']) {
        await client.query(`INSERT INTO names (name, kind) VALUES ($1, 'group')`, [name]);
        await client.query("INSERT INTO groups (name, owner, created_at) VALUES ($1, 'ann', 1)", [name]);
        await client.query("INSERT INTO group_members (group_name, username) VALUES ($1, 'ann')", [name]);
      }
    });
    cleanups.push(drop);
    const store = await openPostgresStore({ url: postgresUrl, schema });
    cleanups.push(() => store.close());
    expect(await sql(`SELECT max(version) AS v FROM ${schema}.schema_migrations`)).toEqual([{ v: LATEST_VERSION }]);
    expect((await store.groups.groupsOf('ann')).map((g) => g.name)).toEqual(['Crew', 'crew']);
    expect(await store.groups.hasGroupNamed('CREW')).toBe(true);
    expect(await store.groups.createGroup('cREW', 'ann', [], 2)).toBe(false);
    expect(await store.accounts.createUser('CREW', 'h', 2)).toBe(false);
    expect(await store.admin.renameUser('ann', 'crEw')).toBe('taken');
    // The planner takes the index for the query text the store uses (sequential scans off, as on a big table).
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(`SET search_path TO ${schema}`);
      await client.query('SET enable_seqscan = off');
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${groupNamedSql("'crew'")}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('groups_lower_name_idx');
    } finally {
      await client.end();
    }
  });

  it('the same key sent to two nodes at once stores one message; both answer with it', async () => {
    const { schema, stores } = await nodes(2);
    const [a, b] = stores as [Store, Store];
    for (const u of ['ann', 'bob']) await a.accounts.createUser(u, 'h', 1);
    for (let round = 0; round < 10; round++) {
      const key = `race-${round}`;
      const message = { kind: 'private' as const, from: 'ann', to: 'bob', text: `r${round}`, ts: round };
      const [one, two] = await Promise.all([a.messages.saveMessageOnce({ ...message }, key), b.messages.saveMessageOnce({ ...message }, key)]);
      expect(one.message.id).toBe(two.message.id);
      expect([one.repeat, two.repeat].sort()).toEqual([false, true]);
    }
    expect(await sql(`SELECT count(*)::int AS n FROM ${schema}.messages`)).toEqual([{ n: 10 }]);
  });

  it('upgrades a frozen version-1 database (tests/fixtures/postgres-v1.sql): per-recipient rows become positions, ended groups stay ended', async () => {
    const { schema, drop } = await createTestSchema(postgresUrl);
    cleanups.push(drop);
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`SET search_path TO ${schema}`);
      await client.query(readFileSync(new URL('../fixtures/postgres-v1.sql', import.meta.url), 'utf8'));
    } finally {
      await client.end();
    }
    const store = await openPostgresStore({ url: postgresUrl, schema });
    cleanups.push(() => store.close());
    expect(await sql(`SELECT max(version) AS v FROM ${schema}.schema_migrations`)).toEqual([{ v: LATEST_VERSION }]);
    expect(await store.accounts.getUser('bob')).toEqual({
      username: 'bob',
      passwordHash: 'hash-b',
      createdAt: 1_700_000_000_000,
      lastLoginAt: 1_700_000_000_005,
    });
    expect(await store.groups.getGroup('team')).toMatchObject({ name: 'team', owner: 'alice', members: ['alice', 'bob'] });
    expect(await store.accounts.findToken('tokenhash-a', 1_700_000_000_000)).toBe('alice');
    // A token from before rotation is a family of its own, never rotated.
    expect(await store.accounts.getToken('tokenhash-a', 1_700_000_000_000)).toEqual({
      username: 'alice',
      family: 'tokenhash-a',
      createdAt: 1_700_000_000_000,
      expiresAt: 1700003600000,
      rotatedAt: null,
      graceUntil: null,
    });
    // bob acknowledged his seq 2, which was message 3: what he had not acknowledged still waits, exactly once.
    expect(await store.messages.lastAcked('bob')).toBe(3);
    const bob = await store.messages.signIn('bob');
    expect(bob.head).toBe(5);
    expect((await store.messages.mailbox({ username: 'bob', after: bob.acked, limit: 10, away: bob.away })).map((d) => [d.seq, d.message.text])).toEqual([
      [4, 'team meeting'],
      [5, 'from dave'],
    ]);
    // The ended group's message is unreachable from the current "team".
    expect((await store.messages.history({ viewer: 'alice', group: 'team', limit: 10 })).map((m) => m.text)).toEqual(['team meeting']);
    expect(await store.messages.mailbox({ username: 'carol', after: 1, limit: 10 })).toEqual([]);
    // Conversations (step 9): the direct pairs are found in the stream, and what was acknowledged counts as read.
    const listed = await store.messages.conversations({ username: 'bob', limit: 10 });
    expect(listed.map((c) => [c.kind, c.name, c.lastMessage?.text ?? null, c.unread])).toEqual([
      ['direct', 'dave', 'from dave', 1],
      ['group', 'team', 'team meeting', 1],
      ['everyone', '', 'hello all', 0],
      ['direct', 'alice', 'hi bob', 0],
    ]);
    const next = await store.messages.saveMessage({ kind: 'group', from: 'alice', group: 'team', text: 'next', ts: 1_700_000_000_020 });
    expect(next.id).toBe(6);
    expect((await store.messages.mailbox({ username: 'bob', after: 5, limit: 10 })).map((d) => d.message)).toEqual([next]);
  });

  it('counts failed sign-ins from several nodes atomically', async () => {
    const { stores } = await nodes(2);
    const now = 10_000;
    const policy = { maxAttempts: 3, lockMs: 60_000, maxPerHour: 100 };
    const results = await Promise.all(Array.from({ length: 3 }, (_, i) => stores[i % 2]!.accounts.finishLoginAttempt('carol', now, false, policy)));
    expect(results.filter((r) => r.lockedUntil === now + 60_000)).toHaveLength(1);
    for (const store of stores) expect(await store.accounts.getLockState('carol', now + 1)).toEqual({ failures: 0, lockedUntil: now + 60_000 });
    // Once the lock has expired the count starts again from zero.
    expect(await stores[1]!.accounts.getLockState('carol', now + 60_000)).toEqual({ failures: 0, lockedUntil: null });
    expect(await stores[1]!.accounts.finishLoginAttempt('carol', now + 60_001, false, policy)).toEqual({ failures: 1, lockedUntil: null, attemptsLeft: 2 });
  });

  it('never lets a user and a group share a name, even when created concurrently on two nodes', async () => {
    const { stores } = await nodes(2);
    const [a, b] = stores as [Store, Store];
    for (let i = 0; i < 10; i++) {
      const name = `name${i}`;
      const [user, group] = await Promise.all([a.accounts.createUser(name, 'h', 1), b.groups.createGroup(name, 'owner', [], 1)]);
      expect(Number(user) + Number(group)).toBe(1);
    }
    expect(await a.accounts.createUser('name0', 'h', 1)).toBe(false);
  });

  it('passes ownership on when the owner is removed, and frees the name when the group empties', async () => {
    const { stores } = await nodes(2);
    const [a, b] = stores as [Store, Store];
    expect(await a.groups.createGroup('team', 'alice', ['bob', 'alice', 'carol', 'bob'], 7)).toBe(true);
    expect(await b.groups.getGroup('team')).toMatchObject({ name: 'team', owner: 'alice', members: ['alice', 'bob', 'carol'], createdAt: 7 });
    expect(await b.groups.removeGroupMembers('team', ['alice'])).toMatchObject({ name: 'team', owner: 'bob', members: ['bob', 'carol'], createdAt: 7 });
    expect(await a.groups.addGroupMembers('team', ['alice', 'bob'])).toMatchObject({ owner: 'bob', members: ['bob', 'carol', 'alice'] });
    expect(await a.groups.removeGroupMembers('team', ['bob', 'carol', 'alice'])).toBeNull();
    expect(await b.groups.getGroup('team')).toBeNull();
    expect(await b.groups.groupsOf('carol')).toEqual([]);
    expect(await b.accounts.createUser('team', 'h', 1)).toBe(true);
  });
});

describe('openPostgresStore start-up', () => {
  it('an unreachable PostgreSQL is named in the error, without the password of its URL', async () => {
    const err = await openPostgresStore({ url: 'postgres://chat:s3cret@127.0.0.1:1/chat' }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(err?.message).not.toContain('s3cret');
  });
});
