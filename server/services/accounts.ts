// Accounts: password checks with lockout, sign-in tokens, registration and the
// seed's credentials file. Lock state lives in the store, so a lock holds on
// every connection and every node.
import { readFile } from 'node:fs/promises';
import { ErrorCode, ProtocolError, RESERVED_NAMES, Username, Password } from '../protocol';
import type { AccountStore } from '../store/store';
import { hashPassword, hashToken, newToken, verifyPassword } from './passwords';

/**
 * The lock an administrator sets (`users lock`): the latest time a Date can
 * hold, so it never expires by itself; `users unlock` clears it.
 */
export const ADMIN_LOCK_UNTIL = 8_640_000_000_000_000;

/** ACCOUNT_LOCKED thrown by the attempt that locked the account (the audit log records a lockout). */
export class LockoutError extends ProtocolError {}

export interface AccountPolicy {
  maxAttempts: number;
  lockMs: number;
  hashCost: number;
  tokenMs: number;
}

export class AccountService {
  /** A real hash to verify against for unknown users, so timing does not reveal who exists. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly policy: AccountPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  private lockedError(lockedUntil: number, now: number, prefix: string): ProtocolError {
    if (lockedUntil >= ADMIN_LOCK_UNTIL) return new ProtocolError(ErrorCode.ACCOUNT_LOCKED, 'This account is locked by an administrator.');
    const seconds = Math.max(1, Math.ceil((lockedUntil - now) / 1000));
    return new ProtocolError(ErrorCode.ACCOUNT_LOCKED, `${prefix}Your account is locked. Try again in ${seconds} s.`, seconds);
  }

  /**
   * Checks a password. Throws ACCOUNT_LOCKED while locked (whatever the password),
   * INVALID_CREDENTIALS on a mismatch (locking the account at the limit).
   */
  async verify(username: string, password: string): Promise<void> {
    const start = this.now();
    const lock = await this.store.getLockState(username, start);
    if (lock.lockedUntil !== null && lock.lockedUntil > start) throw this.lockedError(lock.lockedUntil, start, '');
    const user = await this.store.getUser(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.getDummyHash()));
    if (ok && user) {
      if (lock.failures > 0) await this.store.clearFailedLogins(username);
      return;
    }
    const now = this.now();
    const after = await this.store.recordFailedLogin(username, now, this.policy.maxAttempts, this.policy.lockMs);
    if (after.lockedUntil !== null && after.lockedUntil > now) {
      const locked = this.lockedError(after.lockedUntil, now, 'Invalid password. Too many failed attempts. ');
      throw new LockoutError(locked.code, locked.message, locked.retryAfter);
    }
    const left = this.policy.maxAttempts - after.failures;
    throw new ProtocolError(
      ErrorCode.INVALID_CREDENTIALS,
      `Invalid username or password. ${left} attempt${left === 1 ? '' : 's'} left before the account is locked.`,
    );
  }

  private getDummyHash(): Promise<string> {
    return (this.dummyHash ??= hashPassword('not-a-real-password', this.policy.hashCost));
  }

  /** Resolves the user a token belongs to; throws INVALID_TOKEN if it is not theirs or has expired. */
  async verifyToken(username: string, token: string): Promise<void> {
    const owner = await this.store.findToken(hashToken(token), this.now());
    if (owner !== username) throw new ProtocolError(ErrorCode.INVALID_TOKEN, 'The saved sign-in has expired or was revoked. Sign in with your password.');
  }

  /** The user a sign-in token belongs to, or null when it is unknown, expired or revoked (HTTP file requests). */
  async userForToken(token: string): Promise<string | null> {
    return this.store.findToken(hashToken(token), this.now());
  }

  /** A new sign-in token; `lifetimeMs` defaults to the policy's (tokenDays). */
  async issueToken(username: string, lifetimeMs: number = this.policy.tokenMs): Promise<{ token: string; expiresAt: number }> {
    const token = newToken();
    const now = this.now();
    const expiresAt = now + lifetimeMs;
    await this.store.createToken(username, hashToken(token), expiresAt, now);
    return { token, expiresAt };
  }

  revokeToken(token: string): Promise<void> {
    return this.store.revokeToken(hashToken(token));
  }

  /** Creates an account. Throws USERNAME_TAKEN when the name is used or reserved. */
  async create(username: string, password: string): Promise<void> {
    assertValid(username, password);
    if (RESERVED_NAMES.has(username.toLowerCase())) throw new ProtocolError(ErrorCode.USERNAME_TAKEN, `"${username}" is reserved`);
    const hash = await hashPassword(password, this.policy.hashCost);
    if (!(await this.store.createUser(username, hash, this.now()))) {
      throw new ProtocolError(ErrorCode.USERNAME_TAKEN, `The name "${username}" is taken`);
    }
  }

  /** Sets a new password and revokes every sign-in token of the user. */
  async setPassword(username: string, password: string): Promise<void> {
    assertValid(username, password);
    const hash = await hashPassword(password, this.policy.hashCost);
    if (!(await this.store.setPasswordHash(username, hash))) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${username}"`);
    await this.store.revokeTokensOf(username);
  }

  /**
   * Imports the seed's credentials file (`username password` per line). New users
   * are created; existing users get the file's password when it changed.
   * Returns counts; throws with the line number on a malformed line.
   * `knownUnchanged(username, storedHash)` may vouch that an existing user's stored
   * hash already matches this file's password (ops/users-import.ts knows when),
   * which saves one full scrypt verification per user at every start.
   */
  async importUsersFile(
    file: string,
    knownUnchanged?: (username: string, storedHash: string) => boolean,
  ): Promise<{ created: number; updated: number; unchanged: number }> {
    const entries = parseUsersFile(await readFile(file, 'utf8'), file);
    const counts = { created: 0, updated: 0, unchanged: 0 };
    // Hash in parallel batches: each runs on the thread pool.
    const BATCH = 4;
    for (let i = 0; i < entries.length; i += BATCH) {
      await Promise.all(
        entries.slice(i, i + BATCH).map(async ({ username, password }) => {
          let existing = await this.store.getUser(username);
          if (!existing) {
            try {
              await this.create(username, password);
              counts.created++;
              return;
            } catch (err) {
              // Another node importing the same file at the same moment created it first.
              if (!(err instanceof ProtocolError) || err.code !== ErrorCode.USERNAME_TAKEN) throw err;
              existing = await this.store.getUser(username);
              if (!existing) throw err;
            }
          }
          if (knownUnchanged?.(username, existing.passwordHash) || (await verifyPassword(password, existing.passwordHash))) {
            counts.unchanged++;
          } else {
            await this.setPassword(username, password);
            counts.updated++;
          }
        }),
      );
    }
    return counts;
  }
}

function assertValid(username: string, password: string): void {
  if (!Username.safeParse(username).success) {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `Invalid username "${username.slice(0, 40)}": use 1-32 letters, digits, "_", "." or "-"`);
  }
  if (!Password.safeParse(password).success) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Invalid password: 1-256 characters, no line breaks');
}

/** Parses `username password` lines; blank lines and `#` comments are skipped. */
export function parseUsersFile(text: string, name = 'users file'): { username: string; password: string }[] {
  const seen = new Set<string>();
  const out: { username: string; password: string }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) throw new Error(`${name}:${index + 1}: expected "username password"`);
    const [username, password] = parts as [string, string];
    if (!Username.safeParse(username).success) throw new Error(`${name}:${index + 1}: invalid username "${username.slice(0, 40)}"`);
    if (seen.has(username)) throw new Error(`${name}:${index + 1}: duplicate user "${username}"`);
    seen.add(username);
    out.push({ username, password });
  });
  return out;
}
