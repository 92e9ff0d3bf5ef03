// Every write of the SQLite store as a plain function of the prepared statements.
// The writer thread runs them by name, each inside its own savepoint of a group
// commit, so none of them opens a transaction of its own.
import { canonicalName } from '../../protocol/canonical-name';
import { awayAtSignIn, beginAttempt, finishAttempt } from '../rules';
import type {
  AttemptReservation,
  GroupRecord,
  AttemptResult,
  LockoutPolicy,
  LoginGuard,
  MessageFiles,
  NewMessage,
  ProfileChange,
  ProfileRecord,
  SignInPositions,
  TokenRotation,
} from '../store';
import type { AdminWriteOps } from './admin';
import { attachFiles, fileWriteOps } from './file-ops';
import { KnownPairs } from './known-pairs';
import { guardOf, toGroupRecord, toProfile } from './rows';
import type { Statements } from './statements';

/**
 * The write operations, keyed by the name the main thread sends. Arguments and
 * results must survive structured cloning (no functions, no class instances).
 * Each takes the arguments of the store method of the same name, so the store
 * binds them directly (saveMessage alone is reshaped for the thread boundary).
 */
export function writeOps(s: Statements, known: KnownPairs = new KnownPairs()) {
  /** `clientKey`: the sender's idempotency key, written with the row (saveMessageOnce checked it is free), or null. */
  const savePrivate = (
    from: string,
    to: string | undefined,
    text: string,
    ts: number,
    replyTo: number | null,
    files: MessageFiles | undefined,
    clientKey: string | null,
  ): number => {
    const recipient = to ?? '';
    const inserted = s.insertPrivateMessage.run(from, text, ts, replyTo, clientKey, recipient);
    if (inserted.changes === 0) throw new Error(`saveMessage: recipient "${String(to)}" is not a user`);
    const id = Number(inserted.lastInsertRowid);
    // The pair's rows, written by its first message (schema version 17): skipped once known.
    if (!known.has(from, recipient)) {
      s.addPeers.run(from, recipient, recipient, from);
      s.addPrivateSender.run(recipient, from);
      known.wrote(from, recipient);
    }
    if (files) attachFiles(s, id, files.ids);
    return id;
  };
  const saveMessage = (message: NewMessage, files?: MessageFiles, clientKey: string | null = null): number => {
    if (message.kind === 'private') return savePrivate(message.from, message.to, message.text, message.ts, message.replyTo?.id ?? null, files, clientKey);
    let groupId: number | null = null;
    if (message.kind === 'group') {
      groupId = s.groupIdOf.get(message.group ?? '')?.id ?? null;
      if (groupId === null) throw new Error(`saveMessage: no group "${String(message.group)}"`);
    }
    const inserted = s.insertMessage.get(
      message.kind,
      message.from,
      message.to ?? null,
      message.group ?? null,
      groupId,
      message.text,
      message.ts,
      message.replyTo?.id ?? null,
      clientKey,
    );
    if (!inserted) throw new Error('saveMessage: INSERT returned no id');
    if (files) attachFiles(s, inserted.id, files.ids);
    return inserted.id;
  };
  /** The sender's message holding `clientKey` (committed, or written earlier in this batch), as a repeat; null when the key is free. */
  const repeatOf = (from: string, clientKey: string): { id: number; repeat: true } | null => {
    const earlier = s.idByClientKey.get(from, clientKey);
    return earlier ? { id: earlier.id, repeat: true } : null;
  };
  const putGuard = (username: string, g: LoginGuard) => s.putGuard.run(username, g.failures, g.lockedUntil, g.hourStart, g.hourFailures, g.leaseUntil);
  return {
    ...fileWriteOps(s),

    createUser(username: string, passwordHash: string, now: number): boolean {
      const key = canonicalName(username);
      if (s.nameTaken.get(key, username)) return false;
      s.insertUser.run(username, key, passwordHash, now);
      s.insertPositions.run(username);
      s.setFloor.run(username);
      return true;
    },

    setPasswordHash(username: string, passwordHash: string, now: number): boolean {
      return s.setPasswordHash.run(passwordHash, now, canonicalName(username)).changes > 0;
    },

    /** Throws (the savepoint undoes it) when the avatar names no file. */
    setProfile(username: string, change: ProfileChange): ProfileRecord | null {
      const key = canonicalName(username);
      if (!s.registeredName.get(key)) return null;
      if (change.avatar !== undefined && change.avatar !== null && !s.fileExists.get(change.avatar)) {
        throw new Error(`setProfile: no file ${change.avatar}`);
      }
      if (change.displayName !== undefined) s.setDisplayName.run(change.displayName, key);
      if (change.avatar !== undefined) s.setAvatar.run(change.avatar, key);
      return toProfile(s.getProfile.get(key)!);
    },

    recordLogin(username: string, now: number): void {
      s.recordLogin.run(now, canonicalName(username));
    },

    clearFailedLogins(username: string): void {
      s.clearLock.run(username);
    },

    beginLoginAttempt(username: string, now: number, leaseMs: number): AttemptReservation {
      const { next, outcome } = beginAttempt(guardOf(s.getGuard.get(username)), now, leaseMs);
      if (outcome.granted) putGuard(username, next);
      return outcome;
    },

    releaseLoginAttempt(username: string): void {
      s.releaseLease.run(username);
    },

    finishLoginAttempt(username: string, now: number, ok: boolean, policy: LockoutPolicy): AttemptResult {
      const { next, lock } = finishAttempt(guardOf(s.getGuard.get(username)), now, ok, policy);
      putGuard(username, next);
      return lock;
    },

    createToken(username: string, tokenHash: string, expiresAt: number, now: number, family?: string): void {
      // Housekeeping: a user's dead tokens go when they get a new one.
      s.purgeExpiredTokensOf.run(username, now);
      s.insertToken.run(tokenHash, username, expiresAt, now, family ?? tokenHash);
    },

    /** One savepoint of the writer: nothing else reads or writes between the check and the change. */
    rotateToken(oldHash: string, newHash: string, now: number, graceUntil: number, expiresAt: number): TokenRotation {
      const old = s.getToken.get(oldHash, now);
      if (!old) return { status: 'invalid' };
      const { username, family } = old;
      if (old.grace_until !== null && old.grace_until <= now) {
        s.deleteTokenFamily.run(family);
        return { status: 'reused', username, family };
      }
      s.markTokenRotated.run(now, graceUntil, oldHash);
      s.purgeExpiredTokensOf.run(username, now);
      s.insertToken.run(newHash, username, expiresAt, now, family);
      return { status: 'rotated', username, family };
    },

    revokeToken(tokenHash: string): void {
      s.revokeToken.run(tokenHash);
    },

    revokeTokenFamily(tokenHash: string): number {
      const token = s.getToken.get(tokenHash, Number.MIN_SAFE_INTEGER);
      return token ? s.deleteTokenFamily.run(token.family).changes : 0;
    },

    revokeTokensOf(username: string): void {
      s.revokeTokensOf.run(username);
    },

    /** Also opens a block span: what the blocked user sends from now on stays hidden from the blocker, even after an unblock. */
    block(blocker: string, blocked: string): boolean {
      if (s.block.run(blocker, blocked).changes === 0) return false;
      s.openBlockSpan.run(blocker, blocked);
      return true;
    },

    unblock(blocker: string, blocked: string): boolean {
      if (s.unblock.run(blocker, blocked).changes === 0) return false;
      s.closeBlockSpan.run(blocker, blocked);
      return true;
    },

    createGroup(name: string, owner: string, members: readonly string[], now: number): boolean {
      if (s.nameTaken.get(canonicalName(name), name)) return false;
      const id = s.newGroupId.get(name, now)!.id;
      s.insertGroup.run(id, name, owner, now);
      let position = 1;
      for (const member of [owner, ...members]) {
        if (s.addMember.run(name, member, now, position).changes > 0) {
          s.openSpan.run(id, member);
          position++;
        }
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
        if (s.addMember.run(name, member, now, position).changes > 0) {
          s.openSpan.run(row.id, member);
          position++;
        }
      }
      return toGroupRecord(s, row);
    },

    removeGroupMembers(name: string, members: readonly string[]): GroupRecord | null {
      const row = s.getGroup.get(name);
      if (!row) return null;
      for (const member of members) {
        if (s.removeMember.run(name, member).changes > 0) s.closeSpan.run(row.id, member);
      }
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
     * Appends the message to the stream: one row whatever the audience. A group
     * message takes the group's current id. The files it carries and their
     * grants are written in the same savepoint. Throws (the savepoint undoes
     * all of it) when the group, a private recipient or a file does not exist.
     */
    saveMessage,

    /**
     * saveMessage with the sender's idempotency key: when a message of theirs holds the key
     * (committed, or written earlier in this batch: the batch is one transaction, run in job
     * order), stores nothing and returns that message's id with `repeat`. Check and insert
     * run in one savepoint of the only writer; the unique index messages_client_key backs it.
     * The key goes in with the row (one INSERT, no UPDATE after it).
     */
    saveMessageOnce(message: NewMessage, clientKey: string, files?: MessageFiles): { id: number; repeat: boolean } {
      return repeatOf(message.from, clientKey) ?? { id: saveMessage(message, files, clientKey), repeat: false };
    },

    /** saveMessageOnce of a private message without files, in flat arguments (as savePrivate). */
    savePrivateOnce(
      from: string,
      to: string | undefined,
      text: string,
      ts: number,
      replyTo: number | null,
      clientKey: string,
    ): { id: number; repeat: boolean } {
      return repeatOf(from, clientKey) ?? { id: savePrivate(from, to, text, ts, replyTo, undefined, clientKey), repeat: false };
    },

    /**
     * saveMessage of a private message without files, in flat arguments: the main thread
     * posts five plain values instead of the message object (cheaper to clone, both ways).
     */
    savePrivate(from: string, to: string | undefined, text: string, ts: number, replyTo: number | null): number {
      return savePrivate(from, to, text, ts, replyTo, undefined, null);
    },

    /**
     * Brings the search index up to date (the writer thread keeps its own hint of how far it
     * is, and replaces this one): a search waits for it, so it never misses a stored message.
     */
    indexMessages(): void {
      s.indexNewMessages.run();
    },

    /** False when there is no such message or it is deleted. */
    editMessage(id: number, text: string, at: number): boolean {
      return s.editMessage.run(text, at, id).changes > 0;
    },

    /** Tombstone: text '' and deleted_at; reactions and file references go. False when absent or deleted already. */
    deleteMessage(id: number, at: number): boolean {
      if (s.deleteMessage.run(at, id).changes === 0) return false;
      s.deleteReactionsOf.run(id);
      s.detachFilesOf.run(id);
      return true;
    },

    /** Null when the message is absent or deleted; else whether the reaction was added (false: removed). */
    toggleReaction(id: number, username: string, emoji: string, at: number): boolean | null {
      if (!s.liveMessage.get(id)) return null;
      if (s.removeReaction.run(id, username, emoji).changes > 0) return false;
      s.addReaction.run(id, username, emoji, at);
      return true;
    },

    ack(username: string, position: number): void {
      s.ack.run(position, username);
    },

    /**
     * The acknowledgements the writer client coalesced (writer-client.ts, ack()):
     * flat [username, position, …], one pair per user, each applied as ack() would.
     */
    ackAll(pairs: readonly (string | number)[]): void {
      s.ackAll.run(JSON.stringify(ackObject(pairs)));
    },

    /** Reads the head and the user's positions and records the sign-in, in one step of the writer (so no commit slips between). */
    signIn(username: string): SignInPositions {
      const head = s.head.get()!.head;
      const row = s.positions.get(username);
      if (!row) return { head, acked: 0, away: { from: head, to: head }, previousAway: { from: head, to: head } };
      const away = awayAtSignIn({ acked: row.acked, signedIn: row.signed_in, signedOut: row.signed_out }, head);
      s.signIn.run(head, away.from, away.to, username);
      return { head, acked: row.acked, away, previousAway: { from: row.away_from, to: row.away_to } };
    },

    signOut(username: string, acked: number): void {
      s.signOut.run(acked, username);
    },

    /** Raises the user's read position under a conversation key (conversations.ts). */
    markRead(username: string, key: string, position: number): void {
      s.markRead.run(username, key, position);
    },

    setReadReceipts(username: string, on: boolean): void {
      if (on) s.setReceiptsOn.run(username);
      else s.setReceiptsOff.run(username);
    },
  };
}

/** {username: position} from flat pairs; no prototype, so every name (even "__proto__") is a plain key. */
function ackObject(pairs: readonly (string | number)[]): Record<string, number> {
  const positions = Object.create(null) as Record<string, number>;
  for (let i = 0; i + 1 < pairs.length; i += 2) positions[pairs[i] as string] = pairs[i + 1] as number;
  return positions;
}

/** The operation table of the writer thread: the roles' writes here, plus AdminStore's (admin.ts). */
export type WriteOps = ReturnType<typeof writeOps> & AdminWriteOps;
export type WriteOp = keyof WriteOps;
