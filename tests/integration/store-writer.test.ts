// The SQLite store's writer thread on real files: call order and gap-free seqs
// under many concurrent callers, per-job failure, read-your-writes, draining on
// close, a crashed thread, reopening, and the v1 → v2 schema upgrade.
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, openSqliteStore, SQLITE_FILE_NAME, type SqliteStore } from '../../server/store/sqlite';
import { NEW_FILE_PAGE_SIZE } from '../../server/store/sqlite/connection';
import { applyMigrations, MIGRATIONS, readSchemaVersion } from '../../server/store/sqlite/migrations';
import type { NewMessage } from '../../server/store/store';

const T0 = 1_700_000_000_000;

describe('SQLite writer thread', () => {
  let dir: string;
  let file: string;
  const open: SqliteStore[] = [];
  const logged: { details: object; message: string }[] = [];
  const log = { error: (details: object, message: string) => void logged.push({ details, message }) };

  async function openStore(): Promise<SqliteStore> {
    const store = await openSqliteStore({ dataDir: dir, log });
    open.push(store);
    return store;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chat-writer-'));
    file = join(dir, SQLITE_FILE_NAME);
    logged.length = 0;
  });

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const note = (from: string, text: string): NewMessage => ({ kind: 'broadcast', from, text, ts: T0 });
  const all = (store: SqliteStore, username: string) => store.messages.mailbox({ username, after: 0, limit: 10_000 });
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('many concurrent callers: writes apply in call order, ids follow call order', async () => {
    const store = await openStore();
    const people = ['ann', 'ben', 'cat', 'dan'];
    await Promise.all(people.map((name) => store.accounts.createUser(name, 'h', T0)));
    // 40 callers, each sending 10 messages with turns in between, so jobs from
    // different callers interleave across many batches.
    const calls: { caller: number; i: number; promise: ReturnType<SqliteStore['messages']['saveMessage']> }[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, caller) => {
        for (let i = 0; i < 10; i++) {
          calls.push({ caller, i, promise: store.messages.saveMessage(note('ann', `${caller}:${i}`)) });
          if ((caller + i) % 3 === 0) await tick();
        }
      }),
    );
    const saved = await Promise.all(calls.map((c) => c.promise));
    // Call order (the order of `calls`) is commit order: ids increase along it.
    expect(saved.map((m) => m.id)).toEqual(saved.map((_, i) => (saved[0]?.id ?? 0) + i));
    for (const name of ['ben', 'cat', 'dan']) {
      const stored = await all(store, name);
      expect(stored.map((d) => d.message.text)).toEqual(calls.map((c) => `${c.caller}:${c.i}`));
      expect(stored.map((d) => d.seq)).toEqual(saved.map((m) => m.id));
    }
    expect(store.batchStats().commits).toBeLessThan(400); // they were group-committed
  });

  it("a saved message comes back as stored: its own fields in wire order after the id, its quote, none of the caller's extras", async () => {
    const store = await openStore();
    await Promise.all(['ann', 'ben'].map((name) => store.accounts.createUser(name, 'h', T0)));
    const first = await store.messages.saveMessage({ kind: 'private', from: 'ann', to: 'ben', text: 'hi', ts: T0 });
    expect(JSON.stringify(first)).toBe(`{"id":${first.id},"kind":"private","from":"ann","text":"hi","ts":${T0},"to":"ben"}`);
    const quote = { id: first.id, from: 'ann', text: 'hi' };
    // A caller's object may carry more than a NewMessage (the store takes what it needs when called).
    const caller = { kind: 'private', from: 'ben', to: 'ann', text: 'yes', ts: T0 + 1, replyTo: quote, draft: true } as NewMessage;
    const saving = store.messages.saveMessage(caller);
    caller.text = 'changed after the call';
    const reply = await saving;
    expect(JSON.stringify(reply)).toBe(
      `{"id":${reply.id},"kind":"private","from":"ben","text":"yes","ts":${T0 + 1},"to":"ann","replyTo":{"id":${first.id},"from":"ann","text":"hi"}}`,
    );
    expect((await store.messages.getMessage(reply.id))?.message).toEqual(reply);
    expect(await store.groups.createGroup('team', 'ann', ['ben'], T0)).toBe(true);
    const inGroup = await store.messages.saveMessage({ kind: 'group', from: 'ann', group: 'team', text: 'standup', ts: T0 + 2 });
    expect(JSON.stringify(inGroup)).toBe(`{"id":${inGroup.id},"kind":"group","from":"ann","text":"standup","ts":${T0 + 2},"group":"team"}`);
    expect((await all(store, 'ben')).map((d) => d.message)).toEqual([first, inGroup]);
  });

  it('a job that fails rejects alone, with the SQLite error code carried across; its batch commits', async () => {
    const store = await openStore();
    await Promise.all(['ann', 'ben'].map((name) => store.accounts.createUser(name, 'h', T0)));
    const before = store.batchStats();
    const first = store.messages.saveMessage(note('ann', 'one'));
    // The CHECK on messages.kind fails inside SQLite.
    const bad = store.messages.saveMessage({ ...note('ann', 'bad'), kind: 'shout' as NewMessage['kind'] });
    const login = store.accounts.recordLogin('ben', T0 + 1);
    const third = store.messages.saveMessage(note('ann', 'three'));
    const error: unknown = await bad.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/CHECK constraint failed/);
    expect((error as { code?: string }).code).toBe('SQLITE_CONSTRAINT_CHECK');
    const [a, , c] = await Promise.all([first, login, third]);
    expect(c.id - a.id).toBe(1);
    const after = store.batchStats();
    expect(after.commits - before.commits).toBe(1);
    expect(after.failures - before.failures).toBe(1);
    expect(after.writes - before.writes).toBe(3);
    expect((await store.accounts.getUser('ben'))?.lastLoginAt).toBe(T0 + 1);
  });

  it('results reach their own callers when failures are scattered through a turn, and the batch is redone once', async () => {
    const store = await openStore();
    await Promise.all(['ann', 'ben'].map((name) => store.accounts.createUser(name, 'h', T0)));
    const before = store.batchStats();
    // Every third message goes to someone who is not a user: the INSERT finds no recipient.
    const calls = Array.from({ length: 30 }, (_, i) => {
      const to = i % 3 === 1 ? `ghost${i}` : 'ben';
      return { i, to, promise: store.messages.saveMessage({ kind: 'private', from: 'ann', to, text: `m${i}`, ts: T0 + i }) };
    });
    const acks = [store.messages.ack('ben', 1), store.messages.ack('ann', 1)];
    const outcomes = await Promise.allSettled(calls.map((c) => c.promise));
    await Promise.all(acks);
    const ids: number[] = [];
    outcomes.forEach((outcome, i) => {
      const call = calls[i]!;
      if (call.to === 'ben') {
        expect(outcome.status).toBe('fulfilled');
        const message = (outcome as PromiseFulfilledResult<Awaited<typeof call.promise>>).value;
        expect(message).toMatchObject({ kind: 'private', from: 'ann', to: 'ben', text: `m${i}` });
        ids.push(message.id);
      } else {
        expect(outcome.status).toBe('rejected');
        expect(String((outcome as PromiseRejectedResult).reason)).toContain(`recipient "${call.to}" is not a user`);
      }
    });
    // Ids follow call order with no gaps: the failed inserts left nothing behind.
    expect(ids).toEqual(ids.map((_, k) => ids[0]! + k));
    const stored = await all(store, 'ben');
    expect(stored.map((d) => d.message.text)).toEqual(calls.filter((c) => c.to === 'ben').map((c) => `m${c.i}`));
    expect(await store.messages.lastAcked('ben')).toBe(1);
    // Both directions of the pair point at the last message sent.
    for (const [user, peer] of [
      ['ann', 'ben'],
      ['ben', 'ann'],
    ] as const) {
      const direct = (await store.messages.conversations({ username: user, limit: 10 })).filter((c) => c.kind === 'direct');
      expect(direct.map((c) => [c.name, c.lastMessage?.id])).toEqual([[peer, ids.at(-1)]]);
    }
    const after = store.batchStats();
    expect(after.failures - before.failures).toBe(10);
    // 20 messages and one job for the two acknowledgements (queued one after the other: coalesced).
    expect(after.writes - before.writes).toBe(21);
    expect(after.reruns - before.reruns).toBe(after.commits - before.commits);
  });

  describe('acknowledgements queued together', () => {
    /** Reads acked straight from the file, on a connection of its own: only committed rows are visible there. */
    const committedAcked = (raw: Database.Database, username: string): number | undefined =>
      raw.prepare('SELECT acked FROM positions WHERE username = ?').pluck().get(username) as number | undefined;

    it('go to the writer as one job in one commit: highest position per user, clamped to the head, unknown users ignored', async () => {
      const store = await openStore();
      const everyone = Array.from({ length: 300 }, (_, i) => `user${i}`);
      await Promise.all(everyone.map((name) => store.accounts.createUser(name, 'h', T0)));
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.messages.saveMessage(note('user0', `m${i}`))).id);
      const head = ids[4]!;
      const before = store.batchStats();
      const raw = new Database(file, { readonly: true });
      try {
        const seenAtResolve: (number | undefined)[] = [];
        const acks: Promise<void>[] = [];
        // Everyone acknowledges twice, newest first for half of them: only the highest counts.
        for (const [i, name] of everyone.entries()) {
          const [first, second] = i % 2 === 0 ? [ids[1]!, ids[3]!] : [ids[3]!, ids[1]!];
          acks.push(store.messages.ack(name, first), store.messages.ack(name, second));
        }
        acks.push(store.messages.ack('user7', head + 1000)); // beyond the head: clamped
        acks.push(store.messages.ack('ghost', ids[2]!)); // not a user: ignored, as a lone ack is
        acks.push(store.messages.ack('user8', 0)); // never lowers
        acks.forEach((ack) => void ack.then(() => seenAtResolve.push(committedAcked(raw, 'user299'))));
        expect(committedAcked(raw, 'user299')).toBe(0); // queued, nothing written yet
        await Promise.all(acks);
        // Each promise resolved once the commit was visible to another connection.
        expect(seenAtResolve).toEqual(acks.map(() => ids[3]));
        const after = store.batchStats();
        expect(after.commits - before.commits).toBe(1);
        expect(after.writes - before.writes).toBe(1);
        expect(after.failures - before.failures).toBe(0);
        expect(committedAcked(raw, 'ghost')).toBeUndefined();
      } finally {
        raw.close();
      }
      const expected = (name: string) => (name === 'user7' ? head : ids[3]);
      for (const name of everyone) expect(await store.messages.lastAcked(name)).toBe(expected(name));
      expect(await store.messages.lastAcked('ghost')).toBe(0);

      // A restart finds them.
      await store.close();
      open.length = 0;
      const reopened = await openStore();
      for (const name of everyone) expect(await reopened.messages.lastAcked(name)).toBe(expected(name));
    });

    it('a job that fails in the same batch neither loses nor rejects them', async () => {
      const store = await openStore();
      await Promise.all(['ann', 'ben', 'cat'].map((name) => store.accounts.createUser(name, 'h', T0)));
      const m1 = await store.messages.saveMessage(note('ann', 'one'));
      const m2 = await store.messages.saveMessage(note('ann', 'two'));
      const before = store.batchStats();
      const acks = [store.messages.ack('ben', m1.id), store.messages.ack('cat', m2.id)];
      // The CHECK on messages.kind fails inside SQLite: the batch is redone with a savepoint per job.
      const bad = store.messages.saveMessage({ ...note('ann', 'bad'), kind: 'shout' as NewMessage['kind'] });
      const later = [store.messages.ack('ben', m2.id), store.messages.ack('ann', m2.id)];
      await expect(bad).rejects.toThrow(/CHECK constraint failed/);
      await Promise.all([...acks, ...later]);
      const after = store.batchStats();
      expect(after.commits - before.commits).toBe(1);
      expect(after.reruns - before.reruns).toBe(1);
      expect(after.failures - before.failures).toBe(1);
      expect(after.writes - before.writes).toBe(2); // the acks before the failing job, and those after it
      expect([await store.messages.lastAcked('ann'), await store.messages.lastAcked('ben'), await store.messages.lastAcked('cat')]).toEqual([
        m2.id,
        m2.id,
        m2.id,
      ]);
    });

    it('keep their place among other writes: a message, a sign-in or a sign-out between them ends the run', async () => {
      const store = await openStore();
      await Promise.all(['ann', 'ben'].map((name) => store.accounts.createUser(name, 'h', T0)));
      const m1 = await store.messages.saveMessage(note('ann', 'one'));
      // Queued before the message: clamped to the head as it was then, not to the new message.
      const early = store.messages.ack('ben', m1.id + 100);
      const m2 = store.messages.saveMessage(note('ann', 'two'));
      const late = store.messages.ack('ann', m1.id + 100);
      await Promise.all([early, m2, late]);
      expect(await store.messages.lastAcked('ben')).toBe(m1.id);
      expect(await store.messages.lastAcked('ann')).toBe((await m2).id);

      // A sign-in reads the position the acks before it stored, and none after it.
      const m3 = await store.messages.saveMessage(note('ann', 'three'));
      const before = store.messages.ack('ben', (await m2).id);
      const signIn = store.messages.signIn('ben');
      const after = store.messages.ack('ben', m3.id);
      await Promise.all([before, after]);
      expect((await signIn).acked).toBe((await m2).id);
      expect(await store.messages.lastAcked('ben')).toBe(m3.id);

      // A sign-out's position and an ack's are max'ed whichever comes first.
      const m4 = await store.messages.saveMessage(note('ann', 'four'));
      await Promise.all([store.messages.ack('ben', m4.id), store.messages.signOut('ben', m3.id), store.messages.ack('ann', m3.id)]);
      await Promise.all([store.messages.signOut('ann', m4.id), store.messages.ack('ann', m3.id)]);
      expect([await store.messages.lastAcked('ann'), await store.messages.lastAcked('ben')]).toEqual([m4.id, m4.id]);
      expect(store.batchStats().failures).toBe(0);
    });

    it('all reject when the writer thread dies before committing them', async () => {
      const store = await openStore();
      await store.accounts.createUser('ann', 'h', T0);
      await store.messages.saveMessage(note('ann', 'one'));
      const acks = [store.messages.ack('ann', 1), store.messages.ack('ann', 1), store.messages.ack('ghost', 1)];
      const outcomes = Promise.allSettled(acks);
      await store.terminateWriterForTests();
      for (const outcome of await outcomes) {
        expect(outcome.status).toBe('rejected');
        expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/stopped unexpectedly/);
      }
      await store.close();
    });
  });

  it('every write method is visible to reads as soon as its promise resolved', async () => {
    const store = await openStore();
    expect(await store.accounts.createUser('ann', 'h1', T0)).toBe(true);
    expect(await store.accounts.getUser('ann')).toMatchObject({ passwordHash: 'h1' });
    expect(await store.accounts.createUser('ben', 'h', T0)).toBe(true);
    expect(await store.accounts.setPasswordHash('ann', 'h2', T0)).toBe(true);
    expect((await store.accounts.getUser('ann'))?.passwordHash).toBe('h2');
    expect(await store.accounts.finishLoginAttempt('ann', T0, false, { maxAttempts: 3, lockMs: 1000, maxPerHour: 5 })).toEqual({
      failures: 1,
      lockedUntil: null,
      attemptsLeft: 2,
    });
    expect(await store.accounts.getLockState('ann', T0)).toEqual({ failures: 1, lockedUntil: null });
    await store.accounts.clearFailedLogins('ann');
    expect(await store.accounts.getLockState('ann', T0)).toEqual({ failures: 0, lockedUntil: null });
    await store.accounts.createToken('ann', 'tok', T0 + 1000, T0);
    expect(await store.accounts.findToken('tok', T0)).toBe('ann');
    await store.accounts.revokeToken('tok');
    expect(await store.accounts.findToken('tok', T0)).toBeNull();
    expect(await store.blocks.block('ann', 'ben')).toBe(true);
    expect(await store.blocks.isBlocked('ann', 'ben')).toBe(true);
    expect(await store.groups.createGroup('crew', 'ann', ['ben'], T0)).toBe(true);
    expect((await store.groups.getGroup('crew'))?.members).toEqual(['ann', 'ben']);
    expect(await store.groups.removeGroupMembers('crew', ['ann'])).toMatchObject({ owner: 'ben', members: ['ben'] });
    expect((await store.groups.groupsOf('ben')).map((g) => g.owner)).toEqual(['ben']);
    const hi = await store.messages.saveMessage(note('ann', 'hi'));
    expect(await store.messages.head()).toBe(hi.id);
    expect((await all(store, 'ben')).map((d) => d.message)).toEqual([hi]);
    await store.messages.ack('ben', hi.id);
    expect(await store.messages.lastAcked('ben')).toBe(hi.id);
    const signed = await store.messages.signIn('ben');
    expect(signed).toEqual({ head: hi.id, acked: hi.id, away: { from: 0, to: hi.id }, previousAway: { from: 0, to: 0 } });
    await store.messages.signOut('ben', hi.id);
    expect(await store.messages.lastAway('ben')).toEqual({ from: 0, to: hi.id });
  });

  it('close() drains writes still queued or in flight, then the file reopens with all of them', async () => {
    const store = await openSqliteStore({ dataDir: dir, log });
    await Promise.all(['ann', 'ben'].map((name) => store.accounts.createUser(name, 'h', T0)));
    const saves = Array.from({ length: 300 }, (_, i) => store.messages.saveMessage(note('ann', `m${i}`)));
    await tick(); // some jobs are in the writer thread now, the rest still queued here
    const more = Array.from({ length: 300 }, (_, i) => store.messages.saveMessage(note('ann', `n${i}`)));
    const ack = store.messages.ack('ben', 600);
    await store.close();
    await Promise.all([...saves, ...more, ack]);
    await expect(store.accounts.createUser('cat', 'h', T0)).rejects.toThrow(/closed/);
    expect(existsSync(`${file}-wal`)).toBe(false);

    const reopened = await openStore();
    expect(reopened.settings()).toMatchObject({ journalMode: 'wal', synchronous: 2, schemaVersion: LATEST_SCHEMA_VERSION });
    expect(await reopened.messages.head()).toBe(600);
    expect(await reopened.messages.lastAcked('ben')).toBe(600);
    const texts = (await all(reopened, 'ben')).map((d) => d.message.text);
    expect(texts).toEqual([...Array.from({ length: 300 }, (_, i) => `m${i}`), ...Array.from({ length: 300 }, (_, i) => `n${i}`)]);
    // And it keeps going from there.
    expect((await reopened.messages.saveMessage(note('ann', 'after'))).id).toBe(601);
  });

  it('a writer thread that dies rejects pending and later writes with a clear error, logs once, and reads go on', async () => {
    const store = await openStore();
    await Promise.all(['ann', 'ben'].map((name) => store.accounts.createUser(name, 'h', T0)));
    await store.messages.saveMessage(note('ann', 'kept'));
    const pending = Array.from({ length: 20 }, (_, i) => store.messages.saveMessage(note('ann', `lost${i}`)));
    const outcomes = Promise.allSettled(pending);
    await expect(store.ping()).resolves.toBeUndefined();
    await store.terminateWriterForTests();
    // Readiness (/readyz) sees the dead writer although reads still work.
    await expect(store.ping()).rejects.toThrow(/stopped unexpectedly|accepts no more writes/);
    // Queued in this turn, so none can have reached the thread before it was killed.
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/SQLite writer thread for .*chat\.db stopped unexpectedly/);
    }
    await expect(store.messages.ack('ben', 1)).rejects.toThrow(/stopped unexpectedly/);
    await expect(store.accounts.createUser('cat', 'h', T0)).rejects.toThrow(/accepts no more writes/);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toBe('SQLite writer thread died');
    // The main thread's connection still reads what was committed.
    expect((await all(store, 'ben')).map((d) => d.message.text)).toEqual(['kept']);
    await store.close(); // resolves; nothing left to drain
  });

  it('upgrades a version-1 file made by the old migration code to the stream: acks become positions, nothing waiting is lost', async () => {
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    applyMigrations(raw, MIGRATIONS.slice(0, 1));
    expect(readSchemaVersion(raw)).toBe(1);
    // Data as version 1 stored it: counters in the users row.
    raw.exec(`
      INSERT INTO users (username, password_hash, created_at, last_login_at, last_seq, acked_seq) VALUES
        ('ann', 'ha', ${T0}, ${T0 + 5}, 0, 0), ('ben', 'hb', ${T0}, NULL, 3, 2), ('cat', 'hc', ${T0}, NULL, 1, 0);
      INSERT INTO messages (kind, sender, recipient, group_name, text, ts) VALUES
        ('private', 'ann', 'ben', NULL, 'one', ${T0}), ('broadcast', 'ann', NULL, NULL, 'two', ${T0 + 1}),
        ('private', 'ann', 'ben', NULL, 'three', ${T0 + 2});
      INSERT INTO deliveries (username, seq, message_id, offline) VALUES
        ('ben', 1, 1, 0), ('ben', 2, 2, 1), ('cat', 1, 2, 1), ('ben', 3, 3, 1);
    `);
    raw.close();

    const store = await openStore();
    expect(store.settings().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(await store.accounts.getUser('ann')).toEqual({ username: 'ann', passwordHash: 'ha', createdAt: T0, lastLoginAt: T0 + 5 });
    // ben acknowledged seq 2 = message 2; cat nothing.
    expect([await store.messages.lastAcked('ben'), await store.messages.lastAcked('cat'), await store.messages.lastAcked('ann')]).toEqual([2, 0, 0]);
    const ben = await store.messages.signIn('ben');
    expect((await store.messages.mailbox({ username: 'ben', after: ben.acked, limit: 10, away: ben.away })).map((d) => [d.seq, d.message.text])).toEqual([
      [3, 'three'],
    ]);
    const cat = await store.messages.signIn('cat');
    expect((await store.messages.mailbox({ username: 'cat', after: cat.acked, limit: 10, away: cat.away })).map((d) => [d.seq, d.message.text])).toEqual([
      [2, 'two'],
    ]);
    // The stream continues where version 1 left it.
    const next = await store.messages.saveMessage(note('ann', 'four'));
    expect(next.id).toBe(4);
    await store.close();
    open.length = 0;

    const check = new Database(file, { readonly: true });
    try {
      const userColumns = check.prepare("SELECT name FROM pragma_table_info('users')").pluck().all();
      expect(userColumns).toEqual(['username', 'password_hash', 'created_at', 'last_login_at', 'name_key', 'password_changed_at', 'display_name', 'avatar']);
      const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(tables).not.toContain('deliveries');
      expect(tables).not.toContain('counters');
      expect(check.pragma('foreign_key_check')).toEqual([]);
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      check.close();
    }
  });

  it('a new file gets the page size of new files; reopening after close finds everything and the same settings', async () => {
    const store = await openStore();
    await store.accounts.createUser('ann', 'h', T0);
    const settings = store.settings();
    await store.close();
    open.length = 0;
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('page_size', { simple: true })).toBe(NEW_FILE_PAGE_SIZE);
    } finally {
      raw.close();
    }
    const again = await openStore();
    expect(again.settings()).toEqual(settings);
    expect((await again.accounts.getUser('ann'))?.passwordHash).toBe('h');
    expect(await again.accounts.createUser('ann', 'h', T0)).toBe(false);
  });
});
