// Rules every backend applies the same way, written once: lock expiry and the
// lockout step, page sizes, the away window at sign-in, the shape of a history
// query, and the one way optional message fields are left out.
// errors.ts directly, not the protocol's index: the SQLite writer thread bundles this file and must not load zod.
import { ErrorCode, ProtocolError } from '../protocol/errors';
import { REPLY_EXCERPT_LENGTH } from '../protocol/limits';
import type { ChatMessage, Reaction, ReplyQuote } from '../protocol/models';
import type { AttemptReservation, AttemptResult, AwayWindow, HistoryQuery, LockState, LockoutPolicy, LoginGuard, NewMessage } from './store';

const UNLOCKED: LockState = { failures: 0, lockedUntil: null };

/** Lock state as of `now`: an expired lock (now >= lockedUntil) reads as no lock and a fresh counter. */
export function currentLock(state: LockState | null | undefined, now: number): LockState {
  if (!state || (state.lockedUntil !== null && now >= state.lockedUntil)) return { ...UNLOCKED };
  return { failures: state.failures, lockedUntil: state.lockedUntil };
}

/**
 * The lock state after one more failed attempt (finishAttempt's short counter): at maxAttempts the account locks until
 * now + lockMs and the counter restarts at 0.
 */
function nextLockAfterFailure(state: LockState, now: number, maxAttempts: number, lockMs: number): LockState {
  const failures = state.failures + 1;
  return failures >= maxAttempts ? { failures: 0, lockedUntil: now + lockMs } : { failures, lockedUntil: state.lockedUntil };
}

const HOUR_MS = 3_600_000;

/** The guard row of a name never seen: no failures, no lock, no verification in flight. */
export const FRESH_GUARD: LoginGuard = { failures: 0, lockedUntil: null, hourStart: null, hourFailures: 0, leaseUntil: null };

/**
 * beginLoginAttempt's rule. Granted only when the name is not locked and no
 * other verification holds an unexpired lease; a grant takes the lease until
 * now + leaseMs. Refused with the lock's end when locked, with null when busy.
 */
export function beginAttempt(row: LoginGuard | undefined, now: number, leaseMs: number): { next: LoginGuard; outcome: AttemptReservation } {
  const guard = row ?? FRESH_GUARD;
  const lock = currentLock(guard, now);
  if (lock.lockedUntil !== null) return { next: guard, outcome: { granted: false, lockedUntil: lock.lockedUntil } };
  if (guard.leaseUntil !== null && guard.leaseUntil > now) return { next: guard, outcome: { granted: false, lockedUntil: null } };
  return { next: { ...guard, ...lock, leaseUntil: now + leaseMs }, outcome: { granted: true } };
}

/**
 * finishLoginAttempt's rule: gives the lease back and, on a failure, counts it
 * twice: toward maxAttempts (lock for lockMs, counter restarts) and toward the
 * hourly cap (at maxPerHour failures inside one hour the name locks for an
 * hour and the next failure starts a new hour). A success clears the short
 * counter but not the hourly one, so a user signing in between an attacker's
 * guesses does not reset the attacker's budget. Returns the lock as of now:
 * a success that finds the name locked (checked again after hashing) must be refused.
 */
export function finishAttempt(row: LoginGuard | undefined, now: number, ok: boolean, policy: LockoutPolicy): { next: LoginGuard; lock: AttemptResult } {
  const guard = { ...(row ?? FRESH_GUARD), leaseUntil: null };
  const lock = currentLock(guard, now);
  // The hourly cap may be nearer than the short rule's limit: say whichever locks first.
  const left = (next: LoginGuard) =>
    Math.min(policy.maxAttempts - next.failures, policy.maxPerHour - (next.hourStart === null || now >= next.hourStart + HOUR_MS ? 0 : next.hourFailures));
  if (ok) {
    const next = { ...guard, failures: 0, lockedUntil: lock.lockedUntil };
    return { next, lock: { failures: 0, lockedUntil: lock.lockedUntil, attemptsLeft: left(next) } };
  }
  const short = nextLockAfterFailure(lock, now, policy.maxAttempts, policy.lockMs);
  const newHour = guard.hourStart === null || now >= guard.hourStart + HOUR_MS;
  let hourStart: number | null = newHour ? now : guard.hourStart;
  let hourFailures = newHour ? 1 : guard.hourFailures + 1;
  let lockedUntil = short.lockedUntil;
  if (hourFailures >= policy.maxPerHour) {
    lockedUntil = Math.max(lockedUntil ?? 0, now + HOUR_MS);
    hourStart = null;
    hourFailures = 0;
  }
  const next: LoginGuard = { failures: short.failures, lockedUntil, hourStart, hourFailures, leaseUntil: null };
  return { next, lock: { failures: short.failures, lockedUntil, attemptsLeft: left(next) } };
}

/** A limit as a row count: anything not a positive number means "nothing" (SQLite would read a negative LIMIT as "no limit"). */
export function pageSize(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}

/** A user's recorded positions: the last sign-in and sign-out (stream positions, 0 before the first). */
export interface SessionPositions {
  acked: number;
  signedIn: number;
  signedOut: number;
}

/**
 * The away window of a sign-in at `head`: from the last sign-out to now. When
 * the last session never signed out (its node was killed), when it ended is
 * unknown; the window is then empty, so nothing is dropped as "sent while away"
 * (broadcasts since are replayed rather than lost).
 */
export function awayAtSignIn(p: SessionPositions, head: number): AwayWindow {
  const clean = p.signedOut >= p.signedIn;
  const from = clean ? Math.min(p.signedOut, head) : head;
  return { from, to: head };
}

/** True when `position` lies in the away window (from, to]. */
export function inAway(position: number, away: AwayWindow | undefined): boolean {
  return away !== undefined && position > away.from && position <= away.to;
}

/** Which conversation a history query reads; BAD_REQUEST when it names neither a peer nor a group. */
export function historyTarget(query: HistoryQuery): { group: string } | { peer: string } | { everyone: true } {
  if (query.everyone === true) return { everyone: true };
  if (query.group !== undefined) return { group: query.group };
  if (query.peer !== undefined) return { peer: query.peer };
  throw new ProtocolError(ErrorCode.BAD_REQUEST, 'history: give either a peer or a group');
}

/**
 * A message record from its parts: optional fields that are null or undefined
 * are left out, so records compare equal across backends and encode the same.
 */
export function messageRecord(
  id: number,
  m: { kind: ChatMessage['kind']; from: string; to?: string | null; group?: string | null; text: string; ts: number },
  state?: MessageState,
): ChatMessage {
  // One literal per shape, keys in the order they always had (id, kind, from, text, ts, to, group):
  // adding `to` or `group` afterwards moved every stored message to an out-of-object property store.
  const { kind, from, text, ts, to, group } = m;
  const hasTo = to !== undefined && to !== null;
  const hasGroup = group !== undefined && group !== null;
  const message: ChatMessage = hasTo
    ? hasGroup
      ? { id, kind, from, text, ts, to, group }
      : { id, kind, from, text, ts, to }
    : hasGroup
      ? { id, kind, from, text, ts, group }
      : { id, kind, from, text, ts };
  if (state?.replyTo) message.replyTo = state.replyTo;
  if (state?.deleted) {
    message.text = '';
    message.deleted = true;
    return message;
  }
  if (state?.editedAt !== undefined && state.editedAt !== null) message.editedAt = state.editedAt;
  if (state?.reactions?.length) message.reactions = state.reactions;
  return message;
}

/** What a stored message carries beside its original fields (see MessageStore). */
export interface MessageState {
  replyTo?: ReplyQuote;
  editedAt?: number | null;
  deleted?: boolean;
  reactions?: Reaction[];
}

/** Reactions from (emoji, user) pairs in the order they were made: emojis in order of first use. */
export function groupReactions(pairs: Iterable<readonly [emoji: string, user: string]>): Reaction[] {
  const byEmoji = new Map<string, string[]>();
  for (const [emoji, user] of pairs) {
    const users = byEmoji.get(emoji);
    if (users) users.push(user);
    else byEmoji.set(emoji, [user]);
  }
  return [...byEmoji].map(([emoji, users]) => ({ emoji, users }));
}

/**
 * The record of `message` once stored, its id still 0 for the store to set: only
 * its NewMessage fields (a caller's object may carry more; optional ones stay absent).
 */
export function storedMessage(message: NewMessage): ChatMessage {
  return messageRecord(0, message, message.replyTo ? { replyTo: message.replyTo } : undefined);
}

/** The quote of `original` a reply carries: its author and the start of its text now ('' and `deleted` once deleted). */
export function replyQuoteOf(original: { id: number; from: string; text: string; deleted?: boolean }): ReplyQuote {
  if (original.deleted) return { id: original.id, from: original.from, text: '', deleted: true };
  const chars = [...original.text];
  return { id: original.id, from: original.from, text: chars.length > REPLY_EXCERPT_LENGTH ? chars.slice(0, REPLY_EXCERPT_LENGTH).join('') : original.text };
}
