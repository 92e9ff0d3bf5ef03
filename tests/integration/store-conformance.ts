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
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../server/protocol';
import type { GroupRecord, HistoryQuery, NewMessage, Store } from '../../server/store/store';

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

      it('names are case-sensitive', async () => {
        const lower = n('carol');
        const upper = n('Carol');
        expect(await store.accounts.createUser(lower, 'h-lower', T0)).toBe(true);
        expect(await store.accounts.createUser(upper, 'h-upper', T0)).toBe(true);
        expect((await store.accounts.getUser(lower))?.passwordHash).toBe('h-lower');
        expect((await store.accounts.getUser(upper))?.passwordHash).toBe('h-upper');
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

      it('setPasswordHash replaces the hash, and resolves false for an unknown user', async () => {
        const [a] = await users('a');
        expect(await store.accounts.setPasswordHash(a as string, 'new-hash')).toBe(true);
        expect((await store.accounts.getUser(a as string))?.passwordHash).toBe('new-hash');
        expect(await store.accounts.setPasswordHash(n('ghost'), 'x')).toBe(false);
        expect(await store.accounts.getUser(n('ghost'))).toBeNull();
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

    describe('lockout', () => {
      const MAX = 3;
      const LOCK_MS = 60_000;

      it('starts unlocked, for any name (it need not be a user)', async () => {
        expect(await store.accounts.getLockState(n('anyone'), T0)).toEqual({ failures: 0, lockedUntil: null });
      });

      it('counts failures, locks at maxAttempts with the counter restarted, and unlocks when the lock expires', async () => {
        const who = n('victim');
        expect(await store.accounts.recordFailedLogin(who, T0, MAX, LOCK_MS)).toEqual({ failures: 1, lockedUntil: null });
        expect(await store.accounts.recordFailedLogin(who, T0 + 1, MAX, LOCK_MS)).toEqual({ failures: 2, lockedUntil: null });
        expect(await store.accounts.getLockState(who, T0 + 2)).toEqual({ failures: 2, lockedUntil: null });

        const locked = await store.accounts.recordFailedLogin(who, T0 + 10, MAX, LOCK_MS);
        expect(locked).toEqual({ failures: 0, lockedUntil: T0 + 10 + LOCK_MS });
        expect(await store.accounts.getLockState(who, T0 + 11)).toEqual({ failures: 0, lockedUntil: T0 + 10 + LOCK_MS });
        expect(await store.accounts.getLockState(who, T0 + 10 + LOCK_MS - 1)).toEqual({ failures: 0, lockedUntil: T0 + 10 + LOCK_MS });

        // now >= lockedUntil: the lock is over and the count starts again.
        const after = T0 + 10 + LOCK_MS;
        expect(await store.accounts.getLockState(who, after)).toEqual({ failures: 0, lockedUntil: null });
        expect(await store.accounts.recordFailedLogin(who, after, MAX, LOCK_MS)).toEqual({ failures: 1, lockedUntil: null });
        expect(await store.accounts.recordFailedLogin(who, after + 1, MAX, LOCK_MS)).toEqual({ failures: 2, lockedUntil: null });
        expect(await store.accounts.recordFailedLogin(who, after + 2, MAX, LOCK_MS)).toEqual({ failures: 0, lockedUntil: after + 2 + LOCK_MS });
      });

      it('clearFailedLogins resets the counter; counters are per name and case-sensitive', async () => {
        const who = n('who');
        const other = n('Who');
        await store.accounts.recordFailedLogin(who, T0, MAX, LOCK_MS);
        await store.accounts.recordFailedLogin(who, T0, MAX, LOCK_MS);
        await store.accounts.recordFailedLogin(other, T0, MAX, LOCK_MS);
        await store.accounts.clearFailedLogins(who);
        expect(await store.accounts.getLockState(who, T0)).toEqual({ failures: 0, lockedUntil: null });
        expect(await store.accounts.getLockState(other, T0)).toEqual({ failures: 1, lockedUntil: null });
        expect(await store.accounts.recordFailedLogin(who, T0, MAX, LOCK_MS)).toEqual({ failures: 1, lockedUntil: null });
      });

      it('recordFailedLogin is atomic: concurrent failures are all counted', async () => {
        const who = n('racer');
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.accounts.recordFailedLogin(who, T0 + i, 10, LOCK_MS)));
        expect(results.map((r) => r.failures).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(await store.accounts.getLockState(who, T0 + 10)).toEqual({ failures: 6, lockedUntil: null });
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
        const box = await mailboxOf(b, again.acked, again.away);
        expect(box.filter((d) => d.message.from === a).map((d) => [d.message.text, d.offline])).toEqual([['away', true]]);
        // A session that never signed out (its node died): no away window, nothing dropped.
        const third = await store.messages.signIn(b);
        expect(third.away.from).toBe(third.away.to);
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

    // ------------------------------------------------------------ properties

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
        await store.accounts.setPasswordHash(a, 'changed');
        await store.accounts.recordLogin(a, T0 + 100);
        await store.accounts.recordFailedLogin(c, T0, 3, 60_000);
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
