// Rules every backend applies the same way, written once: lock expiry and the
// lockout step, page sizes, the away window at sign-in, the shape of a history
// query, and the one way optional message fields are left out.
// errors.ts directly, not the protocol's index: the SQLite writer thread bundles this file and must not load zod.
import { ErrorCode, ProtocolError } from '../protocol/errors';
import type { ChatMessage } from '../protocol/models';
import type { AwayWindow, HistoryQuery, LockState, NewMessage } from './store';

const UNLOCKED: LockState = { failures: 0, lockedUntil: null };

/** Lock state as of `now`: an expired lock (now >= lockedUntil) reads as no lock and a fresh counter. */
export function currentLock(state: LockState | null | undefined, now: number): LockState {
  if (!state || (state.lockedUntil !== null && now >= state.lockedUntil)) return { ...UNLOCKED };
  return { failures: state.failures, lockedUntil: state.lockedUntil };
}

/**
 * The lock state after one more failed attempt (recordFailedLogin's rule, for
 * the backends that apply it in code): at maxAttempts the account locks until
 * now + lockMs and the counter restarts at 0.
 */
export function nextLockAfterFailure(state: LockState, now: number, maxAttempts: number, lockMs: number): LockState {
  const failures = state.failures + 1;
  return failures >= maxAttempts ? { failures: 0, lockedUntil: now + lockMs } : { failures, lockedUntil: state.lockedUntil };
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
export function historyTarget(query: HistoryQuery): { group: string } | { peer: string } {
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
): ChatMessage {
  const message: ChatMessage = { id, kind: m.kind, from: m.from, text: m.text, ts: m.ts };
  if (m.to !== undefined && m.to !== null) message.to = m.to;
  if (m.group !== undefined && m.group !== null) message.group = m.group;
  return message;
}

/** Only the NewMessage fields of `message` (a caller's object may carry more; optional ones stay absent). */
export function newMessageFields(message: NewMessage): NewMessage {
  const { id: _id, ...fields } = messageRecord(0, message);
  return fields;
}
