// One behaviour suite every Store backend must pass (memory, SQLite, PostgreSQL):
// each method and each guarantee written in server/store/store.ts.
//
// Backend-neutral on purpose: no SQL, no files. Every test makes its own names
// (a random tag per test), so a backend whose open() hands out a shared
// database still works; nothing assumes the store is empty.
//
// Conventions the suite pins down beyond store.ts (all backends follow them):
// - A store is ready when its open function returns (there is no separate migrate step).
// - "sorted by name" means UTF-16 code-unit order ('B' < 'a'); in PostgreSQL use COLLATE "C".
// - saveMessage rejects, storing nothing, when a private recipient or a group does not exist.
// - A lock expires at now >= lockedUntil and then reads as { failures: 0, lockedUntil: null }.
// - createGroup makes the owner the first member; removing every member deletes the group.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../server/protocol';
import type { FileRecord } from '../../server/store/file-store';
import { searchTerms } from '../../server/protocol/search';
import { AccountService } from '../../server/services/accounts';
import type { GroupRecord, HistoryQuery, NewMessage, SearchQuery, Store } from '../../server/store/store';

/** A group record without its surrogate id (ids differ between backends and runs). */
function noId<T extends GroupRecord | GroupRecord[] | null>(g: T): unknown {
  if (g === null) return null;
  if (Array.isArray(g)) return g.map((one) => noId(one));
  const { id: _id, ...rest } = g;
  return rest;
}

export interface OpenedStore {
  store: Store;
  /**
   * Opens the same data again, as a server restart would. The suite calls it
   * only after it has closed `store`, and closes what it returns itself.
   * Omit it for backends that keep nothing (memory).
   */
  reopen?: () => Promise<Store>;
  /** Removes whatever open() created (temp dir, schema). Called after the last store is closed. */
  cleanup: () => Promise<void>;
}

/** A fixed clock: the suite passes `now` explicitly everywhere. */
const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

export function describeStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store conformance: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    let isOpen = false;
    /** `n('alice')` → a name unique to this test, e.g. "alice_k3f9a2". */
    let n: (base: string) => string;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      isOpen = true;
      const tag = Math.random().toString(36).slice(2, 8);
      n = (base) => `${base}_${tag}`;
    });

    afterEach(async () => {
      if (isOpen) await store.close();
      isOpen = false;
      await opened.cleanup();
    });

    /** Closes the store and opens the same data again; only for backends with `reopen`. */
    async function restart(): Promise<void> {
      if (!opened.reopen) throw new Error('restart() needs reopen');
      await store.close();
      isOpen = false;
      store = await opened.reopen();
      isOpen = true;
    }

    async function users(...bases: string[]): Promise<string[]> {
      const names = bases.map(n);
      for (const u of names) expect(await store.accounts.createUser(u, `hash-of-${u}`, T0)).toBe(true);
      return names;
    }

    function privateMessage(from: string, to: string, text: string, ts = T0): NewMessage {
      return { kind: 'private', from, to, text, ts };
    }

    const textsOf = (ms: readonly { text: string }[]): string[] => ms.map((m) => m.text);

    // ------------------------------------------------------------ schema

    it('opens ready to use, and reopening keeps the data', async () => {
      const [a] = await users('a');
      expect(await store.accounts.getUser(a as string)).not.toBeNull();
      if (!opened.reopen) return;
      await restart();
      expect(await store.accounts.getUser(a as string)).not.toBeNull();
    });

    // ------------------------------------------------------------ accounts

    describe('accounts', () => {
      it('creates a user once; a second create with the same name resolves false and changes nothing', async () => {
        const alice = n('alice');
        expect(await store.accounts.createUser(alice, 'h1', T0)).toBe(true);
        expect(await store.accounts.createUser(alice, 'h2', T0 + 5)).toBe(false);
        expect(await store.accounts.getUser(alice)).toEqual({ username: alice, passwordHash: 'h1', createdAt: T0, lastLoginAt: null });
      });

      it('getUser resolves null for an unknown name', async () => {
        expect(await store.accounts.getUser(n('nobody'))).toBeNull();
      });

      it('user names are unique by canonical form (NFKC + case folding); lookups match it, the registered spelling is kept', async () => {
        const registered = n('Carol');
        expect(await store.accounts.createUser(registered, 'h-first', T0)).toBe(true);
        expect(await store.accounts.createUser(registered.toLowerCase(), 'h-lower', T0)).toBe(false);
        expect(await store.accounts.createUser(registered.toUpperCase(), 'h-upper', T0)).toBe(false);
        const expected = { username: registered, passwordHash: 'h-first', createdAt: T0, lastLoginAt: null };
        expect(await store.accounts.getUser(registered.toUpperCase())).toEqual(expected);
        expect(await store.accounts.getUser(registered.toLowerCase())).toEqual(expected);
        // Fullwidth letters are the same name under NFKC.
        const fullwidth = registered.replace('C', '\uFF23');
        expect(await store.accounts.getUser(fullwidth)).toEqual(expected);
        expect(await store.accounts.existingUsers([n('x'), registered.toLowerCase(), registered.toUpperCase()])).toEqual([registered, registered]);
        expect(await store.accounts.setPasswordHash(registered.toUpperCase(), 'h-new', T0 + 5)).toBe(true);
        await store.accounts.recordLogin(registered.toLowerCase(), T0 + 7);
        expect(await store.accounts.getUser(registered)).toEqual({ ...expected, passwordHash: 'h-new', lastLoginAt: T0 + 7 });
        // A group cannot take a user's name in another case either.
        expect(await store.groups.createGroup(registered.toLowerCase(), registered, [], T0)).toBe(false);
      });

      it('a user name and a group name never collide, whichever came first', async () => {
        const [owner, taken] = await users('owner', 'taken');
        expect(await store.groups.createGroup(taken as string, owner as string, [], T0)).toBe(false);
        expect(await store.groups.getGroup(taken as string)).toBeNull();

        const team = n('team');
        expect(await store.groups.createGroup(team, owner as string, [], T0)).toBe(true);
        expect(await store.accounts.createUser(team, 'h', T0)).toBe(false);
        expect(await store.accounts.getUser(team)).toBeNull();
      });

      it('hasGroupNamed matches a group name in any case; a user of that name does not count', async () => {
        const [owner] = await users('owner');
        const team = n('Team');
        expect(await store.groups.hasGroupNamed(team)).toBe(false);
        expect(await store.groups.createGroup(team, owner as string, [], T0)).toBe(true);
        for (const spelling of [team, team.toLowerCase(), team.toUpperCase()]) expect(await store.groups.hasGroupNamed(spelling), spelling).toBe(true);
        expect(await store.groups.hasGroupNamed(owner as string)).toBe(false);
        // The name goes with the group.
        expect(await store.groups.removeGroupMembers(team, [owner as string])).toBeNull();
        expect(await store.groups.hasGroupNamed(team.toLowerCase())).toBe(false);
      });

      it("the account service refuses a group's name in another case before the password rules, in the one wording", async () => {
        const [owner] = await users('owner');
        const team = n('Crew');
        await store.groups.createGroup(team, owner as string, [], T0);
        const accounts = new AccountService(store, {
          maxAttempts: 3,
          lockMs: 1_000,
          maxFailuresPerHour: 10,
          hashCost: 4,
          tokenMs: 60_000,
          minPasswordLength: 8,
        });
        const upper = team.toUpperCase();
        const refusal = { code: 'USERNAME_TAKEN', message: `The name "${upper}" is taken` };
        await expect(accounts.assertNameAvailable(upper)).rejects.toMatchObject(refusal);
        // A password the policy refuses (too short) is not what is reported: the name is.
        await expect(accounts.create(upper, 'short')).rejects.toMatchObject(refusal);
        await expect(accounts.create(team.toLowerCase(), 'a long enough passphrase')).rejects.toMatchObject({ code: 'USERNAME_TAKEN' });
        expect(await store.accounts.getUser(upper)).toBeNull();
      });

      it('setPasswordHash replaces the hash, and resolves false for an unknown user', async () => {
        const [a] = await users('a');
        expect(await store.accounts.setPasswordHash(a as string, 'new-hash', T0 + 5)).toBe(true);
        expect((await store.accounts.getUser(a as string))?.passwordHash).toBe('new-hash');
        expect(await store.accounts.setPasswordHash(n('ghost'), 'x', T0 + 5)).toBe(false);
        expect(await store.accounts.getUser(n('ghost'))).toBeNull();
      });

      it('passwordsChangedSince lists users whose password changed at or after `since`, with the time', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const far = T0 + 1_000_000_000;
        expect((await store.accounts.passwordsChangedSince(far)).filter((c) => c.username === a || c.username === b)).toEqual([]);
        await store.accounts.setPasswordHash(a.toUpperCase(), 'h1', far + 10);
        await store.accounts.setPasswordHash(b, 'h2', far + 20);
        const mine = async (since: number) =>
          (await store.accounts.passwordsChangedSince(since)).filter((c) => c.username === a || c.username === b).sort((x, y) => x.changedAt - y.changedAt);
        expect(await mine(far + 10)).toEqual([
          { username: a, changedAt: far + 10 },
          { username: b, changedAt: far + 20 },
        ]);
        expect(await mine(far + 11)).toEqual([{ username: b, changedAt: far + 20 }]);
        expect(await mine(far + 21)).toEqual([]);
      });

      it('recordLogin sets lastLoginAt; usersLoggedInSince includes lastLoginAt >= since only', async () => {
        const [early, exact, late, never] = (await users('early', 'exact', 'late', 'never')) as [string, string, string, string];
        await store.accounts.recordLogin(early, T0 + 1_000);
        await store.accounts.recordLogin(exact, T0 + 2_000);
        await store.accounts.recordLogin(late, T0 + 2_500);
        expect((await store.accounts.getUser(exact))?.lastLoginAt).toBe(T0 + 2_000);
        expect((await store.accounts.getUser(never))?.lastLoginAt).toBeNull();

        const mine = new Set([early, exact, late, never]);
        const since = (await store.accounts.usersLoggedInSince(T0 + 2_000)).filter((u) => mine.has(u.username));
        expect(since.sort((x, y) => x.lastLoginAt - y.lastLoginAt)).toEqual([
          { username: exact, lastLoginAt: T0 + 2_000 },
          { username: late, lastLoginAt: T0 + 2_500 },
        ]);

        // A later sign-in moves the user forward.
        await store.accounts.recordLogin(early, T0 + 3_000);
        const again = (await store.accounts.usersLoggedInSince(T0 + 2_800)).filter((u) => mine.has(u.username));
        expect(again).toEqual([{ username: early, lastLoginAt: T0 + 3_000 }]);
      });

      it('listUsers finds every account containing the query (any case, never-signed-in included), sorted by name, up to limit', async () => {
        const tag = n('');
        const [zed, amy, bob] = (await users('Zed', 'amy', 'bob')) as [string, string, string];
        await store.accounts.recordLogin(amy, T0 + 5);
        // The tag is unique to this test, so only our three accounts contain it.
        const none = { displayName: null, avatar: null };
        expect(await store.accounts.listUsers(tag.toUpperCase(), 10)).toEqual([
          { username: zed, lastLoginAt: null, ...none },
          { username: amy, lastLoginAt: T0 + 5, ...none },
          { username: bob, lastLoginAt: null, ...none },
        ]);
        expect(await store.accounts.listUsers(`b${tag}`, 10)).toEqual([{ username: bob, lastLoginAt: null, ...none }]);
        expect((await store.accounts.listUsers(tag, 2)).map((u) => u.username)).toEqual([zed, amy]);
        // LIKE wildcards are plain characters here.
        expect(await store.accounts.listUsers('%', 10)).toEqual([]);
        expect(await store.accounts.listUsers(`_${tag.slice(1, 4)}_`, 10)).toEqual([]);
        const all = (await store.accounts.listUsers('', 100_000)).map((u) => u.username);
        expect(all).toEqual(expect.arrayContaining([zed, amy, bob]));
        expect([...all].sort()).toEqual(all);
      });

      it('recordLogin for an unknown user creates nothing', async () => {
        await store.accounts.recordLogin(n('ghost'), T0);
        expect(await store.accounts.getUser(n('ghost'))).toBeNull();
      });

      it('existingUsers keeps input order and drops unknown names', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        expect(await store.accounts.existingUsers([c, n('x'), a, n('y'), b])).toEqual([c, a, b]);
        expect(await store.accounts.existingUsers([])).toEqual([]);
        expect(await store.accounts.existingUsers([n('x')])).toEqual([]);
      });

      it('hasUsers is true once a user exists', async () => {
        await users('a');
        expect(await store.accounts.hasUsers()).toBe(true);
      });
    });

    // ------------------------------------------------------------ lockout

    describe('profiles', () => {
      function picture(id: string, uploader: string): FileRecord {
        const hash = createHash('sha256').update(id).digest('hex');
        return { id, uploader, name: 'me.png', size: 1, type: 'image/png', hash, width: 1, height: 1, thumbHash: null, avatarHash: null, createdAt: T0 };
      }

      it('a new user has an empty profile; setProfile changes only the fields given, null clears', async () => {
        const [a, b] = (await users('Ann', 'b')) as [string, string];
        expect(await store.accounts.getProfiles([a])).toEqual([{ username: a, displayName: null, avatar: null }]);
        expect(await store.accounts.setProfile(a, { displayName: 'Ann Lee' })).toEqual({ username: a, displayName: 'Ann Lee', avatar: null });
        const pic = picture(n('pic'), a);
        await store.files.createFile(pic);
        // Matched in any case: the record carries the registered spelling.
        expect(await store.accounts.setProfile(a.toUpperCase(), { avatar: pic.id })).toEqual({ username: a, displayName: 'Ann Lee', avatar: pic.id });
        expect(await store.accounts.setProfile(a, {})).toEqual({ username: a, displayName: 'Ann Lee', avatar: pic.id });
        expect(await store.accounts.setProfile(a, { displayName: null })).toEqual({ username: a, displayName: null, avatar: pic.id });
        expect(await store.accounts.setProfile(a, { displayName: 'Ann', avatar: null })).toEqual({ username: a, displayName: 'Ann', avatar: null });
        expect(await store.accounts.setProfile(n('nobody'), { displayName: 'X' })).toBeNull();
        // getProfiles: input order, any case, unknown names left out.
        expect(await store.accounts.getProfiles([b, n('nobody'), a.toLowerCase()])).toEqual([
          { username: b, displayName: null, avatar: null },
          { username: a, displayName: 'Ann', avatar: null },
        ]);
        expect(await store.accounts.getProfiles([])).toEqual([]);
        expect((await store.accounts.listUsers(a, 10)).find((u) => u.username === a)).toMatchObject({ displayName: 'Ann', avatar: null });
      });

      it('setProfile with an avatar that names no file rejects and changes nothing', async () => {
        const [a] = (await users('a')) as [string];
        await store.accounts.setProfile(a, { displayName: 'Before' });
        await expect(store.accounts.setProfile(a, { displayName: 'After', avatar: n('missing-file-id') })).rejects.toThrow();
        expect(await store.accounts.getProfiles([a])).toEqual([{ username: a, displayName: 'Before', avatar: null }]);
      });

      it('keeps display names byte for byte (Unicode, up to 64 characters)', async () => {
        const [a] = (await users('a')) as [string];
        const name = 'Zoë 李 \u{1F600}'.padEnd(64, '\u00e9');
        await store.accounts.setProfile(a, { displayName: name });
        expect((await store.accounts.getProfiles([a]))[0]!.displayName).toBe(name);
      });

      it('an admin rename carries the profile; a delete removes it', async () => {
        const [a] = (await users('a')) as [string];
        const pic = picture(n('pic'), a);
        await store.files.createFile(pic);
        await store.accounts.setProfile(a, { displayName: 'Alpha', avatar: pic.id });
        const renamed = n('renamed');
        expect(await store.admin.renameUser(a, renamed)).toBe('ok');
        expect(await store.accounts.getProfiles([a, renamed])).toEqual([{ username: renamed, displayName: 'Alpha', avatar: pic.id }]);
        expect(await store.admin.deleteUser(renamed)).toBe(true);
        expect(await store.accounts.getProfiles([renamed])).toEqual([]);
        // The picture is nobody's now: garbage collection may take it.
        expect((await store.files.unreferencedFiles(T0 + 1, 100_000)).map((f) => f.id)).toContain(pic.id);
        // A new account under the old name starts with an empty profile.
        expect(await store.accounts.createUser(renamed, 'h', T0)).toBe(true);
        expect(await store.accounts.getProfiles([renamed])).toEqual([{ username: renamed, displayName: null, avatar: null }]);
      });

      it('profiles survive a restart', async () => {
        if (!opened.reopen) return;
        const [a] = (await users('a')) as [string];
        const pic = picture(n('pic'), a);
        await store.files.createFile(pic);
        await store.accounts.setProfile(a, { displayName: 'Kept', avatar: pic.id });
        await restart();
        expect(await store.accounts.getProfiles([a])).toEqual([{ username: a, displayName: 'Kept', avatar: pic.id }]);
      });
    });

    describe('lockout', () => {
      const MAX = 3;
      const LOCK_MS = 60_000;

      it('starts unlocked, for any name (it need not be a user)', async () => {
        expect(await store.accounts.getLockState(n('anyone'), T0)).toEqual({ failures: 0, lockedUntil: null });
      });

      // A failed attempt counted on its own (no hourly cap in the way).
      const fail = (who: string, now: number, maxAttempts = MAX) =>
        store.accounts.finishLoginAttempt(who, now, false, { maxAttempts, lockMs: LOCK_MS, maxPerHour: 1_000 });

      it('counts failures, locks at maxAttempts with the counter restarted, and unlocks when the lock expires', async () => {
        const who = n('victim');
        expect(await fail(who, T0)).toEqual({ failures: 1, lockedUntil: null, attemptsLeft: 2 });
        expect(await fail(who, T0 + 1)).toEqual({ failures: 2, lockedUntil: null, attemptsLeft: 1 });
        expect(await store.accounts.getLockState(who, T0 + 2)).toEqual({ failures: 2, lockedUntil: null });

        const locked = await fail(who, T0 + 10);
        expect(locked).toEqual({ failures: 0, lockedUntil: T0 + 10 + LOCK_MS, attemptsLeft: MAX });
        expect(await store.accounts.getLockState(who, T0 + 11)).toEqual({ failures: 0, lockedUntil: T0 + 10 + LOCK_MS });
        expect(await store.accounts.getLockState(who, T0 + 10 + LOCK_MS - 1)).toEqual({ failures: 0, lockedUntil: T0 + 10 + LOCK_MS });

        // now >= lockedUntil: the lock is over and the count starts again.
        const after = T0 + 10 + LOCK_MS;
        expect(await store.accounts.getLockState(who, after)).toEqual({ failures: 0, lockedUntil: null });
        expect(await fail(who, after)).toEqual({ failures: 1, lockedUntil: null, attemptsLeft: 2 });
        expect(await fail(who, after + 1)).toEqual({ failures: 2, lockedUntil: null, attemptsLeft: 1 });
        expect(await fail(who, after + 2)).toEqual({ failures: 0, lockedUntil: after + 2 + LOCK_MS, attemptsLeft: MAX });
      });

      it('clearFailedLogins resets the counter; counters are per name and case-sensitive', async () => {
        const who = n('who');
        const other = n('Who');
        await fail(who, T0);
        await fail(who, T0);
        await fail(other, T0);
        await store.accounts.clearFailedLogins(who);
        expect(await store.accounts.getLockState(who, T0)).toEqual({ failures: 0, lockedUntil: null });
        expect(await store.accounts.getLockState(other, T0)).toEqual({ failures: 1, lockedUntil: null });
        expect(await fail(who, T0)).toEqual({ failures: 1, lockedUntil: null, attemptsLeft: 2 });
      });

      it('finishLoginAttempt is atomic: concurrent failures are all counted', async () => {
        const who = n('racer');
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => fail(who, T0 + i, 10)));
        expect(results.map((r) => r.failures).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(await store.accounts.getLockState(who, T0 + 10)).toEqual({ failures: 6, lockedUntil: null });
      });

      const POLICY = { maxAttempts: MAX, lockMs: LOCK_MS, maxPerHour: 5 };

      it('beginLoginAttempt: one reservation at a time per name, until finished or the lease ends', async () => {
        const who = n('guess');
        const results = await Promise.all(Array.from({ length: 6 }, () => store.accounts.beginLoginAttempt(who, T0, 1_000)));
        expect(results.filter((r) => r.granted)).toHaveLength(1);
        expect(results.filter((r) => !r.granted)).toEqual(Array.from({ length: 5 }, () => ({ granted: false, lockedUntil: null })));
        // Another name is independent.
        expect(await store.accounts.beginLoginAttempt(n('other'), T0, 1_000)).toEqual({ granted: true });
        // Finishing gives the slot back.
        expect(await store.accounts.finishLoginAttempt(who, T0 + 1, false, POLICY)).toEqual({ failures: 1, lockedUntil: null, attemptsLeft: 2 });
        expect(await store.accounts.beginLoginAttempt(who, T0 + 2, 1_000)).toEqual({ granted: true });
        // A lease left behind (a node died mid-check) ends at now >= leaseUntil.
        expect(await store.accounts.beginLoginAttempt(who, T0 + 1_001, 1_000)).toEqual({ granted: false, lockedUntil: null });
        expect(await store.accounts.beginLoginAttempt(who, T0 + 1_002, 1_000)).toEqual({ granted: true });
        // A reservation whose check never ran is given back at once, counting nothing.
        await store.accounts.releaseLoginAttempt(who);
        expect(await store.accounts.beginLoginAttempt(who, T0 + 1_003, 1_000)).toEqual({ granted: true });
        expect(await store.accounts.getLockState(who, T0 + 1_003)).toEqual({ failures: 1, lockedUntil: null });
        await store.accounts.releaseLoginAttempt(n('never-seen'));
      });

      it('finishLoginAttempt counts failures, locks at maxAttempts; a locked name refuses reservations', async () => {
        const who = n('victim');
        for (let i = 0; i < MAX; i++) {
          expect(await store.accounts.beginLoginAttempt(who, T0 + i, 1_000)).toEqual({ granted: true });
          const lock = await store.accounts.finishLoginAttempt(who, T0 + i, false, POLICY);
          expect(lock).toEqual(
            i < MAX - 1 ? { failures: i + 1, lockedUntil: null, attemptsLeft: MAX - i - 1 } : { failures: 0, lockedUntil: T0 + i + LOCK_MS, attemptsLeft: 2 },
          );
        }
        const until = T0 + MAX - 1 + LOCK_MS;
        expect(await store.accounts.beginLoginAttempt(who, T0 + 10, 1_000)).toEqual({ granted: false, lockedUntil: until });
        expect(await store.accounts.getLockState(who, T0 + 10)).toEqual({ failures: 0, lockedUntil: until });
        expect(await store.accounts.beginLoginAttempt(who, until, 1_000)).toEqual({ granted: true });
        // A success clears the short counter; the hourly cap (5) has 2 failures left, fewer than the short rule's 3.
        expect(await store.accounts.finishLoginAttempt(who, until, true, POLICY)).toEqual({ failures: 0, lockedUntil: null, attemptsLeft: 2 });
      });

      it('finishLoginAttempt: the hourly cap locks for an hour, and a success does not reset it', async () => {
        const who = n('slow');
        let t = T0;
        const fail = async () => {
          expect(await store.accounts.beginLoginAttempt(who, t, 1_000)).toEqual({ granted: true });
          return store.accounts.finishLoginAttempt(who, t, false, POLICY);
        };
        await fail();
        await fail();
        expect(await store.accounts.beginLoginAttempt(who, t, 1_000)).toEqual({ granted: true });
        expect(await store.accounts.finishLoginAttempt(who, t, true, POLICY)).toEqual({ failures: 0, lockedUntil: null, attemptsLeft: 3 });
        await fail();
        await fail();
        t += 10;
        // Fifth failure inside the hour (maxPerHour 5): locked for an hour from now.
        expect(await fail()).toEqual({ failures: 0, lockedUntil: t + HOUR, attemptsLeft: MAX });
        expect(await store.accounts.beginLoginAttempt(who, t + HOUR - 1, 1_000)).toEqual({ granted: false, lockedUntil: t + HOUR });
        t += HOUR;
        // A new hour: counting starts again.
        expect(await fail()).toEqual({ failures: 1, lockedUntil: null, attemptsLeft: 2 });
      });
    });

    // ------------------------------------------------------------ tokens

    describe('sign-in tokens', () => {
      it('finds a token until it expires (expiresAt > now), and never an unknown one', async () => {
        const [a] = await users('a');
        const hash = n('tokenhash');
        await store.accounts.createToken(a as string, hash, T0 + HOUR, T0);
        expect(await store.accounts.findToken(hash, T0)).toBe(a);
        expect(await store.accounts.findToken(hash, T0 + HOUR - 1)).toBe(a);
        expect(await store.accounts.findToken(hash, T0 + HOUR)).toBeNull();
        expect(await store.accounts.findToken(n('unknown'), T0)).toBeNull();
      });

      it('revokeToken revokes only that token', async () => {
        const [a] = await users('a');
        const [t1, t2] = [n('t1'), n('t2')];
        await store.accounts.createToken(a as string, t1, T0 + HOUR, T0);
        await store.accounts.createToken(a as string, t2, T0 + HOUR, T0);
        await store.accounts.revokeToken(t1);
        expect(await store.accounts.findToken(t1, T0)).toBeNull();
        expect(await store.accounts.findToken(t2, T0)).toBe(a);
        await store.accounts.revokeToken(n('never-issued'));
      });

      it("revokeTokensOf revokes every token of that user and nobody else's", async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const [a1, a2, b1] = [n('a1'), n('a2'), n('b1')];
        await store.accounts.createToken(a, a1, T0 + HOUR, T0);
        await store.accounts.createToken(a, a2, T0 + 2 * HOUR, T0);
        await store.accounts.createToken(b, b1, T0 + HOUR, T0);
        await store.accounts.revokeTokensOf(a);
        expect(await store.accounts.findToken(a1, T0)).toBeNull();
        expect(await store.accounts.findToken(a2, T0)).toBeNull();
        expect(await store.accounts.findToken(b1, T0)).toBe(b);
        // A new token after revoking works.
        const a3 = n('a3');
        await store.accounts.createToken(a, a3, T0 + HOUR, T0 + 1);
        expect(await store.accounts.findToken(a3, T0 + 1)).toBe(a);
      });

      it('getToken reads a token with its family and state; a new token is a family of its own', async () => {
        const [a] = (await users('a')) as [string];
        await store.accounts.createToken(a, n('g1'), T0 + HOUR, T0);
        await store.accounts.createToken(a, n('g2'), T0 + HOUR, T0, n('fam'));
        expect(await store.accounts.getToken(n('g1'), T0)).toEqual({
          username: a,
          family: n('g1'),
          createdAt: T0,
          expiresAt: T0 + HOUR,
          rotatedAt: null,
          graceUntil: null,
        });
        expect((await store.accounts.getToken(n('g2'), T0))?.family).toBe(n('fam'));
        expect(await store.accounts.getToken(n('g1'), T0 + HOUR)).toBeNull();
        expect(await store.accounts.getToken(n('unknown'), T0)).toBeNull();
      });

      it('rotateToken replaces a token in its family; the old one is accepted until graceUntil, then its use revokes the family', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const [r0, r1, r2, r3, other] = [n('r0'), n('r1'), n('r2'), n('r3'), n('other')];
        await store.accounts.createToken(a, r0, T0 + HOUR, T0);
        await store.accounts.createToken(a, other, T0 + HOUR, T0);
        await store.accounts.createToken(b, n('b0'), T0 + HOUR, T0);
        expect(await store.accounts.rotateToken(r0, r1, T0 + 10, T0 + 70, T0 + 2 * HOUR)).toEqual({ status: 'rotated', username: a, family: r0 });
        expect(await store.accounts.getToken(r0, T0 + 10)).toMatchObject({ rotatedAt: T0 + 10, graceUntil: T0 + 70 });
        expect(await store.accounts.getToken(r1, T0 + 10)).toEqual({
          username: a,
          family: r0,
          createdAt: T0 + 10,
          expiresAt: T0 + 2 * HOUR,
          rotatedAt: null,
          graceUntil: null,
        });
        expect(await store.accounts.findToken(r0, T0 + 69)).toBe(a);
        expect(await store.accounts.findToken(r0, T0 + 70)).toBeNull();
        // Inside the grace a second use adds a sibling and keeps the first grace.
        expect(await store.accounts.rotateToken(r0, r2, T0 + 20, T0 + 80, T0 + HOUR)).toMatchObject({ status: 'rotated' });
        expect(await store.accounts.getToken(r0, T0 + 20)).toMatchObject({ rotatedAt: T0 + 10, graceUntil: T0 + 70 });
        expect(await store.accounts.findToken(r2, T0 + 20)).toBe(a);
        // The newest rotates on.
        expect(await store.accounts.rotateToken(r1, r3, T0 + 30, T0 + 90, T0 + HOUR)).toMatchObject({ status: 'rotated', family: r0 });
        // After the grace: reuse. The whole family goes, nothing is stored, other families stay.
        expect(await store.accounts.rotateToken(r0, n('r4'), T0 + 70, T0 + 130, T0 + HOUR)).toEqual({ status: 'reused', username: a, family: r0 });
        for (const gone of [r0, r1, r2, r3, n('r4')]) expect(await store.accounts.getToken(gone, T0 + 70)).toBeNull();
        expect(await store.accounts.findToken(other, T0 + 70)).toBe(a);
        expect(await store.accounts.findToken(n('b0'), T0 + 70)).toBe(b);
        // Unknown or expired tokens do not rotate.
        expect(await store.accounts.rotateToken(n('unknown'), n('x1'), T0, T0 + 60, T0 + HOUR)).toEqual({ status: 'invalid' });
        expect(await store.accounts.rotateToken(other, n('x2'), T0 + HOUR, T0 + HOUR + 60, T0 + 2 * HOUR)).toEqual({ status: 'invalid' });
        expect(await store.accounts.getToken(n('x2'), T0)).toBeNull();
      });

      it('two concurrent rotations of one token both succeed inside the grace, in one family', async () => {
        const [a] = (await users('a')) as [string];
        await store.accounts.createToken(a, n('c0'), T0 + HOUR, T0);
        const results = await Promise.all([
          store.accounts.rotateToken(n('c0'), n('c1'), T0 + 5, T0 + 65, T0 + HOUR),
          store.accounts.rotateToken(n('c0'), n('c2'), T0 + 5, T0 + 65, T0 + HOUR),
        ]);
        expect(results.map((r) => r.status)).toEqual(['rotated', 'rotated']);
        expect((await store.accounts.getToken(n('c1'), T0 + 5))?.family).toBe(n('c0'));
        expect((await store.accounts.getToken(n('c2'), T0 + 5))?.family).toBe(n('c0'));
        expect(await store.accounts.getToken(n('c0'), T0 + 5)).toMatchObject({ rotatedAt: T0 + 5, graceUntil: T0 + 65 });
        // One family: revoking through any member takes all three.
        expect(await store.accounts.revokeTokenFamily(n('c2'))).toBe(3);
        expect(await store.accounts.findToken(n('c1'), T0 + 5)).toBeNull();
      });

      it('revokeTokenFamily revokes the family of a token and nothing else', async () => {
        const [a] = (await users('a')) as [string];
        await store.accounts.createToken(a, n('f0'), T0 + HOUR, T0);
        await store.accounts.createToken(a, n('solo'), T0 + HOUR, T0);
        await store.accounts.rotateToken(n('f0'), n('f1'), T0 + 1, T0 + 61, T0 + HOUR);
        expect(await store.accounts.revokeTokenFamily(n('f1'))).toBe(2);
        expect(await store.accounts.findToken(n('f0'), T0 + 1)).toBeNull();
        expect(await store.accounts.findToken(n('f1'), T0 + 1)).toBeNull();
        expect(await store.accounts.findToken(n('solo'), T0 + 1)).toBe(a);
        expect(await store.accounts.revokeTokenFamily(n('never-issued'))).toBe(0);
      });
    });

    // ------------------------------------------------------------ blocks

    describe('blocks', () => {
      it('block and unblock are idempotent and report whether they changed anything', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        expect(await store.blocks.block(a, b)).toBe(true);
        expect(await store.blocks.block(a, b)).toBe(false);
        expect(await store.blocks.isBlocked(a, b)).toBe(true);
        expect(await store.blocks.isBlocked(b, a)).toBe(false); // directional
        expect(await store.blocks.unblock(a, b)).toBe(true);
        expect(await store.blocks.unblock(a, b)).toBe(false);
        expect(await store.blocks.isBlocked(a, b)).toBe(false);
        expect(await store.blocks.unblock(b, a)).toBe(false);
      });

      it('blockedBy is sorted by code unit (upper case first); blockersOf lists who blocked a user', async () => {
        const [me, zed, Bob, amy, Carl] = (await users('me', 'zed', 'Bob', 'amy', 'Carl')) as [string, string, string, string, string];
        for (const target of [zed, amy, Carl, Bob]) expect(await store.blocks.block(me, target)).toBe(true);
        expect(await store.blocks.blockedBy(me)).toEqual([Bob, Carl, amy, zed]);
        expect(await store.blocks.blockedBy(zed)).toEqual([]);

        await store.blocks.block(zed, amy);
        await store.blocks.block(Bob, amy);
        expect((await store.blocks.blockersOf(amy)).sort()).toEqual([Bob, me, zed].sort());
        expect(await store.blocks.blockersOf(me)).toEqual([]);
        await store.blocks.unblock(me, amy);
        expect((await store.blocks.blockersOf(amy)).sort()).toEqual([Bob, zed].sort());
        expect(await store.blocks.blockedBy(me)).toEqual([Bob, Carl, zed]);
      });
    });

    // ------------------------------------------------------------ groups

    describe('groups', () => {
      it('createGroup stores the owner first and de-duplicates members in join order', async () => {
        const [owner, b, c] = (await users('owner', 'b', 'c')) as [string, string, string];
        const team = n('team');
        expect(await store.groups.createGroup(team, owner, [b, owner, c, b], T0)).toBe(true);
        expect(noId(await store.groups.getGroup(team))).toEqual({ name: team, owner, members: [owner, b, c], createdAt: T0 });
        expect(await store.groups.createGroup(team, b, [], T0 + 1)).toBe(false);
        expect((await store.groups.getGroup(team))?.owner).toBe(owner);
        expect(await store.groups.getGroup(n('nogroup'))).toBeNull();
      });

      it('addGroupMembers appends only new members, in order; null for an unknown group', async () => {
        const [owner, b, c, d] = (await users('owner', 'b', 'c', 'd')) as [string, string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, owner, [b], T0);
        const updated = await store.groups.addGroupMembers(team, [d, b, c, d]);
        expect(noId(updated)).toEqual({ name: team, owner, members: [owner, b, d, c], createdAt: T0 });
        expect(await store.groups.getGroup(team)).toEqual(updated);
        expect(await store.groups.addGroupMembers(n('nogroup'), [b])).toBeNull();
        expect(await store.groups.getGroup(n('nogroup'))).toBeNull();
      });

      it('removeGroupMembers keeps join order, ignores non-members, deletes the group when empty', async () => {
        const [owner, b, c, outsider] = (await users('owner', 'b', 'c', 'outsider')) as [string, string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, owner, [b, c], T0);
        expect(noId(await store.groups.removeGroupMembers(team, [b, outsider]))).toEqual({ name: team, owner, members: [owner, c], createdAt: T0 });
        expect(noId(await store.groups.getGroup(team))).toEqual({ name: team, owner, members: [owner, c], createdAt: T0 });
        // A member who left and rejoins goes to the end.
        expect((await store.groups.addGroupMembers(team, [b]))?.members).toEqual([owner, c, b]);
        await store.groups.removeGroupMembers(team, [owner]);
        expect(await store.groups.removeGroupMembers(team, [c, b])).toBeNull();
        expect(await store.groups.getGroup(team)).toBeNull();
        expect(noId(await store.groups.groupsOf(c))).toEqual([]);
        expect(await store.groups.removeGroupMembers(team, [c])).toBeNull();
        // The name is free again, for a group or a user.
        expect(await store.accounts.createUser(team, 'h', T0)).toBe(true);
      });

      it('when the owner is removed, the earliest-joined remaining member becomes owner', async () => {
        const [owner, b, c, d] = (await users('owner', 'b', 'c', 'd')) as [string, string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, owner, [b, c], T0);
        await store.groups.addGroupMembers(team, [d]);
        // The owner and the next in line leave together: c is the earliest who stays.
        const after = { name: team, owner: c, members: [c, d], createdAt: T0 };
        expect(noId(await store.groups.removeGroupMembers(team, [b, owner]))).toEqual(after);
        expect(noId(await store.groups.getGroup(team))).toEqual(after);
        expect(noId(await store.groups.groupsOf(d))).toEqual([after]);
        // Removing someone else keeps the new owner; the old owner rejoining is a plain member.
        expect(noId(await store.groups.addGroupMembers(team, [owner]))).toEqual({ ...after, members: [c, d, owner] });
        expect(noId(await store.groups.removeGroupMembers(team, [d]))).toEqual({ ...after, members: [c, owner] });
        expect(noId(await store.groups.removeGroupMembers(team, [c]))).toEqual({ ...after, owner, members: [owner] });
      });

      it('a group that ends (last member gone) takes its messages along: a new group with the name starts empty', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [b], T0);
        const old = await store.groups.getGroup(team);
        await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'old secret', ts: T0 });
        await store.groups.removeGroupMembers(team, [a, b]);
        expect(await store.groups.createGroup(team, c, [a], T0 + 1)).toBe(true);
        const fresh = await store.groups.getGroup(team);
        expect(fresh?.id).not.toBe(old?.id);
        expect(await store.messages.history({ viewer: c, group: team, limit: 10 })).toEqual([]);
        expect((await mailboxOf(c)).map((d) => d.message.text)).toEqual([]);
        const now = await store.messages.saveMessage({ kind: 'group', from: c, group: team, text: 'new', ts: T0 + 2 });
        expect(await store.messages.history({ viewer: a, group: team, limit: 10 })).toEqual([now]);
      });

      it('groupsOf lists the groups a user belongs to, sorted by name, with members', async () => {
        const [u, v] = (await users('u', 'v')) as [string, string];
        const [gB, ga, gc] = [n('Bgroup'), n('agroup'), n('cgroup')];
        await store.groups.createGroup(ga, u, [v], T0);
        await store.groups.createGroup(gc, v, [u], T0 + 1);
        await store.groups.createGroup(gB, u, [], T0 + 2);
        expect(noId(await store.groups.groupsOf(u))).toEqual([
          { name: gB, owner: u, members: [u], createdAt: T0 + 2 },
          { name: ga, owner: u, members: [u, v], createdAt: T0 },
          { name: gc, owner: v, members: [v, u], createdAt: T0 + 1 },
        ]);
        expect((await store.groups.groupsOf(v)).map((g) => g.name)).toEqual([ga, gc]);
        await store.groups.removeGroupMembers(gc, [u]);
        expect((await store.groups.groupsOf(u)).map((g) => g.name)).toEqual([gB, ga]);
        expect(await store.groups.groupsOf(n('nobody'))).toEqual([]);
      });
    });

    // ------------------------------------------------------------ the stream and mailboxes

    /** The whole mailbox of `user` after `after` (no away window unless given). */
    async function mailboxOf(user: string, after = 0, away?: { from: number; to: number }) {
      return store.messages.mailbox({ username: user, after, limit: 10_000, ...(away ? { away } : {}) });
    }

    describe('saveMessage', () => {
      it('stores a message once at the next position: ids increase and the head follows', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const before = await store.messages.head();
        const first = await store.messages.saveMessage(privateMessage(a, b, 'hello', T0));
        expect(first).toEqual({ id: first.id, kind: 'private', from: a, to: b, text: 'hello', ts: T0 });
        expect(first.id).toBeGreaterThan(before);
        const second = await store.messages.saveMessage(privateMessage(b, a, 'hi back', T0 + 1));
        expect(second.id).toBeGreaterThan(first.id);
        expect(await store.messages.head()).toBeGreaterThanOrEqual(second.id);
      });

      it('broadcasts and group messages are stored once, with no recipient list', async () => {
        const [owner, m] = (await users('owner', 'm')) as [string, string];
        const team = n('team');
        await store.groups.createGroup(team, owner, [m], T0);
        const b = await store.messages.saveMessage({ kind: 'broadcast', from: owner, text: 'to all', ts: T0 + 5 });
        expect(b).toEqual({ id: b.id, kind: 'broadcast', from: owner, text: 'to all', ts: T0 + 5 });
        const g = await store.messages.saveMessage({ kind: 'group', from: owner, group: team, text: 'standup', ts: T0 });
        expect(g).toEqual({ id: g.id, kind: 'group', from: owner, group: team, text: 'standup', ts: T0 });
        expect((await mailboxOf(m, b.id - 1)).map((d) => d.message)).toEqual([b, g]);
      });

      it('is atomic: a save naming a recipient who is not a user, or no group, rejects and leaves nothing behind', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        await expect(store.messages.saveMessage(privateMessage(a, n('ghost'), 'doomed'))).rejects.toThrow();
        await expect(store.messages.saveMessage({ kind: 'group', from: a, group: n('nogroup'), text: 'doomed', ts: T0 })).rejects.toThrow();
        expect(await store.messages.history({ viewer: a, peer: n('ghost'), limit: 10 })).toEqual([]);
        const ok = await store.messages.saveMessage(privateMessage(a, b, 'fine'));
        expect(textsOf(await store.messages.history({ viewer: a, peer: b, limit: 10 }))).toEqual(['fine']);
        expect((await mailboxOf(b)).map((d) => d.message)).toEqual([ok]);
      });

      it('a failing save among saves made in the same tick fails alone', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const results = await Promise.allSettled([
          store.messages.saveMessage(privateMessage(a, b, 'one')),
          store.messages.saveMessage(privateMessage(a, n('ghost'), 'bad')),
          store.messages.saveMessage(privateMessage(a, b, 'two')),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(textsOf((await mailboxOf(b)).map((d) => d.message))).toEqual(['one', 'two']);
      });

      it('saves made in one tick get increasing ids in call order', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const COUNT = 40;
        const saved = await Promise.all(Array.from({ length: COUNT }, (_, i) => store.messages.saveMessage(privateMessage(a, b, `m${i}`, T0 + i))));
        const ids = saved.map((m) => m.id);
        expect([...ids].sort((x, y) => x - y)).toEqual(ids);
        expect(new Set(ids).size).toBe(COUNT);
        const box = await mailboxOf(b);
        expect(box.map((d) => d.message)).toEqual(saved);
        expect(box.map((d) => d.seq)).toEqual(ids);
      });
    });

    describe('saveMessageOnce (idempotency keys)', () => {
      it('a repeat of a key answers with the first message and stores nothing, whatever it carries', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const first = await store.messages.saveMessageOnce(privateMessage(a, b, 'hello', T0), 'k1');
        expect(first.repeat).toBe(false);
        expect(first.message).toEqual({ id: first.message.id, kind: 'private', from: a, to: b, text: 'hello', ts: T0 });
        const head = await store.messages.head();
        const again = await store.messages.saveMessageOnce(privateMessage(a, b, 'hello', T0 + 50), 'k1');
        expect(again).toEqual({ message: first.message, repeat: true });
        // The key names the send: other content under it is not stored either.
        const other = await store.messages.saveMessageOnce(privateMessage(a, b, 'something else', T0 + 60), 'k1');
        expect(other).toEqual({ message: first.message, repeat: true });
        expect(await store.messages.head()).toBe(head);
        expect((await mailboxOf(b)).map((d) => d.message)).toEqual([first.message]);
        expect(await store.messages.messageByClientKey(a, 'k1')).toEqual({ message: first.message, groupId: null });
      });

      it('keys are per sender: another sender may use the same key; an unused key or sender finds nothing', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const fromA = await store.messages.saveMessageOnce(privateMessage(a, c, 'from a'), 'same');
        const fromB = await store.messages.saveMessageOnce(privateMessage(b, c, 'from b'), 'same');
        expect([fromA.repeat, fromB.repeat]).toEqual([false, false]);
        expect(fromB.message.id).not.toBe(fromA.message.id);
        expect(textsOf((await mailboxOf(c)).map((d) => d.message))).toEqual(['from a', 'from b']);
        expect(await store.messages.messageByClientKey(a, 'other')).toBeNull();
        expect(await store.messages.messageByClientKey(c, 'same')).toBeNull();
      });

      it('messages without a key are not affected: saveMessage stores every copy, beside keyed ones', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const plain1 = await store.messages.saveMessage(privateMessage(a, b, 'same text'));
        const keyed = await store.messages.saveMessageOnce(privateMessage(a, b, 'same text'), 'kk');
        const plain2 = await store.messages.saveMessage(privateMessage(a, b, 'same text'));
        expect(keyed.repeat).toBe(false);
        expect(new Set([plain1.id, keyed.message.id, plain2.id]).size).toBe(3);
        expect((await mailboxOf(b)).map((d) => d.message)).toEqual([plain1, keyed.message, plain2]);
      });

      it('saves with one key in the same tick (one commit) store one message; every caller gets its id', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const saved = await Promise.all([
          store.messages.saveMessageOnce(privateMessage(a, b, 'one'), 'race'),
          store.messages.saveMessage(privateMessage(a, b, 'plain')),
          store.messages.saveMessageOnce(privateMessage(a, b, 'one'), 'race'),
          store.messages.saveMessageOnce({ kind: 'broadcast', from: a, text: 'all', ts: T0 }, 'race'),
        ]);
        const [first, , second, third] = saved as [{ message: ChatMessage; repeat: boolean }, ChatMessage, (typeof saved)[0], (typeof saved)[0]];
        expect(first.repeat).toBe(false);
        expect(second).toEqual({ message: first.message, repeat: true });
        expect(third).toEqual({ message: first.message, repeat: true });
        expect(textsOf((await mailboxOf(b)).map((d) => d.message))).toEqual(['one', 'plain']);
      });

      it('broadcasts and group messages take keys too; a failed save leaves its key unused', async () => {
        const [owner, m] = (await users('owner', 'm')) as [string, string];
        const team = n('team');
        await store.groups.createGroup(team, owner, [m], T0);
        const g = await store.messages.saveMessageOnce({ kind: 'group', from: owner, group: team, text: 'standup', ts: T0 }, 'g-1');
        const b = await store.messages.saveMessageOnce({ kind: 'broadcast', from: owner, text: 'to all', ts: T0 }, 'b_1');
        expect(await store.messages.saveMessageOnce({ kind: 'group', from: owner, group: team, text: 'standup', ts: T0 }, 'g-1')).toEqual({
          message: g.message,
          repeat: true,
        });
        expect((await store.messages.saveMessageOnce({ kind: 'broadcast', from: owner, text: 'to all', ts: T0 }, 'b_1')).message.id).toBe(b.message.id);
        expect((await mailboxOf(m)).map((d) => d.message.id)).toEqual([g.message.id, b.message.id].sort((x, y) => x - y));
        await expect(store.messages.saveMessageOnce(privateMessage(owner, n('ghost'), 'doomed'), 'failed')).rejects.toThrow();
        const later = await store.messages.saveMessageOnce(privateMessage(owner, m, 'fine'), 'failed');
        expect(later.repeat).toBe(false);
        expect(later.message.text).toBe('fine');
      });

      it('a key names its message as long as it exists: a deleted one answers as its tombstone, also after a restart', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const first = await store.messages.saveMessageOnce(privateMessage(a, b, 'oops'), 'gone');
        await store.messages.deleteMessage(first.message.id, T0 + 5);
        const again = await store.messages.saveMessageOnce(privateMessage(a, b, 'oops'), 'gone');
        expect(again.repeat).toBe(true);
        expect(again.message).toMatchObject({ id: first.message.id, ts: first.message.ts, text: '', deleted: true });
        if (!opened.reopen) return;
        await restart();
        expect((await store.messages.saveMessageOnce(privateMessage(a, b, 'oops'), 'gone')).message.id).toBe(first.message.id);
        expect(textsOf((await mailboxOf(b)).map((d) => d.message))).toEqual(['']);
      });

      it('a rename moves the keys to the new name; deleting the account forgets them', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const first = await store.messages.saveMessageOnce(privateMessage(a, b, 'hi'), 'moved');
        const renamed = n('renamed');
        expect(await store.admin.renameUser(a, renamed)).toBe('ok');
        const again = await store.messages.saveMessageOnce(privateMessage(renamed, b, 'hi'), 'moved');
        expect(again).toMatchObject({ repeat: true, message: { id: first.message.id, from: renamed } });
        expect(await store.messages.messageByClientKey(a, 'moved')).toBeNull();
        expect(await store.admin.deleteUser(renamed)).toBe(true);
        expect(await store.messages.messageByClientKey(renamed, 'moved')).toBeNull();
        // A new account of that name starts with no keys.
        expect(await store.accounts.createUser(renamed, 'hash', T0)).toBe(true);
        const fresh = await store.messages.saveMessageOnce(privateMessage(renamed, b, 'new holder'), 'moved');
        expect(fresh.repeat).toBe(false);
        expect(fresh.message.id).not.toBe(first.message.id);
      });
    });

    describe('mailboxes', () => {
      it('pages ascending by position, position > after, at most limit; newest gives the last ones', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const saved: ChatMessage[] = [];
        for (let i = 1; i <= 7; i++) saved.push(await store.messages.saveMessage(privateMessage(a, b, `m${i}`, T0 + i)));
        const ids = saved.map((m) => m.id);
        const page1 = await store.messages.mailbox({ username: b, after: 0, limit: 3 });
        expect(page1.map((d) => d.seq)).toEqual(ids.slice(0, 3));
        expect(page1.map((d) => d.message)).toEqual(saved.slice(0, 3));
        expect(page1.every((d) => d.offline === false)).toBe(true);
        expect((await store.messages.mailbox({ username: b, after: ids[2]!, limit: 3 })).map((d) => d.seq)).toEqual(ids.slice(3, 6));
        expect(await store.messages.mailbox({ username: b, after: ids[6]!, limit: 3 })).toEqual([]);
        expect((await store.messages.mailbox({ username: b, after: 0, upTo: ids[1]!, limit: 10 })).map((d) => d.seq)).toEqual(ids.slice(0, 2));
        expect((await store.messages.mailbox({ username: b, after: 0, limit: 2, newest: true })).map((d) => d.seq)).toEqual(ids.slice(5));
        expect(await store.messages.countMailbox({ username: b, after: ids[1]! })).toBe(5);
        expect(await mailboxOf(n('nobody'))).toEqual([]);
        // The sender's own messages are not in their mailbox.
        expect(await mailboxOf(a)).toEqual([]);
      });

      it('holds private messages to me, broadcasts by others and my groups, but not other people’s conversations', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const [team, other] = [n('team'), n('other')];
        await store.groups.createGroup(team, a, [b], T0);
        await store.groups.createGroup(other, a, [c], T0);
        const start = await store.messages.head();
        await store.messages.saveMessage(privateMessage(a, b, 'a→b'));
        await store.messages.saveMessage(privateMessage(a, c, 'a→c'));
        await store.messages.saveMessage({ kind: 'broadcast', from: c, text: 'bc by c', ts: T0 });
        await store.messages.saveMessage({ kind: 'broadcast', from: b, text: 'bc by b', ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'team', ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: b, group: team, text: 'team by b', ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: a, group: other, text: 'other', ts: T0 });
        // Other tests may broadcast in a shared database: only this test's senders count.
        const mine = (ds: { message: ChatMessage }[]) => textsOf(ds.map((d) => d.message).filter((m) => [a, b, c].includes(m.from)));
        expect(mine(await mailboxOf(b, start))).toEqual(['a→b', 'bc by c', 'team']);
        expect(mine(await mailboxOf(c, start))).toEqual(['a→c', 'bc by b', 'other']);
      });

      it('applies group membership at the time of each message: nothing before joining or after leaving', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [], T0);
        await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'before b', ts: T0 });
        await store.groups.addGroupMembers(team, [b]);
        await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'while b', ts: T0 });
        await store.groups.removeGroupMembers(team, [b]);
        await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'after b', ts: T0 });
        await store.groups.addGroupMembers(team, [b]);
        await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'b again', ts: T0 });
        expect(textsOf((await mailboxOf(b)).map((d) => d.message))).toEqual(['while b', 'b again']);
      });

      it('applies the reader’s blocks when read, and away windows to broadcasts and the offline flag', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const start = await store.messages.head();
        const m1 = await store.messages.saveMessage(privateMessage(a, b, 'from a'));
        await store.messages.saveMessage(privateMessage(c, b, 'from c'));
        const bc = await store.messages.saveMessage({ kind: 'broadcast', from: a, text: 'bc', ts: T0 });
        const m3 = await store.messages.saveMessage(privateMessage(a, b, 'later'));
        await store.blocks.block(b, c);
        const own = <D extends { message: ChatMessage }>(ds: D[]) => ds.filter((d) => [a, c].includes(d.message.from));
        expect(textsOf(own(await mailboxOf(b, start)).map((d) => d.message))).toEqual(['from a', 'bc', 'later']);
        // b was away in (m1, bc]: the broadcast there is not b's; private messages in it are marked offline.
        const away = { from: m1.id, to: bc.id };
        const box = own(await mailboxOf(b, start, away));
        expect(box.map((d) => [d.message.text, d.offline])).toEqual([
          ['from a', false],
          ['later', false],
        ]);
        expect(await store.messages.countMailbox({ username: b, after: start, away })).toBe((await mailboxOf(b, start, away)).length);
        expect(m3.id).toBeGreaterThan(bc.id);
      });

      it('what was sent during a block stays hidden after the unblock; what came before and after shows', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        await store.messages.saveMessage({ kind: 'broadcast', from: a, text: 'before', ts: T0 });
        await store.blocks.block(b, a);
        await store.messages.saveMessage({ kind: 'broadcast', from: a, text: 'during', ts: T0 });
        const fromA = async () => textsOf((await mailboxOf(b)).map((d) => d.message).filter((m) => m.from === a));
        expect(await fromA()).toEqual([]);
        await store.blocks.unblock(b, a);
        await store.messages.saveMessage({ kind: 'broadcast', from: a, text: 'after', ts: T0 });
        expect(await fromA()).toEqual(['before', 'after']);
      });

      it('ack raises the acknowledged position, never lowers it, never above the head; 0 for unknown names', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        expect(await store.messages.lastAcked(b)).toBe(0);
        await store.messages.ack(n('nobody'), 5); // harmless
        expect(await store.messages.lastAcked(n('nobody'))).toBe(0);
        const ids: number[] = [];
        for (let i = 0; i < 5; i++) ids.push((await store.messages.saveMessage(privateMessage(a, b, `m${i}`))).id);
        await store.messages.ack(b, ids[1]!);
        expect(await store.messages.lastAcked(b)).toBe(ids[1]);
        await store.messages.ack(b, ids[0]!);
        expect(await store.messages.lastAcked(b)).toBe(ids[1]);
        const head = await store.messages.head();
        await store.messages.ack(b, head + 1_000_000);
        expect(await store.messages.lastAcked(b)).toBeLessThanOrEqual(await store.messages.head());
        expect(await store.messages.lastAcked(b)).toBeGreaterThanOrEqual(ids[4]!);
      });

      it('acks sent together in one turn: each resolves once stored; the highest per user counts, never above the head', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const ids: number[] = [];
        for (let i = 0; i < 3; i++) ids.push((await store.messages.saveMessage(privateMessage(a, b, `m${i}`))).id);
        const head = await store.messages.head();
        const sent: [string, number][] = [
          [b, ids[2]!],
          [c, head + 1_000_000],
          [b, ids[0]!],
          [n('nobody'), ids[1]!],
          [c, ids[0]!],
        ];
        // What each caller reads back as soon as its own ack resolved.
        const readBack = await Promise.all(sent.map(([u, position]) => store.messages.ack(u, position).then(() => store.messages.lastAcked(u))));
        readBack.forEach((position, i) => {
          const [u, asked] = sent[i]!;
          if (u === n('nobody')) expect(position).toBe(0);
          else expect(position).toBeGreaterThanOrEqual(Math.min(asked, head));
        });
        expect(await store.messages.lastAcked(b)).toBe(ids[2]);
        expect(await store.messages.lastAcked(c)).toBeLessThanOrEqual(await store.messages.head());
        expect(await store.messages.lastAcked(c)).toBeGreaterThanOrEqual(head);
        expect(await store.messages.lastAcked(n('nobody'))).toBe(0);
      });

      it('signIn reports the head and the away window since the last sign-out; signOut records the ack', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const first = await store.messages.signIn(b);
        expect(first.head).toBe(await store.messages.head());
        expect(first.away.to).toBe(first.head);
        const m1 = await store.messages.saveMessage(privateMessage(a, b, 'online'));
        await store.messages.signOut(b, m1.id);
        expect(await store.messages.lastAcked(b)).toBe(m1.id);
        const m2 = await store.messages.saveMessage(privateMessage(a, b, 'away'));
        const again = await store.messages.signIn(b);
        expect(again.acked).toBe(m1.id);
        expect(again.away.from).toBeGreaterThanOrEqual(m1.id);
        expect(again.away.from).toBeLessThan(m2.id);
        expect(again.away.to).toBeGreaterThanOrEqual(m2.id);
        expect(await store.messages.lastAway(b)).toEqual(again.away);
        expect(again.previousAway).toEqual(first.away);
        const box = await mailboxOf(b, again.acked, again.away);
        expect(box.filter((d) => d.message.from === a).map((d) => [d.message.text, d.offline])).toEqual([['away', true]]);
        // A session that never signed out (its node died): no away window, nothing dropped.
        const third = await store.messages.signIn(b);
        expect(third.away.from).toBe(third.away.to);
        expect(third.previousAway).toEqual(again.away);
      });
    });

    describe('history', () => {
      it('private history holds only messages between the pair, both ways, newest first', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [b, c], T0);
        await store.messages.saveMessage(privateMessage(a, b, 'a→b 1'));
        await store.messages.saveMessage(privateMessage(a, c, 'a→c'));
        await store.messages.saveMessage(privateMessage(b, a, 'b→a'));
        await store.messages.saveMessage(privateMessage(c, b, 'c→b'));
        await store.messages.saveMessage({ kind: 'broadcast', from: a, text: 'broadcast', ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'group', ts: T0 });
        await store.messages.saveMessage(privateMessage(a, b, 'a→b 2'));

        expect(textsOf(await store.messages.history({ viewer: a, peer: b, limit: 50 }))).toEqual(['a→b 2', 'b→a', 'a→b 1']);
        expect(await store.messages.history({ viewer: b, peer: a, limit: 50 })).toEqual(await store.messages.history({ viewer: a, peer: b, limit: 50 }));
        expect(textsOf(await store.messages.history({ viewer: c, peer: b, limit: 50 }))).toEqual(['c→b']);
        expect(textsOf(await store.messages.history({ viewer: c, peer: a, limit: 50 }))).toEqual(['a→c']);
        expect(await store.messages.history({ viewer: b, peer: n('stranger'), limit: 50 })).toEqual([]);

        const [newest] = await store.messages.history({ viewer: a, peer: b, limit: 50 });
        expect(newest).toEqual({ id: newest?.id, kind: 'private', from: a, to: b, text: 'a→b 2', ts: T0 });
      });

      it('directPeers lists everyone with a private conversation either way, once each, sorted by name; groups and broadcasts do not count', async () => {
        const [a, b, c, d, upper] = (await users('a', 'b', 'c', 'd', 'Z')) as [string, string, string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [d], T0);
        expect(await store.messages.directPeers(a)).toEqual([]);
        await store.messages.saveMessage(privateMessage(a, c, 'a→c'));
        await store.messages.saveMessage(privateMessage(b, a, 'b→a'));
        await store.messages.saveMessage(privateMessage(a, c, 'a→c again'));
        await store.messages.saveMessage(privateMessage(c, a, 'c→a'));
        await store.messages.saveMessage(privateMessage(upper, a, 'Z→a'));
        await store.messages.saveMessage(privateMessage(b, c, 'b→c'));
        await store.messages.saveMessage({ kind: 'broadcast', from: d, text: 'broadcast', ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: d, group: team, text: 'group', ts: T0 });

        // Code-unit order: the upper-case name first.
        expect(await store.messages.directPeers(a)).toEqual([upper, b, c]);
        expect(await store.messages.directPeers(c)).toEqual([a, b]);
        expect(await store.messages.directPeers(d)).toEqual([]);
        expect(await store.messages.directPeers(n('stranger'))).toEqual([]);
      });

      it('pages with `before` (ids strictly older) and `limit`', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const ids: number[] = [];
        for (let i = 1; i <= 9; i++) {
          const from = i % 2 ? a : b;
          const to = i % 2 ? b : a;
          ids.push((await store.messages.saveMessage(privateMessage(from, to, `m${i}`, T0 + i))).id);
        }
        const page1 = await store.messages.history({ viewer: a, peer: b, limit: 4 });
        expect(textsOf(page1)).toEqual(['m9', 'm8', 'm7', 'm6']);
        const page2 = await store.messages.history({ viewer: a, peer: b, before: page1.at(-1)?.id, limit: 4 });
        expect(textsOf(page2)).toEqual(['m5', 'm4', 'm3', 'm2']);
        const page3 = await store.messages.history({ viewer: b, peer: a, before: page2.at(-1)?.id, limit: 4 });
        expect(textsOf(page3)).toEqual(['m1']);
        expect(await store.messages.history({ viewer: a, peer: b, before: page3[0]?.id, limit: 4 })).toEqual([]);
        // `before` need not be an id of this conversation.
        expect(textsOf(await store.messages.history({ viewer: a, peer: b, before: (ids[4] as number) + 1, limit: 2 }))).toEqual(['m5', 'm4']);
        expect(page1.map((m) => m.id)).toEqual([...ids].reverse().slice(0, 4));
      });

      it('direct history leaves out what the peer sent while the viewer blocked them, or everything while they block them now; the viewer’s own stay', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const say = async (from: string, to: string, text: string) => store.messages.saveMessage(privateMessage(from, to, text));
        const texts = async (viewer: string, peer: string, limit = 10, before?: number) =>
          textsOf(await store.messages.history({ viewer, peer, limit, ...(before !== undefined ? { before } : {}) }));
        await say(b, a, 'b before');
        await say(a, b, 'a before');
        await store.blocks.block(a, b);
        await say(b, a, 'b during 1');
        await say(b, a, 'b during 2');
        await say(a, b, 'a during');
        // Blocked now: none of b's messages, all of a's own.
        expect(await texts(a, b)).toEqual(['a during', 'a before']);
        // b's view is b's own conversation: b blocks nobody.
        expect(await texts(b, a)).toEqual(['a during', 'b during 2', 'b during 1', 'a before', 'b before']);
        await store.blocks.unblock(a, b);
        const after = await say(b, a, 'b after');
        // Unblocked: what came before and after the block shows, what was sent during it stays hidden.
        expect(await texts(a, b)).toEqual(['b after', 'a during', 'a before', 'b before']);
        // Pages stay full: hidden messages take no place in a page.
        expect(await texts(a, b, 2, after.id)).toEqual(['a during', 'a before']);
        expect(await texts(a, b, 3)).toEqual(['b after', 'a during', 'a before']);
      });

      it('group history leaves out senders the viewer blocks now, or blocked when the message was sent; pages stay full', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [b, c], T0);
        const say = (from: string, text: string) => store.messages.saveMessage({ kind: 'group', from, group: team, text, ts: T0 });
        const texts = async (viewer: string, limit = 10) => textsOf(await store.messages.history({ viewer, group: team, limit }));
        await say(b, 'b before');
        await store.blocks.block(a, b);
        await say(b, 'b during');
        await say(a, 'a during');
        expect(await texts(a)).toEqual(['a during']);
        expect(await texts(c)).toEqual(['a during', 'b during', 'b before']);
        await store.blocks.unblock(a, b);
        await say(b, 'b after');
        await say(c, 'c after');
        expect(await texts(a)).toEqual(['c after', 'b after', 'a during', 'b before']);
        expect(await texts(a, 3)).toEqual(['c after', 'b after', 'a during']);
      });

      it('group history holds every message of that group only, newest first, with paging', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const [g1, g2] = [n('g1'), n('g2')];
        await store.groups.createGroup(g1, a, [b], T0);
        await store.groups.createGroup(g2, a, [b], T0);
        for (let i = 1; i <= 5; i++) {
          await store.messages.saveMessage({ kind: 'group', from: i % 2 ? a : b, group: g1, text: `g1-${i}`, ts: T0 + i });
          await store.messages.saveMessage({ kind: 'group', from: a, group: g2, text: `g2-${i}`, ts: T0 + i });
        }
        await store.messages.saveMessage(privateMessage(a, b, 'private'));

        const page1 = await store.messages.history({ viewer: b, group: g1, limit: 3 });
        expect(textsOf(page1)).toEqual(['g1-5', 'g1-4', 'g1-3']);
        expect(page1.every((m) => m.kind === 'group' && m.group === g1)).toBe(true);
        expect(textsOf(await store.messages.history({ viewer: b, group: g1, before: page1.at(-1)?.id, limit: 3 }))).toEqual(['g1-2', 'g1-1']);
        expect(textsOf(await store.messages.history({ viewer: a, group: g2, limit: 1 }))).toEqual(['g2-5']);
        expect(await store.messages.history({ viewer: a, group: n('nogroup'), limit: 10 })).toEqual([]);
      });

      it('a query naming neither a peer nor a group is refused with BAD_REQUEST, on every backend', async () => {
        const [a, b] = await users('a', 'b');
        await store.messages.saveMessage(privateMessage(a as string, b as string, 'hi'));
        // The type forbids it; a caller bypassing the type still gets a coded error, never a silent [] or a crash.
        const neither = { viewer: a, limit: 10 } as unknown as HistoryQuery;
        await expect(store.messages.history(neither)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      });
    });

    // ------------------------------------------------------------ conversations

    describe('conversations and read positions', () => {
      const list = async (username: string, before?: number, limit = 50) =>
        store.messages.conversations({ username, limit, ...(before !== undefined ? { before } : {}) });
      const summary = (cs: Awaited<ReturnType<typeof list>>) => cs.map((c) => [c.kind, c.name, c.lastMessage?.text ?? null, c.unread]);

      it('lists direct peers (both directions), groups and Everyone, newest first, with unread counts', async () => {
        const [a, b, c, d] = (await users('a', 'b', 'c', 'd')) as [string, string, string, string];
        const team = n('team');
        const quiet = n('quiet');
        await store.groups.createGroup(team, a, [b], T0);
        await store.groups.createGroup(quiet, c, [a], T0);
        await store.messages.saveMessage(privateMessage(b, a, 'b→a 1'));
        await store.messages.saveMessage(privateMessage(b, a, 'b→a 2'));
        await store.messages.saveMessage(privateMessage(a, c, 'a→c'));
        await store.messages.saveMessage({ kind: 'broadcast', from: d, text: 'hello all', ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: b, group: team, text: 'team 1', ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'team mine', ts: T0 });

        expect(summary(await list(a))).toEqual([
          ['group', team, 'team mine', 1],
          ['everyone', '', 'hello all', 1],
          ['direct', c, 'a→c', 0],
          ['direct', b, 'b→a 2', 2],
          ['group', quiet, null, 0],
        ]);
        // The other side sees the same pair; a user with nothing but Everyone sees Everyone.
        expect(summary(await list(c))).toEqual([
          ['everyone', '', 'hello all', 1],
          ['direct', a, 'a→c', 1],
          ['group', quiet, null, 0],
        ]);
        expect(summary(await list(d))).toEqual([['everyone', '', 'hello all', 0]]);
      });

      it('an edited last message shows its new text; a deleted one shows as its tombstone; unread counts stay', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [b], T0);
        await store.messages.saveMessage(privateMessage(b, a, 'first'));
        const dm = await store.messages.saveMessage(privateMessage(b, a, 'typo'));
        const inGroup = await store.messages.saveMessage({ kind: 'group', from: b, group: team, text: 'to delete', ts: T0 });
        await store.messages.editMessage(dm.id, 'fixed', T0 + 5);
        await store.messages.deleteMessage(inGroup.id, T0 + 6);

        const listed = await list(a);
        expect(summary(listed)).toEqual([
          ['group', team, '', 1],
          ['direct', b, 'fixed', 2],
          ['everyone', '', null, 0],
        ]);
        expect(listed[0]!.lastMessage).toEqual({ id: inGroup.id, kind: 'group', from: b, group: team, text: '', ts: T0, deleted: true });
        expect(listed[1]!.lastMessage).toMatchObject({ id: dm.id, text: 'fixed', editedAt: T0 + 5 });
        expect(listed[1]!.lastMessage?.deleted).toBeUndefined();

        // Everyone, its list entry and its history alike.
        const first = await store.messages.saveMessage({ kind: 'broadcast', from: b, text: 'all 1', ts: T0 });
        const second = await store.messages.saveMessage({ kind: 'broadcast', from: b, text: 'all 2', ts: T0 });
        await store.messages.editMessage(first.id, 'all one', T0 + 7);
        await store.messages.deleteMessage(second.id, T0 + 8);
        const everyone = (await list(a)).find((c) => c.kind === 'everyone');
        expect(everyone?.lastMessage).toEqual({ id: second.id, kind: 'broadcast', from: b, text: '', ts: T0, deleted: true });
        const page = await store.messages.history({ viewer: a, everyone: true, limit: 10 });
        expect(page.map((m) => [m.text, m.deleted ?? false, m.editedAt ?? null])).toEqual([
          ['', true, null],
          ['all one', false, T0 + 7],
        ]);
      });

      it('pages by the last message position; conversations without messages come last, never split', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const [g1, g2] = [n('g1'), n('g2')];
        await store.groups.createGroup(g1, a, [], T0);
        await store.groups.createGroup(g2, a, [], T0);
        const m1 = await store.messages.saveMessage(privateMessage(b, a, 'from b'));
        const m2 = await store.messages.saveMessage(privateMessage(c, a, 'from c'));
        const page1 = await list(a, undefined, 1);
        expect(summary(page1)).toEqual([['direct', c, 'from c', 1]]);
        expect(page1[0]?.lastMessage?.id).toBe(m2.id);
        expect(summary(await list(a, m2.id, 1))).toEqual([['direct', b, 'from b', 1]]);
        // Position 0 for the rest: all of them at once, groups by name, then Everyone.
        expect(summary(await list(a, m1.id, 1))).toEqual([
          ['group', g1, null, 0],
          ['group', g2, null, 0],
          ['everyone', '', null, 0],
        ]);
      });

      it('read positions move unread counts, never backwards, never above the head; receipts data for the other side', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [b, c], T0);
        const p1 = await store.messages.saveMessage(privateMessage(b, a, 'one'));
        const p2 = await store.messages.saveMessage(privateMessage(b, a, 'two'));
        const g1 = await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'g', ts: T0 });
        const bc = await store.messages.saveMessage({ kind: 'broadcast', from: c, text: 'all', ts: T0 });

        expect(await store.messages.markRead(a, { peer: b }, p1.id)).toEqual({ read: p1.id, unread: 1 });
        expect(await store.messages.markRead(a, { peer: b }, 1)).toEqual({ read: p1.id, unread: 1 });
        expect(await store.messages.markRead(a, { peer: b }, p2.id)).toEqual({ read: p2.id, unread: 0 });
        const head = await store.messages.head();
        expect(await store.messages.markRead(a, { everyone: true }, head + 1000)).toEqual({ read: head, unread: 0 });
        expect((await store.messages.markRead(b, { group: team }, g1.id)).unread).toBe(0);
        expect((await store.messages.markRead(c, { group: team }, p1.id)).unread).toBe(1);
        await expect(store.messages.markRead(a, { group: n('nogroup') }, 1)).rejects.toThrow();

        const byName = new Map((await list(a)).map((conv) => [conv.name, conv]));
        expect(byName.get(b)).toMatchObject({ kind: 'direct', read: p2.id, unread: 0, peerRead: 0 });
        expect(byName.get('')).toMatchObject({ kind: 'everyone', read: head, unread: 0 });
        expect(byName.get(team)?.memberReads).toEqual({ [b]: g1.id, [c]: p1.id });
        await store.messages.markRead(b, { peer: a }, p2.id);
        expect((await list(a)).find((conv) => conv.name === b)?.peerRead).toBe(p2.id);
        expect(bc.id).toBeGreaterThan(g1.id);
      });

      it('blocked senders are never the last message nor unread; group messages only from the membership', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, b, [c], T0);
        await store.messages.saveMessage({ kind: 'group', from: b, group: team, text: 'before a joined', ts: T0 });
        await store.messages.saveMessage(privateMessage(a, b, 'a→b'));
        await store.messages.saveMessage({ kind: 'broadcast', from: c, text: 'c to all', ts: T0 });
        await store.blocks.block(a, b);
        await store.messages.saveMessage(privateMessage(b, a, 'b while blocked'));
        await store.messages.saveMessage({ kind: 'broadcast', from: b, text: 'b to all', ts: T0 });
        await store.groups.addGroupMembers(team, [a]);
        await store.messages.saveMessage({ kind: 'group', from: b, group: team, text: 'b in team', ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: c, group: team, text: 'c in team', ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: b, group: team, text: 'b in team again', ts: T0 });

        expect(summary(await list(a))).toEqual([
          ['group', team, 'c in team', 1],
          ['everyone', '', 'c to all', 1],
          ['direct', b, 'a→b', 0],
        ]);
        // Unblocking does not reveal what was sent while blocked.
        await store.blocks.unblock(a, b);
        expect(summary(await list(a)).find((row) => row[0] === 'direct')).toEqual(['direct', b, 'a→b', 0]);
        // A conversation with nothing visible is not listed.
        const [x] = (await users('x')) as [string];
        await store.blocks.block(x, c);
        await store.messages.saveMessage(privateMessage(c, x, 'hidden'));
        expect(summary(await list(x))).toEqual([['everyone', '', 'b to all', 0]]);
      });

      it('nothing sent before an account existed is unread', async () => {
        const [a] = (await users('a')) as [string];
        await store.messages.saveMessage({ kind: 'broadcast', from: a, text: 'early', ts: T0 });
        const [late] = (await users('late')) as [string];
        expect(summary(await list(late))).toEqual([['everyone', '', 'early', 0]]);
      });

      it('history of Everyone pages every broadcast, newest first, without senders the viewer blocks', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        for (let i = 1; i <= 5; i++) await store.messages.saveMessage({ kind: 'broadcast', from: i === 3 ? b : a, text: `all ${i}`, ts: T0 + i });
        await store.messages.saveMessage(privateMessage(a, c, 'private'));
        const page1 = await store.messages.history({ viewer: c, everyone: true, limit: 2 });
        expect(textsOf(page1)).toEqual(['all 5', 'all 4']);
        expect(textsOf(await store.messages.history({ viewer: c, everyone: true, before: page1.at(-1)?.id, limit: 10 }))).toEqual(['all 3', 'all 2', 'all 1']);
        await store.blocks.block(c, b);
        expect(textsOf(await store.messages.history({ viewer: c, everyone: true, limit: 10 }))).toEqual(['all 5', 'all 4', 'all 2', 'all 1']);
      });

      it('read receipts are on by default and switch per user', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        expect(await store.messages.readReceiptsOff([a, b])).toEqual([]);
        await store.messages.setReadReceipts(b, false);
        await store.messages.setReadReceipts(b, false);
        expect(await store.messages.readReceiptsOff([a, b])).toEqual([b]);
        await store.messages.setReadReceipts(b, true);
        expect(await store.messages.readReceiptsOff([a, b])).toEqual([]);
      });

      it('a renamed user keeps their conversations and positions; a deleted one leaves none behind', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const m = await store.messages.saveMessage(privateMessage(a, b, 'hi'));
        await store.messages.markRead(b, { peer: a }, m.id);
        await store.messages.setReadReceipts(a, false);
        const renamed = n('renamed');
        expect(await store.admin.renameUser(a, renamed)).toBe('ok');
        expect((await list(b)).find((c) => c.kind === 'direct')).toMatchObject({ name: renamed, read: m.id, unread: 0 });
        expect((await list(renamed)).find((c) => c.kind === 'direct')).toMatchObject({ name: b, peerRead: m.id });
        expect(await store.messages.readReceiptsOff([renamed])).toEqual([renamed]);
        expect(await store.admin.deleteUser(renamed)).toBe(true);
        expect(summary(await list(b)).map((row) => row[0])).toEqual(['everyone']);
      });

      it('conversations and read positions survive a restart (skipped when open() gives no reopen)', async (ctx) => {
        if (!opened.reopen) {
          ctx.skip('nothing is kept across close');
          return;
        }
        const [a, b] = (await users('a', 'b')) as [string, string];
        const m1 = await store.messages.saveMessage(privateMessage(b, a, 'one'));
        await store.messages.saveMessage(privateMessage(b, a, 'two'));
        await store.messages.markRead(a, { peer: b }, m1.id);
        await store.messages.setReadReceipts(a, false);
        await restart();
        expect(summary(await list(a))).toEqual([
          ['direct', b, 'two', 1],
          ['everyone', '', null, 0],
        ]);
        expect(await store.messages.readReceiptsOff([a])).toEqual([a]);
      });
    });

    describe('search', () => {
      /** A word unique to this test (letters and digits only, so it stays one word). */
      let w: (base: string) => string;
      beforeEach(() => {
        const tag = n('').slice(1);
        w = (base) => `${base}${tag}`;
      });
      const find = (viewer: string, query: string, extra: Partial<SearchQuery> = {}) =>
        store.messages.search({ viewer, terms: searchTerms(query), limit: 50, ...extra });

      it('finds exactly what the viewer can read: own private messages both ways, broadcasts, groups while a member', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const [team, other, late] = [n('team'), n('other'), n('late')];
        await store.groups.createGroup(team, a, [b], T0);
        await store.groups.createGroup(other, a, [c], T0);
        await store.groups.createGroup(late, a, [], T0);
        const k = w('kiwi');
        await store.messages.saveMessage(privateMessage(a, b, `a→b ${k}`));
        await store.messages.saveMessage(privateMessage(b, a, `b→a ${k}`));
        await store.messages.saveMessage(privateMessage(a, c, `a→c ${k}`));
        await store.messages.saveMessage(privateMessage(c, a, `c→a ${k}`));
        await store.messages.saveMessage({ kind: 'broadcast', from: c, text: `bc by c ${k}`, ts: T0 });
        await store.messages.saveMessage({ kind: 'broadcast', from: b, text: `bc by b ${k}`, ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: `team by a ${k}`, ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: b, group: team, text: `team by b ${k}`, ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: a, group: other, text: `other ${k}`, ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: a, group: late, text: `late before b ${k}`, ts: T0 });
        await store.groups.addGroupMembers(late, [b]);
        await store.messages.saveMessage({ kind: 'group', from: a, group: late, text: `late with b ${k}`, ts: T0 });
        await store.groups.removeGroupMembers(late, [b]);
        await store.messages.saveMessage({ kind: 'group', from: a, group: late, text: `late after b ${k}`, ts: T0 });
        await store.messages.saveMessage(privateMessage(a, b, `no match here`));

        expect(textsOf(await find(b, k))).toEqual([
          `late with b ${k}`,
          `team by b ${k}`,
          `team by a ${k}`,
          `bc by b ${k}`,
          `bc by c ${k}`,
          `b→a ${k}`,
          `a→b ${k}`,
        ]);
        expect(textsOf(await find(c, k))).toEqual([`other ${k}`, `bc by b ${k}`, `bc by c ${k}`, `c→a ${k}`, `a→c ${k}`]);
        // Newest first, with the stored records.
        const [top] = await find(b, k);
        expect(top).toEqual({ id: top?.id, kind: 'group', from: a, group: late, text: `late with b ${k}`, ts: T0 });
        // Broadcasts are everyone's; nothing else reaches a name without messages or groups.
        expect(textsOf(await find(n('nobody'), k))).toEqual([`bc by b ${k}`, `bc by c ${k}`]);
      });

      it('leaves out senders the viewer blocks now, or blocked when the message was sent', async () => {
        const [a, b, d] = (await users('a', 'b', 'd')) as [string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [b, d], T0);
        const k = w('plum');
        await store.messages.saveMessage(privateMessage(d, b, `d before ${k}`));
        await store.blocks.block(b, d);
        await store.messages.saveMessage(privateMessage(a, b, `a during ${k}`));
        await store.messages.saveMessage({ kind: 'broadcast', from: d, text: `d bc during ${k}`, ts: T0 });
        await store.messages.saveMessage({ kind: 'group', from: d, group: team, text: `d group during ${k}`, ts: T0 });
        expect(textsOf(await find(b, k))).toEqual([`a during ${k}`]);
        await store.blocks.unblock(b, d);
        await store.messages.saveMessage(privateMessage(d, b, `d after ${k}`));
        expect(textsOf(await find(b, k))).toEqual([`d after ${k}`, `a during ${k}`, `d before ${k}`]);
        // a blocks nobody: sees d's broadcast and group message.
        expect(textsOf(await find(a, k))).toEqual([`d group during ${k}`, `d bc during ${k}`, `a during ${k}`]);
      });

      it('matches every word as a word prefix, in any case and order; not inside words', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const k = w('fig');
        await store.messages.saveMessage(privateMessage(a, b, `Hello World ${k}`));
        await store.messages.saveMessage(privateMessage(a, b, `say hello, ${k}! (again)`));
        await store.messages.saveMessage(privateMessage(a, b, `othello ${k}`));
        await store.messages.saveMessage(privateMessage(a, b, `<img src=x onerror=alert(1)> ${k}`));
        expect(textsOf(await find(b, `hel ${k}`))).toEqual([`say hello, ${k}! (again)`, `Hello World ${k}`]);
        expect(textsOf(await find(b, `${k.toUpperCase()} WORLD`))).toEqual([`Hello World ${k}`]);
        expect(textsOf(await find(b, `world hello ${k}`))).toEqual([`Hello World ${k}`]);
        expect(textsOf(await find(b, `ello ${k}`))).toEqual([]);
        expect(textsOf(await find(b, `again ${k}`))).toEqual([`say hello, ${k}! (again)`]);
        expect(textsOf(await find(b, `onerror ${k}`))).toEqual([`<img src=x onerror=alert(1)> ${k}`]);
        expect(textsOf(await find(b, `img alert ${k}`))).toEqual([`<img src=x onerror=alert(1)> ${k}`]);
        expect(await find(b, `${k} missingword`)).toEqual([]);
        // No terms: nothing, never everything.
        expect(await store.messages.search({ viewer: b, terms: [], limit: 10 })).toEqual([]);
      });

      it('matches words beyond ASCII (no stemming, no stop words)', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const k = w('lime');
        await store.messages.saveMessage(privateMessage(a, b, `Grüße aus München ${k}`));
        await store.messages.saveMessage(privateMessage(a, b, `привет мир ${k}`));
        await store.messages.saveMessage(privateMessage(a, b, `the and of ${k}`));
        await store.messages.saveMessage(privateMessage(a, b, `नमस्ते दुनिया ${k}`));
        expect(textsOf(await find(b, `grüße ${k}`))).toEqual([`Grüße aus München ${k}`]);
        expect(textsOf(await find(b, `mün ${k}`))).toEqual([`Grüße aus München ${k}`]);
        expect(textsOf(await find(b, `привет ${k}`))).toEqual([`привет мир ${k}`]);
        expect(textsOf(await find(b, `the and ${k}`))).toEqual([`the and of ${k}`]);
        expect(textsOf(await find(b, `नमस्ते ${k}`))).toEqual([`नमस्ते दुनिया ${k}`]);
        expect(textsOf(await find(b, `दुनि ${k}`))).toEqual([`नमस्ते दुनिया ${k}`]);
      });

      it('never reads the query as full-text syntax: quotes, operators and brackets are plain words or separators', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const k = w('pear');
        await store.messages.saveMessage(privateMessage(a, b, `"quoted" and OR near ${k}`));
        for (const query of [`"${k}`, `${k} AND OR (`, `${k}*`, `NEAR(${k})`, `${k} -x:`, `'${k}'`, `${k}\\`, `^${k}`, `${k} NOT`]) {
          await expect(find(b, query)).resolves.toBeInstanceOf(Array);
        }
        expect(textsOf(await find(b, `"${k}`))).toEqual([`"quoted" and OR near ${k}`]);
        expect(textsOf(await find(b, `${k} AND OR (`))).toEqual([`"quoted" and OR near ${k}`]);
        expect(textsOf(await find(b, `NEAR(${k})`))).toEqual([`"quoted" and OR near ${k}`]);
        // Terms that bypass searchTerms still cannot break the backend's query.
        for (const terms of [[`${k}"`], ['"'], [`${k}'`], ["'"], ['a"b', 'or', '('], ['\\'], ['*'], [':*'], ['&|!']]) {
          await expect(store.messages.search({ viewer: b, terms, limit: 5 })).resolves.toBeInstanceOf(Array);
        }
      });

      it('pages newest first with beforeId and limit; filters by peer, group and time', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [b, c], T0);
        const k = w('date');
        const ids: number[] = [];
        for (let i = 1; i <= 7; i++) ids.push((await store.messages.saveMessage(privateMessage(i % 2 ? a : b, i % 2 ? b : a, `m${i} ${k}`, T0 + i))).id);
        await store.messages.saveMessage(privateMessage(c, b, `from c ${k}`, T0 + 8));
        await store.messages.saveMessage({ kind: 'group', from: c, group: team, text: `in team ${k}`, ts: T0 + 9 });
        await store.messages.saveMessage({ kind: 'broadcast', from: a, text: `to all ${k}`, ts: T0 + 10 });

        const page1 = await find(b, k, { limit: 3 });
        expect(textsOf(page1)).toEqual([`to all ${k}`, `in team ${k}`, `from c ${k}`]);
        const page2 = await find(b, k, { limit: 3, beforeId: page1.at(-1)?.id });
        expect(textsOf(page2)).toEqual([`m7 ${k}`, `m6 ${k}`, `m5 ${k}`]);
        expect(textsOf(await find(b, k, { limit: 10, beforeId: ids[2] }))).toEqual([`m2 ${k}`, `m1 ${k}`]);

        expect(textsOf(await find(b, k, { peer: a, limit: 3 }))).toEqual([`m7 ${k}`, `m6 ${k}`, `m5 ${k}`]);
        expect(textsOf(await find(a, k, { peer: b, limit: 2 }))).toEqual([`m7 ${k}`, `m6 ${k}`]);
        expect(textsOf(await find(b, k, { peer: c }))).toEqual([`from c ${k}`]);
        expect(await find(a, k, { peer: c })).toEqual([]);
        expect(textsOf(await find(b, k, { group: team }))).toEqual([`in team ${k}`]);
        expect(await find(b, k, { group: n('nogroup') })).toEqual([]);

        // Times: ts > afterTs and ts < beforeTs.
        expect(textsOf(await find(b, k, { afterTs: T0 + 5, beforeTs: T0 + 9 }))).toEqual([`from c ${k}`, `m7 ${k}`, `m6 ${k}`]);
        expect(textsOf(await find(b, k, { afterTs: T0 + 9 }))).toEqual([`to all ${k}`]);
        expect(textsOf(await find(b, k, { beforeTs: T0 + 2 }))).toEqual([`m1 ${k}`]);
      });
    });

    // ------------------------------------------------------------ message changes

    describe('message changes', () => {
      it('getMessage reads a message with its group id; null for ids that do not exist', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [b], T0);
        const p = await store.messages.saveMessage(privateMessage(a, b, 'hi'));
        const g = await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'all', ts: T0 });
        expect(await store.messages.getMessage(p.id)).toEqual({ message: p, groupId: null });
        expect(await store.messages.getMessage(g.id)).toEqual({ message: g, groupId: (await store.groups.getGroup(team))!.id });
        expect(await store.messages.getMessage(g.id + 100)).toBeNull();
        expect(await store.messages.getMessage(0)).toBeNull();
      });

      it('a reply keeps the id of the message it answers; reads quote the original as it is now', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const long = 'x'.repeat(150);
        const original = await store.messages.saveMessage(privateMessage(a, b, long));
        const quote = { id: original.id, from: a, text: 'x'.repeat(100) };
        const reply = await store.messages.saveMessage({ ...privateMessage(b, a, 'yes'), replyTo: quote });
        expect(reply.replyTo).toEqual(quote);
        expect((await store.messages.getMessage(reply.id))?.message.replyTo).toEqual(quote);
        await store.messages.editMessage(original.id, 'short now', T0 + 1);
        expect((await store.messages.history({ viewer: a, peer: b, limit: 10 }))[0]?.replyTo).toEqual({ id: original.id, from: a, text: 'short now' });
        await store.messages.deleteMessage(original.id, T0 + 2);
        const [delivered] = await store.messages.mailbox({ username: a, after: original.id, limit: 10 });
        expect(delivered?.message.replyTo).toEqual({ id: original.id, from: a, text: '', deleted: true });
      });

      it('editMessage replaces the text and sets editedAt; every read shows it; null for a missing or deleted message', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const m = await store.messages.saveMessage(privateMessage(a, b, 'draft'));
        const edited = await store.messages.editMessage(m.id, 'final', T0 + 5);
        expect(edited).toEqual({ ...m, text: 'final', editedAt: T0 + 5 });
        expect((await store.messages.history({ viewer: b, peer: a, limit: 10 }))[0]).toEqual(edited);
        expect((await store.messages.mailbox({ username: b, after: 0, limit: 10 }))[0]?.message).toEqual(edited);
        expect(await store.messages.editMessage(m.id + 100, 'x', T0)).toBeNull();
        await store.messages.deleteMessage(m.id, T0 + 6);
        expect(await store.messages.editMessage(m.id, 'again', T0 + 7)).toBeNull();
        expect((await store.messages.getMessage(m.id))?.message.text).toBe('');
      });

      it('deleteMessage leaves a tombstone: no text, reactions or file references (the upload becomes collectable); once only', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const hash = createHash('sha256').update('bytes').digest('hex');
        const file = {
          id: n('file').padEnd(22, 'x').slice(0, 22),
          uploader: a,
          name: 'f.txt',
          size: 5,
          type: 'text/plain',
          hash,
          width: null,
          height: null,
          thumbHash: null,
          avatarHash: null,
          createdAt: T0,
        };
        await store.files.createFile(file);
        const m = await store.messages.saveMessage(privateMessage(a, b, 'with a file'), { ids: [file.id] });
        await store.messages.toggleReaction(m.id, b, '👍', T0);
        expect(await store.files.unreferencedFiles(T0 + 1, 10)).toEqual([]);

        const tombstone = await store.messages.deleteMessage(m.id, T0 + 9);
        expect(tombstone).toEqual({ id: m.id, kind: 'private', from: a, to: b, text: '', ts: T0, deleted: true });
        expect((await store.messages.history({ viewer: a, peer: b, limit: 10 }))[0]).toEqual(tombstone);
        expect((await store.files.attachmentsOf([m.id])).size).toBe(0);
        expect((await store.files.unreferencedFiles(T0 + 1, 10)).map((f) => f.id)).toEqual([file.id]);
        expect(await store.messages.deleteMessage(m.id, T0 + 10)).toBeNull();
        expect(await store.messages.toggleReaction(m.id, b, '👍', T0)).toBeNull();
        expect(await store.messages.deleteMessage(m.id + 100, T0)).toBeNull();
      });

      it('toggleReaction adds, then removes; reactions group by emoji (ordered by their oldest reaction), users in reaction order', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const m = await store.messages.saveMessage({ kind: 'broadcast', from: a, text: 'news', ts: T0 });
        expect(await store.messages.toggleReaction(m.id, c, '🎉', T0)).toEqual({ added: true, reactions: [{ emoji: '🎉', users: [c] }] });
        await store.messages.toggleReaction(m.id, b, '👍', T0 + 1);
        expect(await store.messages.toggleReaction(m.id, b, '🎉', T0 + 2)).toEqual({
          added: true,
          reactions: [
            { emoji: '🎉', users: [c, b] },
            { emoji: '👍', users: [b] },
          ],
        });
        expect(await store.messages.toggleReaction(m.id, c, '🎉', T0 + 3)).toEqual({
          added: false,
          // Emojis in the order of their oldest remaining reaction.
          reactions: [
            { emoji: '👍', users: [b] },
            { emoji: '🎉', users: [b] },
          ],
        });
        expect((await store.messages.mailbox({ username: c, after: 0, limit: 10 }))[0]?.message.reactions).toEqual([
          { emoji: '👍', users: [b] },
          { emoji: '🎉', users: [b] },
        ]);
        await store.messages.toggleReaction(m.id, b, '🎉', T0 + 4);
        await store.messages.toggleReaction(m.id, b, '👍', T0 + 5);
        // No reactions left: the field is absent, not [].
        expect((await store.messages.getMessage(m.id))?.message).toEqual(m);
        expect(await store.messages.toggleReaction(m.id + 100, b, '👍', T0)).toBeNull();
      });

      it('renameUser moves reactions to the new name', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const m = await store.messages.saveMessage(privateMessage(a, b, 'hi'));
        await store.messages.toggleReaction(m.id, b, '👍', T0);
        const renamed = n('bee');
        expect(await store.admin.renameUser(b, renamed)).toBe('ok');
        expect((await store.messages.getMessage(m.id))?.message.reactions).toEqual([{ emoji: '👍', users: [renamed] }]);
      });

      it('changes survive a reopen', async () => {
        if (!opened.reopen) return;
        const [a, b] = (await users('a', 'b')) as [string, string];
        const m1 = await store.messages.saveMessage(privateMessage(a, b, 'one'));
        const m2 = await store.messages.saveMessage({ ...privateMessage(b, a, 'two'), replyTo: { id: m1.id, from: a, text: 'one' } });
        await store.messages.editMessage(m1.id, 'uno', T0 + 1);
        await store.messages.toggleReaction(m2.id, a, '❤️', T0 + 2);
        await restart();
        expect(await store.messages.history({ viewer: a, peer: b, limit: 10 })).toEqual([
          { ...m2, replyTo: { id: m1.id, from: a, text: 'uno' }, reactions: [{ emoji: '❤️', users: [a] }] },
          { ...m1, text: 'uno', editedAt: T0 + 1 },
        ]);
      });
    });

    // ------------------------------------------------------------ properties

    // ------------------------------------------------------------ files

    describe('files', () => {
      function fileRecord(id: string, uploader: string, content: string, createdAt = T0): FileRecord {
        const hash = createHash('sha256').update(content).digest('hex');
        return {
          id,
          uploader,
          name: `${id}.txt`,
          size: content.length,
          type: 'text/plain',
          hash,
          width: null,
          height: null,
          thumbHash: null,
          avatarHash: null,
          createdAt,
        };
      }

      async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
        return Buffer.concat(chunks).toString();
      }

      it('creates records, reads them back in input order, and skips unknown ids', async () => {
        const [a] = (await users('a')) as [string];
        const f1 = { ...fileRecord(n('f1'), a, 'one'), width: 4, height: 3, thumbHash: 'ab'.repeat(32) };
        const f2 = fileRecord(n('f2'), a, 'two', T0 + 1);
        await store.files.createFile(f1);
        await store.files.createFile(f2);
        expect(await store.files.getFiles([f2.id, n('none'), f1.id])).toEqual([f2, f1]);
        expect(await store.files.getFiles([])).toEqual([]);
      });

      it('attaches files to messages in order and grants users and groups (current members only)', async () => {
        const [a, b, c, d] = (await users('a', 'b', 'c', 'd')) as [string, string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [c], T0);
        const f1 = fileRecord(n('f1'), a, 'one');
        const f2 = fileRecord(n('f2'), a, 'two');
        await store.files.createFile(f1);
        await store.files.createFile(f2);
        const m = await store.messages.saveMessage(privateMessage(a, b, ''), { ids: [f2.id, f1.id] });
        // A group message grants the group it is stored under.
        const g = await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: '', ts: T0 }, { ids: [f1.id] });
        const found = await store.files.attachmentsOf([g.id, m.id, 999_999_999]);
        expect([...found.keys()].sort((x, y) => x - y)).toEqual([m.id, g.id].sort((x, y) => x - y));
        expect(found.get(m.id)).toEqual([f2, f1]);
        expect(found.get(g.id)).toEqual([f1]);
        expect(await store.files.canRead(f2.id, a)).toBe(true);
        expect(await store.files.canRead(f2.id, b)).toBe(true);
        expect(await store.files.canRead(f2.id, c)).toBe(false);
        expect(await store.files.canRead(f1.id, c)).toBe(true);
        expect(await store.files.canRead(f1.id, d)).toBe(false);
        expect(await store.files.canRead(n('none'), a)).toBe(false);
        await store.groups.removeGroupMembers(team, [c]);
        expect(await store.files.canRead(f1.id, c)).toBe(false);
        await store.groups.addGroupMembers(team, [d]);
        expect(await store.files.canRead(f1.id, d)).toBe(true);
        // The grant is the group's, not its name's: once it ends, a new group of that name reads nothing.
        await store.groups.removeGroupMembers(team, [a, d]);
        expect(await store.groups.createGroup(team, c, [d], T0 + 1)).toBe(true);
        expect(await store.files.canRead(f1.id, c)).toBe(false);
        expect(await store.files.canRead(f1.id, d)).toBe(false);
      });

      it('canRead follows the messages carrying a file now: every user for a broadcast, nobody but the uploader once deleted', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const f1 = fileRecord(n('f1'), a, 'one');
        const f2 = fileRecord(n('f2'), a, 'two');
        await store.files.createFile(f1);
        await store.files.createFile(f2);
        // Granted to the sender alone, as to whoever was online: a broadcast is everyone's to see.
        await store.messages.saveMessage({ kind: 'broadcast', from: a, text: '', ts: T0 }, { ids: [f1.id] });
        expect(await store.files.canRead(f1.id, c)).toBe(true);
        const m = await store.messages.saveMessage(privateMessage(a, b, ''), { ids: [f2.id] });
        expect(await store.files.canRead(f2.id, b)).toBe(true);
        expect(await store.messages.deleteMessage(m.id, T0 + 1)).not.toBeNull();
        expect(await store.files.canRead(f2.id, b)).toBe(false);
        expect(await store.files.canRead(f2.id, a)).toBe(true);
      });

      it('a message and its files are one write: a file that does not exist stores neither the message nor any reference or grant', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const f1 = fileRecord(n('f1'), a, 'one');
        await store.files.createFile(f1);
        const head = await store.messages.head();
        await expect(store.messages.saveMessage(privateMessage(a, b, 'lost'), { ids: [f1.id, n('none')] })).rejects.toThrow();
        expect(await store.messages.head()).toBe(head);
        expect(textsOf(await store.messages.history({ viewer: a, peer: b, limit: 10 }))).toEqual([]);
        expect(await store.files.canRead(f1.id, b)).toBe(false);
        expect((await store.files.unreferencedFiles(T0 + 1, 1000)).map((f) => f.id)).toContain(f1.id);
        // Saves queued beside the failing one still commit, each with its own files.
        const [ok1, bad, ok2] = await Promise.allSettled([
          store.messages.saveMessage(privateMessage(a, b, 'first'), { ids: [f1.id] }),
          store.messages.saveMessage(privateMessage(a, b, 'bad'), { ids: [n('gone')] }),
          store.messages.saveMessage(privateMessage(a, b, 'second')),
        ]);
        expect(bad.status).toBe('rejected');
        if (ok1.status !== 'fulfilled' || ok2.status !== 'fulfilled') throw new Error('the good saves failed');
        const found = await store.files.attachmentsOf([ok1.value.id, ok2.value.id]);
        expect(found.get(ok1.value.id)).toEqual([f1]);
        expect(found.has(ok2.value.id)).toBe(false);
        expect(textsOf(await store.messages.history({ viewer: a, peer: b, limit: 10 }))).toEqual(['second', 'first']);
        // Carried now: garbage collection keeps it.
        expect(await store.files.deleteUnreferenced([f1.id])).toEqual([]);
        expect(await store.files.canRead(f1.id, b)).toBe(true);
      });

      it('garbage collection racing saves never deletes a file a saved message carries', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        // Every upload is old enough to collect, so each race is decided by the order of the writes alone.
        const records = Array.from({ length: 24 }, (_, i) => fileRecord(n(`race${i}`), a, `race-${i}-${n('x')}`, T0));
        for (const f of records) await store.files.createFile(f);
        const saves: Promise<{ id: number; file: FileRecord } | null>[] = [];
        const collections: Promise<string[]>[] = [];
        records.forEach((file, i) => {
          const save = () =>
            store.messages.saveMessage(privateMessage(a, b, `race ${i}`), { ids: [file.id] }).then(
              (m) => ({ id: m.id, file }),
              () => null,
            );
          // A collection that loses to a committed reference fails or deletes nothing; either way it deleted nothing.
          const collect = () => store.files.deleteUnreferenced([file.id]).catch(() => []);
          if (i % 2 === 0) {
            saves.push(save());
            collections.push(collect());
          } else {
            collections.push(collect());
            saves.push(save());
          }
        });
        const saved = (await Promise.all(saves)).filter((s) => s !== null);
        const deleted = new Set((await Promise.all(collections)).flat());
        for (const { id, file } of saved) {
          expect(deleted.has(file.id), file.id).toBe(false);
          expect((await store.files.attachmentsOf([id])).get(id)).toEqual([file]);
        }
        // Each upload ended one way or the other: carried by its message, or deleted with no message stored.
        expect(saved.length + deleted.size).toBe(records.length);
        const texts = textsOf(await store.messages.history({ viewer: a, peer: b, limit: 100 }));
        expect(texts.length).toBe(saved.length);
      });

      it('usage counts carried uploads and unsent ones since pendingSince; createFile with a quota refuses what would pass it', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const old = fileRecord(n('old'), a, 'x'.repeat(100), T0);
        const sent = fileRecord(n('sent'), a, 'y'.repeat(30), T0);
        const fresh = fileRecord(n('fresh'), a, 'z'.repeat(50), T0 + HOUR);
        const theirs = fileRecord(n('theirs'), b, 'w'.repeat(70), T0 + HOUR);
        for (const f of [old, sent, fresh, theirs]) expect(await store.files.createFile(f)).toBe(true);
        await store.messages.saveMessage(privateMessage(a, b, ''), { ids: [sent.id] });
        expect(await store.files.usage(a, T0 + 1)).toBe(80);
        expect(await store.files.usage(a, T0)).toBe(180);
        expect(await store.files.usage(b, T0)).toBe(70);
        expect(await store.files.usage(n('nobody'), T0)).toBe(0);
        const quota = { bytes: 100, pendingSince: T0 + 1 };
        const fits = fileRecord(n('fits'), a, 'v'.repeat(20), T0 + HOUR);
        const over = fileRecord(n('over'), a, 'u'.repeat(1), T0 + HOUR);
        expect(await store.files.createFile(fits, quota)).toBe(true);
        expect(await store.files.createFile(over, quota)).toBe(false);
        expect(await store.files.getFiles([fits.id, over.id])).toEqual([fits]);
        // Concurrent uploads by one user never pass the quota together.
        const racers = Array.from({ length: 6 }, (_, i) => fileRecord(n(`race${i}`), b, `r${i}`.padEnd(10, '.'), T0 + HOUR));
        const results = await Promise.all(racers.map((f) => store.files.createFile(f, { bytes: 100, pendingSince: T0 + 1 })));
        expect(results.filter(Boolean)).toHaveLength(3);
        expect(await store.files.usage(b, T0 + 1)).toBe(100);
      });

      it('lists and deletes only old files no message carries; hashInUse follows the records', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const old = fileRecord(n('old'), a, `old-${n('x')}`, T0);
        const carried = fileRecord(n('carried'), a, `carried-${n('x')}`, T0);
        const fresh = fileRecord(n('fresh'), a, `fresh-${n('x')}`, T0 + HOUR);
        for (const f of [old, carried, fresh]) await store.files.createFile(f);
        await store.messages.saveMessage(privateMessage(a, b, ''), { ids: [carried.id] });
        const stale = (await store.files.unreferencedFiles(T0 + 1, 1000)).map((f) => f.id);
        expect(stale).toContain(old.id);
        expect(stale).not.toContain(carried.id);
        expect(stale).not.toContain(fresh.id);
        expect(await store.files.hashInUse(old.hash)).toBe(true);
        expect(await store.files.deleteUnreferenced([old.id, carried.id])).toEqual([old.id]);
        expect(await store.files.getFiles([old.id, carried.id])).toEqual([carried]);
        expect(await store.files.hashInUse(old.hash)).toBe(false);
        expect(await store.files.hashInUse(carried.hash)).toBe(true);
      });

      it('setAvatarHash records the avatar picture, read back with the file; hashInUse counts it until the record goes', async () => {
        const [a] = (await users('a')) as [string];
        const pic = { ...fileRecord(n('pic'), a, `pic-${n('x')}`, T0), thumbHash: createHash('sha256').update(n('thumb')).digest('hex') };
        await store.files.createFile(pic);
        const avatarHash = createHash('sha256').update(n('avatar')).digest('hex');
        expect(await store.files.hashInUse(avatarHash)).toBe(false);
        expect(await store.files.setAvatarHash(pic.id, avatarHash)).toBe(true);
        expect(await store.files.getFiles([pic.id])).toEqual([{ ...pic, avatarHash }]);
        expect(await store.files.hashInUse(avatarHash)).toBe(true);
        expect(await store.files.setAvatarHash(n('missing'), avatarHash)).toBe(false);
        expect(await store.files.deleteUnreferenced([pic.id])).toEqual([pic.id]);
        expect(await store.files.hashInUse(avatarHash)).toBe(false);
      });

      it("a file that is someone's avatar is readable by every user and never unreferenced; once dropped, it is", async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const pic = fileRecord(n('pic'), a, `pic-${n('x')}`, T0);
        await store.files.createFile(pic);
        expect(await store.files.canRead(pic.id, c)).toBe(false);
        await store.accounts.setProfile(a, { avatar: pic.id });
        expect(await store.files.canRead(pic.id, b)).toBe(true);
        expect(await store.files.canRead(pic.id, c)).toBe(true);
        expect((await store.files.unreferencedFiles(T0 + 1, 100_000)).map((f) => f.id)).not.toContain(pic.id);
        expect(await store.files.deleteUnreferenced([pic.id])).toEqual([]);
        await store.accounts.setProfile(a, { avatar: null });
        expect(await store.files.canRead(pic.id, c)).toBe(false);
        expect((await store.files.unreferencedFiles(T0 + 1, 100_000)).map((f) => f.id)).toContain(pic.id);
        expect(await store.files.deleteUnreferenced([pic.id])).toEqual([pic.id]);
      });

      it('keeps the first link key it is given', async () => {
        const first = await store.files.linkKey(n('key1'));
        expect(await store.files.linkKey(n('key2'))).toBe(first);
      });

      it('stores blobs once by hash and reads byte ranges', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'blob-src-'));
        try {
          const content = `0123456789-${n('blob')}`;
          const hash = createHash('sha256').update(content).digest('hex');
          const source = join(dir, 'src');
          await writeFile(source, content);
          expect(await store.blobs.has(hash)).toBe(false);
          await store.blobs.put(hash, source);
          await store.blobs.put(hash, source);
          expect(await store.blobs.has(hash)).toBe(true);
          expect((await store.blobs.list()).filter((h) => h === hash)).toEqual([hash]);
          expect(await readAll(store.blobs.read(hash, 0, content.length - 1))).toBe(content);
          expect(await readAll(store.blobs.read(hash, 3, 6))).toBe('3456');
          await store.blobs.delete(hash);
          expect(await store.blobs.has(hash)).toBe(false);
          await store.blobs.delete(hash);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    });

    describe('properties', () => {
      it('any interleaving of saves: each mailbox holds exactly its messages in call order; mailbox(after k) is a suffix', async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.record({ to: fc.nat({ max: 3 }), settle: fc.boolean() }), { minLength: 1, maxLength: 25 }),
            fc.nat({ max: 30 }),
            async (ops, k) => {
              run++;
              const who = Array.from({ length: 4 }, (_, i) => n(`p${run}u${i}`));
              const sender = n(`p${run}s`);
              for (const u of [sender, ...who]) await store.accounts.createUser(u, 'h', T0);
              const start = await store.messages.head();
              const expected = new Map<string, string[]>(who.map((u) => [u, []]));
              const inFlight: Promise<unknown>[] = [];
              for (const [i, op] of ops.entries()) {
                const to = who[op.to]!;
                expected.get(to)!.push(`op${i}`);
                inFlight.push(store.messages.saveMessage(privateMessage(sender, to, `op${i}`, T0 + i)));
                if (op.settle) await Promise.all(inFlight.splice(0));
              }
              await Promise.all(inFlight);
              for (const u of who) {
                const all = await mailboxOf(u, start);
                expect(textsOf(all.map((d) => d.message))).toEqual(expected.get(u));
                const ids = all.map((d) => d.seq);
                expect([...ids].sort((x, y) => x - y)).toEqual(ids);
                const cut = start + k;
                expect(await mailboxOf(u, cut)).toEqual(all.filter((d) => d.seq > cut));
              }
            },
          ),
          { numRuns: 25 },
        );
      });
    });

    // ------------------------------------------------------------ restart

    describe('admin', () => {
      it('ping resolves on an open store', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('audit: appends, reads newest first with filters, prunes by age', async () => {
        const [a, b] = [n('a'), n('b')];
        await store.admin.appendAudit({ at: T0, action: 'sign-in-failed', actor: null, username: a, address: '10.0.0.1:5000', detail: 'tcp' });
        await store.admin.appendAudit({ at: T0 + 1, action: 'lockout', actor: null, username: a, address: '10.0.0.1:5000', detail: null });
        await store.admin.appendAudit({ at: T0 + 2, action: 'sign-in', actor: b, username: b, address: null, detail: null });
        const mine = await store.admin.readAudit({ limit: 10, username: a });
        expect(mine.map((e) => e.action)).toEqual(['lockout', 'sign-in-failed']);
        expect(mine[1]).toMatchObject({ at: T0, actor: null, username: a, address: '10.0.0.1:5000', detail: 'tcp' });
        expect(mine[0]!.id).toBeGreaterThan(mine[1]!.id);
        expect((await store.admin.readAudit({ limit: 10, username: a, action: 'lockout' })).map((e) => e.at)).toEqual([T0 + 1]);
        expect((await store.admin.readAudit({ limit: 10, username: a, before: mine[0]!.id })).map((e) => e.action)).toEqual(['sign-in-failed']);
        expect((await store.admin.readAudit({ limit: 10, username: a, since: T0 + 1 })).map((e) => e.action)).toEqual(['lockout']);
        expect(await store.admin.readAudit({ limit: 1, username: a })).toHaveLength(1);
        expect(await store.admin.pruneAudit(T0 + 1)).toBeGreaterThanOrEqual(1);
        expect((await store.admin.readAudit({ limit: 10, username: a })).map((e) => e.action)).toEqual(['lockout']);
        // A name is matched by its canonical form: a failed sign-in typed in another case is part of the account's trail.
        await store.admin.appendAudit({ at: T0 + 3, action: 'sign-in-failed', actor: null, username: a.toUpperCase(), address: null, detail: null });
        const anyCase = await store.admin.readAudit({ limit: 10, username: a.toUpperCase() });
        expect(anyCase.map((e) => [e.action, e.username])).toEqual([
          ['sign-in-failed', a.toUpperCase()],
          ['lockout', a],
        ]);
      });

      it('listUsers and setLock', async () => {
        const [a, b] = await users('a', 'b');
        expect(await store.admin.setLock(b as string, T0 + HOUR)).toBe(true);
        expect(await store.admin.setLock(n('nobody'), T0)).toBe(false);
        const listed = (await store.admin.listUsers()).filter((u) => u.username === a || u.username === b);
        expect(listed).toEqual([
          { username: a, createdAt: T0, lastLoginAt: null, lockedUntil: null },
          { username: b, createdAt: T0, lastLoginAt: null, lockedUntil: T0 + HOUR },
        ]);
        expect(await store.accounts.getLockState(b as string, T0)).toEqual({ failures: 0, lockedUntil: T0 + HOUR });
        await store.accounts.clearFailedLogins(b as string);
        expect(await store.accounts.getLockState(b as string, T0)).toEqual({ failures: 0, lockedUntil: null });
      });

      it('deleteUser removes the account and what hangs on it, keeps sent messages, frees the name', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const team = n('team');
        await store.groups.createGroup(team, a, [b, c], T0);
        // Sent before the blocks: a message sent while b blocked a would stay hidden from b's history.
        await store.messages.saveMessage(privateMessage(a, b, 'from a'));
        await store.messages.saveMessage(privateMessage(b, a, 'to a'));
        await store.blocks.block(b, a);
        await store.blocks.block(a, c);
        await store.accounts.createToken(a, n('tok'), T0 + HOUR, T0);
        expect(await store.admin.deleteUser(a)).toBe(true);
        expect(await store.admin.deleteUser(a)).toBe(false);
        expect(await store.accounts.getUser(a)).toBeNull();
        expect(await store.accounts.findToken(n('tok'), T0)).toBeNull();
        expect(await store.blocks.blockedBy(b)).toEqual([]);
        expect(await store.blocks.blockersOf(c)).toEqual([]);
        expect(noId(await store.groups.getGroup(team))).toEqual({ name: team, owner: b, members: [b, c], createdAt: T0 });
        expect(textsOf(await store.messages.history({ viewer: b, peer: a, limit: 10 }))).toEqual(['to a', 'from a']);
        expect(await store.messages.lastAcked(a)).toBe(0);
        expect(await store.accounts.createUser(a, 'new', T0 + 1)).toBe(true);
        // The new holder of the name inherits no mailbox, no group and no block.
        const from = await store.messages.lastAcked(a);
        expect(await store.messages.mailbox({ username: a, after: from, limit: 10 })).toEqual([]);
        expect(await store.groups.groupsOf(a)).toEqual([]);
        expect(await store.blocks.blockersOf(a)).toEqual([]);
        const fresh = await store.messages.saveMessage(privateMessage(b, a, 'hello new a'));
        expect((await store.messages.mailbox({ username: a, after: from, limit: 10 })).map((d) => d.message)).toEqual([fresh]);
      });

      it('renameUser moves the account, groups, blocks, tokens and messages; refuses taken names', async () => {
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const team = n('team');
        const renamed = n('renamed');
        await store.groups.createGroup(team, a, [b], T0);
        await store.blocks.block(c, a);
        await store.accounts.createToken(a, n('tok'), T0 + HOUR, T0);
        await store.messages.saveMessage(privateMessage(a, b, 'from a'));
        const toA = await store.messages.saveMessage(privateMessage(b, a, 'to a'));
        expect(await store.admin.renameUser(a, b)).toBe('taken');
        expect(await store.admin.renameUser(a, team)).toBe('taken');
        expect(await store.admin.renameUser(n('nobody'), n('other'))).toBe('unknown');
        expect(await store.admin.renameUser(a, renamed)).toBe('ok');
        expect(await store.accounts.getUser(a)).toBeNull();
        expect(await store.accounts.getUser(renamed)).toEqual({ username: renamed, passwordHash: `hash-of-${a}`, createdAt: T0, lastLoginAt: null });
        expect(await store.accounts.findToken(n('tok'), T0)).toBe(renamed);
        expect(await store.blocks.isBlocked(c, renamed)).toBe(true);
        expect(noId(await store.groups.getGroup(team))).toEqual({ name: team, owner: renamed, members: [renamed, b], createdAt: T0 });
        const history = await store.messages.history({ viewer: b, peer: renamed, limit: 10 });
        expect(history.map((m) => [m.from, m.to, m.text])).toEqual([
          [b, renamed, 'to a'],
          [renamed, b, 'from a'],
        ]);
        // The mailbox, acknowledged position, memberships and blocks moved with the account.
        expect((await store.messages.mailbox({ username: renamed, after: 0, limit: 10 })).map((d) => [d.message.from, d.message.to])).toEqual([[b, renamed]]);
        await store.messages.ack(renamed, toA.id);
        expect(await store.messages.lastAcked(renamed)).toBe(toA.id);
        const inTeam = await store.messages.saveMessage({ kind: 'group', from: b, group: team, text: 'team', ts: T0 });
        const fromA = await store.messages.saveMessage(privateMessage(renamed, c, 'blocked'));
        expect((await store.messages.mailbox({ username: renamed, after: toA.id, limit: 10 })).map((d) => d.message.id)).toEqual([inTeam.id]);
        expect(await store.messages.mailbox({ username: c, after: fromA.id - 1, limit: 10 })).toEqual([]);
        expect(await store.accounts.createUser(a, 'new', T0 + 1)).toBe(true);
      });

      it('listGroups and deleteGroup', async () => {
        const [a, b] = (await users('a', 'b')) as [string, string];
        const [g1, g2] = [n('g1'), n('g2')];
        await store.groups.createGroup(g2, a, [b], T0);
        await store.groups.createGroup(g1, b, [], T0);
        const mine = noId((await store.admin.listGroups()).filter((g) => g.name === g1 || g.name === g2));
        expect(mine).toEqual([
          { name: g1, owner: b, members: [b], createdAt: T0 },
          { name: g2, owner: a, members: [a, b], createdAt: T0 },
        ]);
        expect(noId(await store.admin.deleteGroup(g2))).toEqual({ name: g2, owner: a, members: [a, b], createdAt: T0 });
        expect(await store.admin.deleteGroup(g2)).toBeNull();
        expect(await store.groups.getGroup(g2)).toBeNull();
        expect((await store.groups.groupsOf(a)).map((g) => g.name)).toEqual([]);
        expect(await store.groups.createGroup(g2, a, [], T0)).toBe(true);
      });

      it('live sessions: replaced per node, stale reports drop out', async () => {
        const [node1, node2] = [n('node1'), n('node2')];
        const [a, b] = [n('a'), n('b')];
        await store.admin.putNodeSessions(node1, [{ username: a, transport: 'tcp', address: '127.0.0.1:1', since: T0 }], T0);
        await store.admin.putNodeSessions(node2, [{ username: b, transport: 'ws', address: '127.0.0.1:2', since: T0 }], T0 + 10);
        const mine = async (since: number) => (await store.admin.liveSessions(since)).filter((s) => s.node === node1 || s.node === node2);
        expect(await mine(T0)).toEqual([
          { node: node1, username: a, transport: 'tcp', address: '127.0.0.1:1', since: T0, seenAt: T0 },
          { node: node2, username: b, transport: 'ws', address: '127.0.0.1:2', since: T0, seenAt: T0 + 10 },
        ]);
        expect((await mine(T0 + 5)).map((s) => s.username)).toEqual([b]);
        await store.admin.putNodeSessions(node2, [], T0 + 20);
        expect(await mine(T0)).toEqual([{ node: node1, username: a, transport: 'tcp', address: '127.0.0.1:1', since: T0, seenAt: T0 }]);
      });

      it('signals: ids increase, read after an id, pruned by age', async () => {
        const start = await store.admin.lastSignalId();
        const id1 = await store.admin.postSignal('end-session', n('a'), 'locked', T0);
        const id2 = await store.admin.postSignal('group-deleted', n('g'), `${n('a')},${n('b')}`, T0 + 5);
        expect(id2).toBeGreaterThan(id1);
        expect(id1).toBeGreaterThan(start);
        expect(await store.admin.lastSignalId()).toBe(id2);
        const after = await store.admin.signalsAfter(start);
        expect(after).toEqual([
          { id: id1, kind: 'end-session', subject: n('a'), detail: 'locked', at: T0 },
          { id: id2, kind: 'group-deleted', subject: n('g'), detail: `${n('a')},${n('b')}`, at: T0 + 5 },
        ]);
        expect((await store.admin.signalsAfter(id1)).map((s) => s.id)).toEqual([id2]);
        await store.admin.pruneSignals(T0 + 1);
        expect((await store.admin.signalsAfter(start)).map((s) => s.id)).toEqual([id2]);
      });
    });

    describe('restart', () => {
      it('everything survives close and reopen, and seqs and ids continue without reuse (skipped when open() gives no reopen)', async (ctx) => {
        if (!opened.reopen) {
          const reason = `skipped: ${name} keeps nothing across close (open() gives no reopen), so there is no restart to check`;
          console.info(reason);
          ctx.skip(reason);
          return;
        }
        const [a, b, c] = (await users('a', 'b', 'c')) as [string, string, string];
        const team = n('team');
        const tokenHash = n('token');
        await store.accounts.setPasswordHash(a, 'changed', T0 + 5);
        await store.accounts.recordLogin(a, T0 + 100);
        await store.accounts.finishLoginAttempt(c, T0, false, { maxAttempts: 3, lockMs: 60_000, maxPerHour: 5 });
        await store.accounts.createToken(a, tokenHash, T0 + HOUR, T0);
        await store.blocks.block(b, c);
        await store.groups.createGroup(team, a, [b, c], T0);
        await store.groups.removeGroupMembers(team, [b]);
        const m1 = await store.messages.saveMessage(privateMessage(a, b, 'before restart', T0 + 1));
        const m2 = await store.messages.saveMessage({ kind: 'group', from: a, group: team, text: 'group before', ts: T0 + 2 });
        await store.messages.saveMessage(privateMessage(c, b, 'second for b', T0 + 3));
        // Unawaited writes right before close must still be committed by close().
        const last = store.messages.saveMessage(privateMessage(a, b, 'just before close', T0 + 4));
        const ack = store.messages.ack(b, m1.id);
        await Promise.all([last, ack]);

        await restart();

        expect(await store.accounts.getUser(a)).toEqual({ username: a, passwordHash: 'changed', createdAt: T0, lastLoginAt: T0 + 100 });
        expect(await store.accounts.getLockState(c, T0 + 1)).toEqual({ failures: 1, lockedUntil: null });
        expect(await store.accounts.findToken(tokenHash, T0)).toBe(a);
        expect(await store.blocks.isBlocked(b, c)).toBe(true);
        expect(noId(await store.groups.getGroup(team))).toEqual({ name: team, owner: a, members: [a, c], createdAt: T0 });
        // b blocks c: c's message is left out when b reads.
        expect(textsOf((await mailboxOf(b)).map((d) => d.message))).toEqual(['before restart', 'just before close']);
        expect(await store.messages.lastAcked(b)).toBe(m1.id);
        expect(textsOf(await store.messages.history({ viewer: b, peer: a, limit: 10 }))).toEqual(['just before close', 'before restart']);
        expect(await store.messages.history({ viewer: c, group: team, limit: 10 })).toEqual([m2]);

        const after = await store.messages.saveMessage(privateMessage(a, b, 'after restart', T0 + 5));
        expect(after.id).toBeGreaterThan((await last).id);
      });
    });
  });
}
