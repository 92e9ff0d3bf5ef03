// PostgreSQL store against a real server: migrations under concurrent startup,
// and the cross-node guarantees (sequence numbers, lockout, name uniqueness)
// exercised through two stores with separate pools, as two nodes would hold.
// Needs CHAT_TEST_POSTGRES_URL; each test works in its own fresh schema.
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { LATEST_VERSION, MigrationError, openPostgresStore } from '../../server/store/postgres/index';
import { MIGRATIONS } from '../../server/store/postgres/migrations';
import type { MessageKind } from '../../server/protocol';
import type { Recipient, Store } from '../../server/store/store';
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
    const { schema, drop } = await createTestSchema(postgresUrl);
    cleanups.push(drop);
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}`);
      await client.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const step of MIGRATIONS.filter((m) => m.version <= 2)) {
        await client.query(step.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [step.version, step.name]);
      }
      for (const [i, name] of users.entries()) {
        await client.query(`INSERT INTO names (name, kind) VALUES ($1, 'user')`, [name]);
        await client.query('INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)', [name, `hash-${name}`, i]);
      }
    } finally {
      await client.end();
    }
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
    await store.messages.saveMessage({ kind: 'private', from: 'bob', to: 'alice', text: 'hi', ts: 1_700_000_000_456 }, [{ username: 'alice', offline: true }]);
    await store.close();
    const again = await openPostgresStore({ url: postgresUrl, schema });
    cleanups.push(() => again.close());
    expect(await again.accounts.getUser('alice')).toEqual({ username: 'alice', passwordHash: 'hash', createdAt: 1_700_000_000_123, lastLoginAt: null });
    const [delivery] = await again.messages.offlineDeliveries('alice', 10);
    expect(delivery).toMatchObject({ seq: 1, offline: true, message: { from: 'bob', to: 'alice', text: 'hi', ts: 1_700_000_000_456 } });
    expect(await again.messages.lastSeq('alice')).toBe(1);
  });

  it('gives gap-free per-recipient sequence numbers under concurrent broadcasts from two nodes', async () => {
    const { stores } = await nodes(2);
    const users = Array.from({ length: 60 }, (_, i) => `user${String(i).padStart(2, '0')}`);
    for (const u of ['sender', ...users]) await stores[0]!.accounts.createUser(u, 'h', 1);
    // Overlapping recipient sets in opposite orders: the case that deadlocks
    // when rows are locked in input order.
    const sends = Array.from({ length: 30 }, (_, k) => {
      const recipients: Recipient[] = (k % 2 === 0 ? users : [...users].reverse())
        .filter((_, i) => (i + k) % 3 !== 0)
        .map((username, i) => ({ username, offline: i % 4 === 0 }));
      return stores[k % 2]!.messages.saveMessage({ kind: 'broadcast', from: 'sender', text: `m${k}`, ts: 1000 + k }, recipients);
    });
    const results = await Promise.all(sends);
    for (const user of users) {
      const mine = results.flatMap((r) => r.deliveries.filter((d) => d.username === user)).map((d) => d.seq);
      const expected = Array.from({ length: mine.length }, (_, i) => i + 1);
      expect([...mine].sort((a, b) => a - b)).toEqual(expected);
      expect(await stores[0]!.messages.lastSeq(user)).toBe(mine.length);
      const stored = await stores[1]!.messages.deliveriesAfter(user, 0, 1000);
      expect(stored.map((d) => d.seq)).toEqual(expected);
    }
    // Message ids are unique and every delivery points at its own message.
    expect(new Set(results.map((r) => r.message.id)).size).toBe(results.length);
  });

  it('stores a 1000-recipient broadcast with deliveries in recipient order', async () => {
    const { schema, stores } = await nodes(1);
    const store = stores[0]!;
    const recipients = Array.from({ length: 1000 }, (_, i) => ({ username: `u${999 - i}`, offline: i % 2 === 0 }));
    // Bulk-created accounts (createUser commits one at a time, which is slow for 1000).
    const names = recipients.map((r) => r.username);
    await sql(`INSERT INTO ${schema}.names (name, kind) SELECT unnest($1::text[]), 'user'`, [names]);
    await sql(`INSERT INTO ${schema}.users (username, name_key, password_hash, created_at) SELECT n, n, 'h', 1 FROM unnest($1::text[]) AS n`, [names]);
    const { message, deliveries } = await store.messages.saveMessage({ kind: 'broadcast', from: 'boss', text: 'all hands', ts: 5 }, recipients);
    expect(deliveries.map((d) => d.username)).toEqual(recipients.map((r) => r.username));
    expect(deliveries.every((d) => d.seq === 1 && d.message.id === message.id)).toBe(true);
    expect(deliveries.map((d) => d.offline)).toEqual(recipients.map((r) => r.offline));
    expect(await store.messages.countOfflineAfter('u999', 0)).toBe(1);
    expect(await store.messages.countOfflineAfter('u998', 0)).toBe(0);
  });

  it('rolls back a failed saveMessage entirely: no message, no delivery, no seq used', async () => {
    const { schema, stores } = await nodes(1);
    const store = stores[0]!;
    await store.accounts.createUser('b', 'h', 1);
    await store.messages.saveMessage({ kind: 'private', from: 'a', to: 'b', text: 'one', ts: 1 }, [{ username: 'b', offline: false }]);
    // The CHECK constraint on kind fails inside the same statement as the mailbox upsert.
    const bad = { kind: 'bogus' as MessageKind, from: 'a', to: 'b', text: 'two', ts: 2 };
    await expect(store.messages.saveMessage(bad, [{ username: 'b', offline: false }])).rejects.toThrow();
    expect(await store.messages.lastSeq('b')).toBe(1);
    expect(await sql(`SELECT id FROM ${schema}.messages`)).toHaveLength(1);
    const next = await store.messages.saveMessage({ kind: 'private', from: 'a', to: 'b', text: 'three', ts: 3 }, [{ username: 'b', offline: false }]);
    expect(next.deliveries[0]!.seq).toBe(2);
  });

  it('counts failed sign-ins from several nodes atomically', async () => {
    const { stores } = await nodes(2);
    const now = 10_000;
    const results = await Promise.all(Array.from({ length: 3 }, (_, i) => stores[i % 2]!.accounts.recordFailedLogin('carol', now, 3, 60_000)));
    expect(results.filter((r) => r.lockedUntil === now + 60_000)).toHaveLength(1);
    for (const store of stores) expect(await store.accounts.getLockState('carol', now + 1)).toEqual({ failures: 0, lockedUntil: now + 60_000 });
    // Once the lock has expired the count starts again from zero.
    expect(await stores[1]!.accounts.getLockState('carol', now + 60_000)).toEqual({ failures: 0, lockedUntil: null });
    expect(await stores[1]!.accounts.recordFailedLogin('carol', now + 60_001, 3, 60_000)).toEqual({ failures: 1, lockedUntil: null });
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
    expect(await b.groups.getGroup('team')).toEqual({ name: 'team', owner: 'alice', members: ['alice', 'bob', 'carol'], createdAt: 7 });
    expect(await b.groups.removeGroupMembers('team', ['alice'])).toEqual({ name: 'team', owner: 'bob', members: ['bob', 'carol'], createdAt: 7 });
    expect(await a.groups.addGroupMembers('team', ['alice', 'bob'])).toMatchObject({ owner: 'bob', members: ['bob', 'carol', 'alice'] });
    expect(await a.groups.removeGroupMembers('team', ['bob', 'carol', 'alice'])).toBeNull();
    expect(await b.groups.getGroup('team')).toBeNull();
    expect(await b.groups.groupsOf('carol')).toEqual([]);
    expect(await b.accounts.createUser('team', 'h', 1)).toBe(true);
  });
});
