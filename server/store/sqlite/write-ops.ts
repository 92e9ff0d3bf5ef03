// Every write of the SQLite store as a plain function of the prepared statements.
// The writer thread runs them by name, each inside its own savepoint of a group
// commit, so none of them opens a transaction of its own.
import { canonicalName } from '../../protocol/canonical-name';
import { beginAttempt, currentLock, finishAttempt, nextLockAfterFailure } from '../rules';
import type { AttemptReservation, GroupRecord, LockState, LockoutPolicy, LoginGuard, NewMessage } from '../store';
import type { AdminWriteOps } from './admin';
import { fileWriteOps } from './file-ops';
import { guardOf, lockOf, toGroupRecord } from './rows';
import type { Statements } from './statements';

/** What saveMessage returns across the thread boundary: numbers only; the main thread builds the records. */
export interface SavedMessage {
  /** messages.id of the new row. */
  id: number;
  /** Sequence number of each recipient's delivery, in recipient order. */
  seqs: Float64Array;
}

/**
 * The write operations, keyed by the name the main thread sends. Arguments and
 * results must survive structured cloning (no functions, no class instances).
 * Each takes the arguments of the store method of the same name, so the store
 * binds them directly (saveMessage alone is reshaped for the thread boundary).
 */
export function writeOps(s: Statements) {
  const putGuard = (username: string, g: LoginGuard) => s.putGuard.run(username, g.failures, g.lockedUntil, g.hourStart, g.hourFailures, g.leaseUntil);
  return {
    ...fileWriteOps(s),

    createUser(username: string, passwordHash: string, now: number): boolean {
      const key = canonicalName(username);
      if (s.nameTaken.get(key, username)) return false;
      s.insertUser.run(username, key, passwordHash, now);
      s.insertCounters.run(username);
      return true;
    },

    setPasswordHash(username: string, passwordHash: string, now: number): boolean {
      return s.setPasswordHash.run(passwordHash, now, canonicalName(username)).changes > 0;
    },

    recordLogin(username: string, now: number): void {
      s.recordLogin.run(now, canonicalName(username));
    },

    recordFailedLogin(username: string, now: number, maxAttempts: number, lockMs: number): LockState {
      const next = nextLockAfterFailure(currentLock(lockOf(s.getLock.get(username)), now), now, maxAttempts, lockMs);
      s.putLock.run(username, next.failures, next.lockedUntil);
      return next;
    },

    clearFailedLogins(username: string): void {
      s.clearLock.run(username);
    },

    beginLoginAttempt(username: string, now: number, leaseMs: number): AttemptReservation {
      const { next, outcome } = beginAttempt(guardOf(s.getGuard.get(username)), now, leaseMs);
      if (outcome.granted) putGuard(username, next);
      return outcome;
    },

    finishLoginAttempt(username: string, now: number, ok: boolean, policy: LockoutPolicy): LockState {
      const { next, lock } = finishAttempt(guardOf(s.getGuard.get(username)), now, ok, policy);
      putGuard(username, next);
      return lock;
    },

    createToken(username: string, tokenHash: string, expiresAt: number, now: number): void {
      // Housekeeping: a user's dead tokens go when they get a new one.
      s.purgeExpiredTokensOf.run(username, now);
      s.insertToken.run(tokenHash, username, expiresAt);
    },

    revokeToken(tokenHash: string): void {
      s.revokeToken.run(tokenHash);
    },

    revokeTokensOf(username: string): void {
      s.revokeTokensOf.run(username);
    },

    block(blocker: string, blocked: string): boolean {
      return s.block.run(blocker, blocked).changes > 0;
    },

    unblock(blocker: string, blocked: string): boolean {
      return s.unblock.run(blocker, blocked).changes > 0;
    },

    createGroup(name: string, owner: string, members: readonly string[], now: number): boolean {
      if (s.nameTaken.get(canonicalName(name), name)) return false;
      s.insertGroup.run(name, owner, now);
      let position = 1;
      for (const member of [owner, ...members]) {
        if (s.addMember.run(name, member, now, position).changes > 0) position++;
      }
      return true;
    },

    addGroupMembers(name: string, members: readonly string[]): GroupRecord | null {
      const row = s.getGroup.get(name);
      if (!row) return null;
      // joined_at is informational only; the store interface takes no clock here.
      const now = Date.now();
      let position = s.nextPosition.get(name)?.next ?? 1;
      for (const member of members) {
        if (s.addMember.run(name, member, now, position).changes > 0) position++;
      }
      return toGroupRecord(s, row);
    },

    removeGroupMembers(name: string, members: readonly string[]): GroupRecord | null {
      const row = s.getGroup.get(name);
      if (!row) return null;
      for (const member of members) s.removeMember.run(name, member);
      const group = toGroupRecord(s, row);
      const [successor] = group.members;
      if (successor === undefined) {
        s.deleteGroup.run(name);
        return null;
      }
      // The owner left: the earliest-joined remaining member takes over.
      if (!group.members.includes(group.owner)) {
        s.setOwner.run(successor, name);
        group.owner = successor;
      }
      return group;
    },

    /**
     * Inserts the message, bumps every recipient's counter and inserts one delivery each.
     * `names` are distinct (the caller checks); `offline[i]` is 1 when names[i] was offline.
     * Throws, so the job's savepoint undoes all of it, when a recipient is not a user.
     */
    saveMessage(message: NewMessage, names: string[], offline: Uint8Array): SavedMessage {
      const inserted = s.insertMessage.get(message.kind, message.from, message.to ?? null, message.group ?? null, message.text, message.ts);
      if (!inserted) throw new Error('saveMessage: INSERT returned no id');
      const seqs = new Float64Array(names.length);
      if (names.length === 0) return { id: inserted.id, seqs };
      const seqOf = new Map<string, number>();
      for (const row of s.bumpSeqs.all(JSON.stringify(names))) seqOf.set(row.username, row.seq);
      const triples: [string, number, number][] = [];
      names.forEach((name, i) => {
        const seq = seqOf.get(name);
        if (seq === undefined) throw new Error(`saveMessage: recipient "${name}" is not a user`);
        seqs[i] = seq;
        triples.push([name, seq, offline[i] === 1 ? 1 : 0]);
      });
      s.insertDeliveries.run(inserted.id, JSON.stringify(triples));
      return { id: inserted.id, seqs };
    },

    ack(username: string, seq: number): void {
      s.ack.run(seq, username);
    },
  };
}

/** The operation table of the writer thread: the roles' writes here, plus AdminStore's (admin.ts). */
export type WriteOps = ReturnType<typeof writeOps> & AdminWriteOps;
export type WriteOp = keyof WriteOps;
