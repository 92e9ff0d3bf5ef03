// Users, failed-login counters and sign-in tokens in PostgreSQL. User names
// share the `names` table with groups so the two kinds can never collide.
import type { Pool, PoolClient } from 'pg';
import { canonicalName } from '../../protocol/canonical-name';
import { beginAttempt, currentLock, finishAttempt } from '../rules';
import type {
  AccountStore,
  AttemptReservation,
  AttemptResult,
  LockState,
  LockoutPolicy,
  LoginGuard,
  ProfileChange,
  ProfileRecord,
  TokenRecord,
  TokenRotation,
  UserRecord,
} from '../store';
import { changed, inTransaction, rows, toNumber, toNumberOrNull } from './db';
import { groupNamedSql } from './groups';

/** SQLSTATE unique_violation: a concurrent createUser took the canonical name first. */
const UNIQUE_VIOLATION = '23505';

interface UserRow {
  username: string;
  password_hash: string;
  created_at: string;
  last_login_at: string | null;
}

interface ProfileRow {
  username: string;
  display_name: string | null;
  avatar: string | null;
}

function toProfile(row: ProfileRow): ProfileRecord {
  return { username: row.username, displayName: row.display_name, avatar: row.avatar };
}

/** A login_failures row as of `now` (rules.currentLock: an expired lock reads as none). */
function lockState(failures: unknown, lockedUntil: unknown, now: number): LockState {
  return currentLock({ failures: toNumber(failures), lockedUntil: toNumberOrNull(lockedUntil) }, now);
}

const TOKEN_COLUMNS = 'username, family, created_at, expires_at, rotated_at, grace_until';

interface TokenRow {
  username: string;
  family: string;
  created_at: string | null;
  expires_at: string;
  rotated_at: string | null;
  grace_until: string | null;
}

function tokenRecord(row: TokenRow): TokenRecord {
  return {
    username: row.username,
    family: row.family,
    createdAt: toNumberOrNull(row.created_at),
    expiresAt: toNumber(row.expires_at),
    rotatedAt: toNumberOrNull(row.rotated_at),
    graceUntil: toNumberOrNull(row.grace_until),
  };
}

interface GuardRow {
  failures: number;
  locked_until: string | null;
  hour_start: string | null;
  hour_failures: number;
  lease_until: string | null;
}

/**
 * Reads the guard row of `username` locked FOR UPDATE (created first when
 * missing), so concurrent reservations on every node queue on the row lock.
 */
async function lockGuard(client: PoolClient, username: string): Promise<LoginGuard> {
  await client.query('INSERT INTO login_failures (username, failures) VALUES ($1, 0) ON CONFLICT DO NOTHING', [username]);
  const [row] = await rows<GuardRow>(
    client,
    'SELECT failures, locked_until, hour_start, hour_failures, lease_until FROM login_failures WHERE username = $1 FOR UPDATE',
    [username],
  );
  if (!row) throw new Error('lockGuard: the row vanished inside its transaction');
  return {
    failures: toNumber(row.failures),
    lockedUntil: toNumberOrNull(row.locked_until),
    hourStart: toNumberOrNull(row.hour_start),
    hourFailures: toNumber(row.hour_failures),
    leaseUntil: toNumberOrNull(row.lease_until),
  };
}

async function putGuard(client: PoolClient, username: string, g: LoginGuard): Promise<void> {
  await client.query('UPDATE login_failures SET failures = $2, locked_until = $3, hour_start = $4, hour_failures = $5, lease_until = $6 WHERE username = $1', [
    username,
    g.failures,
    g.lockedUntil,
    g.hourStart,
    g.hourFailures,
    g.leaseUntil,
  ]);
}

export class PostgresAccounts implements AccountStore {
  private readonly db: Pool;

  constructor(pool: Pool) {
    this.db = pool;
  }

  beginLoginAttempt(username: string, now: number, leaseMs: number): Promise<AttemptReservation> {
    return inTransaction(this.db, async (client) => {
      const { next, outcome } = beginAttempt(await lockGuard(client, username), now, leaseMs);
      if (outcome.granted) await putGuard(client, username, next);
      return outcome;
    });
  }

  async releaseLoginAttempt(username: string): Promise<void> {
    await this.db.query('UPDATE login_failures SET lease_until = NULL WHERE username = $1', [username]);
  }

  finishLoginAttempt(username: string, now: number, ok: boolean, policy: LockoutPolicy): Promise<AttemptResult> {
    return inTransaction(this.db, async (client) => {
      const { next, lock } = finishAttempt(await lockGuard(client, username), now, ok, policy);
      await putGuard(client, username, next);
      return lock;
    });
  }

  async createUser(username: string, passwordHash: string, now: number): Promise<boolean> {
    // One statement, so one round trip and atomic. The primary key on names is
    // the cluster-wide arbiter: a concurrent createUser/createGroup of the same
    // name waits on it and then sees the conflict, and no user row is written.
    // The unique index on users.name_key refuses another spelling of a taken
    // name; the NOT EXISTS answers that without an error in the common case.
    // A group's name in any case is taken too (one namespace).
    const key = canonicalName(username);
    try {
      const created = await changed(
        this.db,
        `WITH claimed AS (
           INSERT INTO names (name, kind) SELECT $1, 'user'
            WHERE NOT EXISTS (SELECT 1 FROM users WHERE name_key = $4) AND NOT EXISTS (${groupNamedSql('$4')})
           ON CONFLICT DO NOTHING RETURNING name
         ), made AS (
           INSERT INTO users (username, name_key, password_hash, created_at) SELECT name, $4, $2, $3 FROM claimed RETURNING username
         ), floor AS (
           -- Nothing sent before the account existed counts as unread.
           INSERT INTO read_positions (username, conversation, position) SELECT username, '*', (SELECT coalesce(max(id), 0) FROM messages) FROM made
           ON CONFLICT (username, conversation) DO UPDATE SET position = excluded.position
         )
         -- The mailbox starts at the head: nothing already in the stream is this account's, neither the
         -- broadcasts sent before it existed (no absence of its: the away windows, which remember only
         -- the last two, cannot be what keeps them out) nor the private messages a former holder of the
         -- name (a deleted or renamed account) was sent, which stay in the stream (and in history).
         INSERT INTO positions (username, acked)
         SELECT username, (SELECT coalesce(max(id), 0) FROM messages) FROM made`,
        [username, passwordHash, now, key],
      );
      return created > 0;
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) return false;
      throw err;
    }
  }

  async getUser(username: string): Promise<UserRecord | null> {
    const [row] = await rows<UserRow>(this.db, 'SELECT username, password_hash, created_at, last_login_at FROM users WHERE name_key = $1', [
      canonicalName(username),
    ]);
    if (!row) return null;
    return {
      username: row.username,
      passwordHash: row.password_hash,
      createdAt: toNumber(row.created_at),
      lastLoginAt: toNumberOrNull(row.last_login_at),
    };
  }

  async passwordsChangedSince(since: number): Promise<{ username: string; changedAt: number }[]> {
    const found = await rows<{ username: string; password_changed_at: string }>(
      this.db,
      'SELECT username, password_changed_at FROM users WHERE password_changed_at >= $1',
      [since],
    );
    return found.map((r) => ({ username: r.username, changedAt: toNumber(r.password_changed_at) }));
  }

  async setPasswordHash(username: string, passwordHash: string, now: number): Promise<boolean> {
    return (
      (await changed(this.db, 'UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE name_key = $1', [
        canonicalName(username),
        passwordHash,
        now,
      ])) > 0
    );
  }

  async recordLogin(username: string, now: number): Promise<void> {
    await this.db.query('UPDATE users SET last_login_at = $2 WHERE name_key = $1', [canonicalName(username), now]);
  }

  async usersLoggedInSince(since: number): Promise<{ username: string; lastLoginAt: number }[]> {
    const found = await rows<{ username: string; last_login_at: string }>(this.db, 'SELECT username, last_login_at FROM users WHERE last_login_at >= $1', [
      since,
    ]);
    return found.map((r) => ({ username: r.username, lastLoginAt: toNumber(r.last_login_at) }));
  }

  async listUsers(query: string, limit: number): Promise<({ lastLoginAt: number | null } & ProfileRecord)[]> {
    // strpos() rather than LIKE (the query may hold `%` or `_`); COLLATE "C" sorts by code point, as the other stores do.
    const found = await rows<ProfileRow & { last_login_at: string | null }>(
      this.db,
      'SELECT username, last_login_at, display_name, avatar FROM users WHERE strpos(lower(username), lower($1)) > 0 ORDER BY username COLLATE "C" LIMIT $2',
      [query, limit],
    );
    return found.map((r) => ({ ...toProfile(r), lastLoginAt: toNumberOrNull(r.last_login_at) }));
  }

  async setProfile(username: string, change: ProfileChange): Promise<ProfileRecord | null> {
    // One statement: each field is set only when given (a flag per field), so concurrent
    // changes of different fields do not undo each other. The avatar's foreign key
    // rejects a file that does not exist.
    const [row] = await rows<ProfileRow>(
      this.db,
      `UPDATE users SET
         display_name = CASE WHEN $2::boolean THEN $3::text ELSE display_name END,
         avatar = CASE WHEN $4::boolean THEN $5::text ELSE avatar END
       WHERE name_key = $1 RETURNING username, display_name, avatar`,
      [canonicalName(username), change.displayName !== undefined, change.displayName ?? null, change.avatar !== undefined, change.avatar ?? null],
    );
    return row ? toProfile(row) : null;
  }

  async getProfiles(usernames: readonly string[]): Promise<ProfileRecord[]> {
    if (usernames.length === 0) return [];
    const keys = usernames.map(canonicalName);
    const found = await rows<ProfileRow & { name_key: string }>(
      this.db,
      'SELECT username, name_key, display_name, avatar FROM users WHERE name_key = ANY($1::text[])',
      [keys],
    );
    const byKey = new Map(found.map((r) => [r.name_key, toProfile(r)]));
    return keys.flatMap((key) => byKey.get(key) ?? []);
  }

  async existingUsers(usernames: readonly string[]): Promise<string[]> {
    if (usernames.length === 0) return [];
    const keys = usernames.map(canonicalName);
    const found = await rows<{ username: string; name_key: string }>(this.db, 'SELECT username, name_key FROM users WHERE name_key = ANY($1::text[])', [keys]);
    const registered = new Map(found.map((r) => [r.name_key, r.username]));
    return keys.flatMap((key) => registered.get(key) ?? []);
  }

  async hasUsers(): Promise<boolean> {
    return (await rows(this.db, 'SELECT 1 FROM users LIMIT 1', [])).length > 0;
  }

  async getLockState(username: string, now: number): Promise<LockState> {
    const [row] = await rows<{ failures: number; locked_until: string | null }>(
      this.db,
      'SELECT failures, locked_until FROM login_failures WHERE username = $1',
      [username],
    );
    return row ? lockState(row.failures, row.locked_until, now) : { failures: 0, lockedUntil: null };
  }

  async clearFailedLogins(username: string): Promise<void> {
    await this.db.query('DELETE FROM login_failures WHERE username = $1', [username]);
  }

  async createToken(username: string, tokenHash: string, expiresAt: number, now: number, family: string = tokenHash): Promise<void> {
    await this.db.query('INSERT INTO tokens (token_hash, username, expires_at, created_at, family) VALUES ($1, $2, $3, $4, $5)', [
      tokenHash,
      username,
      expiresAt,
      now,
      family,
    ]);
  }

  async findToken(tokenHash: string, now: number): Promise<string | null> {
    const [row] = await rows<{ username: string }>(
      this.db,
      'SELECT username FROM tokens WHERE token_hash = $1 AND expires_at > $2 AND (grace_until IS NULL OR grace_until > $2)',
      [tokenHash, now],
    );
    return row?.username ?? null;
  }

  async getToken(tokenHash: string, now: number): Promise<TokenRecord | null> {
    const [row] = await rows<TokenRow>(this.db, `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE token_hash = $1 AND expires_at > $2`, [tokenHash, now]);
    return row ? tokenRecord(row) : null;
  }

  /**
   * The old token's row is locked FOR UPDATE, so two rotations of one token
   * (on any nodes) run one after the other: the second sees the first's
   * rotated_at and adds a sibling inside the grace.
   */
  async rotateToken(oldHash: string, newHash: string, now: number, graceUntil: number, expiresAt: number): Promise<TokenRotation> {
    const result = await inTransaction(this.db, async (client): Promise<TokenRotation> => {
      const [row] = await rows<TokenRow>(client, `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE token_hash = $1 AND expires_at > $2 FOR UPDATE`, [oldHash, now]);
      if (!row) return { status: 'invalid' };
      const { username, family } = row;
      if (row.grace_until !== null && toNumber(row.grace_until) <= now) return { status: 'reused', username, family };
      await client.query('UPDATE tokens SET rotated_at = $1, grace_until = $2 WHERE token_hash = $3 AND rotated_at IS NULL', [now, graceUntil, oldHash]);
      await client.query('INSERT INTO tokens (token_hash, username, expires_at, created_at, family) VALUES ($1, $2, $3, $4, $5)', [
        newHash,
        username,
        expiresAt,
        now,
        family,
      ]);
      return { status: 'rotated', username, family };
    });
    if (result.status === 'reused') await this.deleteFamily(result.family);
    return result;
  }

  async revokeToken(tokenHash: string): Promise<void> {
    await this.db.query('DELETE FROM tokens WHERE token_hash = $1', [tokenHash]);
  }

  async revokeTokenFamily(tokenHash: string): Promise<number> {
    const [row] = await rows<{ family: string }>(this.db, 'SELECT family FROM tokens WHERE token_hash = $1', [tokenHash]);
    return row ? this.deleteFamily(row.family) : 0;
  }

  /**
   * Deletes the family until a pass finds nothing: a rotation that held a
   * row of it while the first pass waited has committed its new token by
   * then, and the next statement's snapshot sees it. No token of a revoked
   * family survives.
   */
  private async deleteFamily(family: string): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await changed(this.db, 'DELETE FROM tokens WHERE family = $1', [family]);
      if (deleted === 0) return total;
      total += deleted;
    }
  }

  async revokeTokensOf(username: string): Promise<void> {
    await this.db.query('DELETE FROM tokens WHERE username = $1', [username]);
  }
}
