// Users, failed-login counters and sign-in tokens in PostgreSQL. User names
// share the `names` table with groups so the two kinds can never collide.
import type { LockState, UserRecord } from '../store';
import { changed, rows, toNumber, toNumberOrNull, type Queryable } from './db';

interface UserRow {
  username: string;
  password_hash: string;
  created_at: string;
  last_login_at: string | null;
}

export async function createUser(db: Queryable, username: string, passwordHash: string, now: number): Promise<boolean> {
  // One statement, so one round trip and atomic. The primary key on names is
  // the cluster-wide arbiter: a concurrent createUser/createGroup of the same
  // name waits on it and then sees the conflict, and no user row is written.
  const created = await changed(
    db,
    `WITH claimed AS (
       INSERT INTO names (name, kind) VALUES ($1, 'user') ON CONFLICT DO NOTHING RETURNING name
     )
     INSERT INTO users (username, password_hash, created_at) SELECT name, $2, $3 FROM claimed`,
    [username, passwordHash, now],
  );
  return created > 0;
}

export async function getUser(db: Queryable, username: string): Promise<UserRecord | null> {
  const [row] = await rows<UserRow>(db, 'SELECT * FROM users WHERE username = $1', [username]);
  if (!row) return null;
  return {
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: toNumber(row.created_at),
    lastLoginAt: toNumberOrNull(row.last_login_at),
  };
}

export async function setPasswordHash(db: Queryable, username: string, passwordHash: string): Promise<boolean> {
  return (await changed(db, 'UPDATE users SET password_hash = $2 WHERE username = $1', [username, passwordHash])) > 0;
}

export async function recordLogin(db: Queryable, username: string, now: number): Promise<void> {
  await db.query('UPDATE users SET last_login_at = $2 WHERE username = $1', [username, now]);
}

export async function usersLoggedInSince(db: Queryable, since: number): Promise<{ username: string; lastLoginAt: number }[]> {
  const found = await rows<{ username: string; last_login_at: string }>(db, 'SELECT username, last_login_at FROM users WHERE last_login_at >= $1', [since]);
  return found.map((r) => ({ username: r.username, lastLoginAt: toNumber(r.last_login_at) }));
}

export async function existingUsers(db: Queryable, usernames: readonly string[]): Promise<string[]> {
  if (usernames.length === 0) return [];
  const found = await rows<{ username: string }>(db, 'SELECT username FROM users WHERE username = ANY($1::text[])', [[...usernames]]);
  const present = new Set(found.map((r) => r.username));
  return usernames.filter((u) => present.has(u));
}

export async function hasUsers(db: Queryable): Promise<boolean> {
  return (await rows(db, 'SELECT 1 FROM users LIMIT 1', [])).length > 0;
}

// ---- lockout

function lockState(failures: unknown, lockedUntil: unknown, now: number): LockState {
  const until = toNumberOrNull(lockedUntil);
  // An expired lock counts as a fresh start: no failures, not locked.
  if (until !== null && until <= now) return { failures: 0, lockedUntil: null };
  return { failures: toNumber(failures), lockedUntil: until };
}

export async function getLockState(db: Queryable, username: string, now: number): Promise<LockState> {
  const [row] = await rows<{ failures: number; locked_until: string | null }>(db, 'SELECT failures, locked_until FROM login_failures WHERE username = $1', [
    username,
  ]);
  return row ? lockState(row.failures, row.locked_until, now) : { failures: 0, lockedUntil: null };
}

/**
 * One UPSERT, so failures recorded concurrently on several nodes all count:
 * the row lock taken by ON CONFLICT DO UPDATE serialises them.
 */
export async function recordFailedLogin(db: Queryable, username: string, now: number, maxAttempts: number, lockMs: number): Promise<LockState> {
  // The failure count before this attempt, treating an expired lock as 0.
  const previous = `(CASE WHEN login_failures.locked_until IS NOT NULL AND login_failures.locked_until <= $2
                          THEN 0 ELSE login_failures.failures END)`;
  const [row] = await rows<{ failures: number; locked_until: string | null }>(
    db,
    `INSERT INTO login_failures (username, failures, locked_until)
       VALUES ($1,
               CASE WHEN 1 >= $3 THEN 0 ELSE 1 END,
               CASE WHEN 1 >= $3 THEN $2::bigint + $4::bigint ELSE NULL END)
     ON CONFLICT (username) DO UPDATE SET
       failures = CASE WHEN ${previous} + 1 >= $3 THEN 0 ELSE ${previous} + 1 END,
       locked_until = CASE
         WHEN ${previous} + 1 >= $3 THEN $2::bigint + $4::bigint
         WHEN login_failures.locked_until > $2 THEN login_failures.locked_until
         ELSE NULL END
     RETURNING failures, locked_until`,
    [username, now, maxAttempts, Math.round(lockMs)],
  );
  if (!row) throw new Error('recordFailedLogin: the upsert returned no row');
  return lockState(row.failures, row.locked_until, now);
}

export async function clearFailedLogins(db: Queryable, username: string): Promise<void> {
  await db.query('DELETE FROM login_failures WHERE username = $1', [username]);
}

// ---- tokens

export async function createToken(db: Queryable, username: string, tokenHash: string, expiresAt: number, now: number): Promise<void> {
  await db.query('INSERT INTO tokens (token_hash, username, expires_at, created_at) VALUES ($1, $2, $3, $4)', [tokenHash, username, expiresAt, now]);
}

export async function findToken(db: Queryable, tokenHash: string, now: number): Promise<string | null> {
  const [row] = await rows<{ username: string }>(db, 'SELECT username FROM tokens WHERE token_hash = $1 AND expires_at > $2', [tokenHash, now]);
  return row?.username ?? null;
}

export async function revokeToken(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('DELETE FROM tokens WHERE token_hash = $1', [tokenHash]);
}

export async function revokeTokensOf(db: Queryable, username: string): Promise<void> {
  await db.query('DELETE FROM tokens WHERE username = $1', [username]);
}
