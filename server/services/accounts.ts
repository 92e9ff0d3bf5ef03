// Accounts: password checks with lockout, sign-in tokens, registration and the
// seed's credentials file. Lock state lives in the store, so a lock holds on
// every connection and every node.
import { readFile } from 'node:fs/promises';
import { canonicalName, ErrorCode, MAX_PASSWORD_LENGTH, ProtocolError, RESERVED_NAMES, Username, Password } from '../protocol';
import type { ServerConfig } from '../config';
import type { AccountStore, GroupStore, UserRecord } from '../store/store';
import { assertAcceptablePassword } from './password-policy';
import { hashPassword, hashToken, newToken, verifyPassword, type HashRequester } from './passwords';

/**
 * The lock an administrator sets (`users lock`): the latest time a Date can
 * hold, so it never expires by itself; `users unlock` clears it.
 */
export const ADMIN_LOCK_UNTIL = 8_640_000_000_000_000;

/** ACCOUNT_LOCKED thrown by the attempt that locked the account (the audit log records a lockout). */
export class LockoutError extends ProtocolError {}

/**
 * How long a rotated sign-in token is still accepted, in ms (60 s): long
 * enough for a client that lost the reply to a token sign-in, or two tabs
 * signing in with the same saved token, to sign in again; short enough that a
 * stolen copy used later is recognised as reuse.
 */
export const TOKEN_GRACE_MS = 60_000;

/**
 * INVALID_TOKEN for a rotated token used after its grace: someone else kept a
 * copy, so its family was revoked (the audit log records `token-reuse`).
 */
export class TokenReuseError extends ProtocolError {
  constructor(
    /** The token's owner (registered spelling). */
    readonly owner: string,
    /** How many tokens of the family were revoked. */
    readonly revoked: number,
  ) {
    super(ErrorCode.INVALID_TOKEN, TOKEN_GONE);
  }
}

const TOKEN_GONE = 'The saved sign-in has expired or was revoked. Sign in with your password.';

function invalidToken(): ProtocolError {
  return new ProtocolError(ErrorCode.INVALID_TOKEN, TOKEN_GONE);
}

export interface AccountPolicy {
  /** Failed sign-ins in a row that lock a name for lockMs. */
  maxAttempts: number;
  lockMs: number;
  /** Failed sign-ins inside one hour that lock a name for an hour (ASVS V2.2.1). */
  maxFailuresPerHour: number;
  hashCost: number;
  tokenMs: number;
  /** Shortest new password, in characters (see password-policy.ts). */
  minPasswordLength: number;
}

/** The account rules a server configuration asks for. */
export function accountPolicyOf(config: ServerConfig): AccountPolicy {
  return {
    maxAttempts: config.maxAttempts,
    lockMs: config.lockoutSeconds * 1000,
    maxFailuresPerHour: config.maxFailuresPerHour,
    hashCost: config.hashCost,
    tokenMs: config.tokenDays * 86_400_000,
    minPasswordLength: config.minPasswordLength,
  };
}

/**
 * How long a reserved verification holds its name. It ends when the check ends;
 * the lease only matters when a node dies mid-check, and bounds how long the
 * name then refuses other checks.
 */
const ATTEMPT_LEASE_MS = 30_000;
/** How long a sign-in waits for another node's check of the same name before RATE_LIMITED. */
const ATTEMPT_WAIT_MS = 10_000;
/** Poll interval while another node holds the name's lease. */
const ATTEMPT_POLL_MS = 25;

/**
 * What the account service reads and writes: the accounts, and whether a group has a
 * name (users and groups share the names). A Store is one.
 */
export interface AccountStores {
  accounts: AccountStore;
  groups: Pick<GroupStore, 'hasGroupNamed'>;
}

export class AccountService {
  /** A real hash to verify against for unknown users, so timing does not reveal who exists. */
  private dummyHash: Promise<string> | undefined;
  private readonly store: AccountStore;
  private readonly groups: Pick<GroupStore, 'hasGroupNamed'>;

  constructor(
    stores: AccountStores,
    private readonly policy: AccountPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.store = stores.accounts;
    this.groups = stores.groups;
  }

  private lockedError(lockedUntil: number, now: number, prefix: string): ProtocolError {
    if (lockedUntil >= ADMIN_LOCK_UNTIL) return new ProtocolError(ErrorCode.ACCOUNT_LOCKED, 'This account is locked by an administrator.');
    const seconds = Math.max(1, Math.ceil((lockedUntil - now) / 1000));
    return new ProtocolError(ErrorCode.ACCOUNT_LOCKED, `${prefix}Your account is locked. Try again in ${seconds} s.`, seconds);
  }

  /** Per-name queue of this node's password checks: one in flight per name, the rest wait their turn here. */
  private readonly checking = new Map<string, Promise<void>>();

  /**
   * Checks a password. Throws ACCOUNT_LOCKED while locked (whatever the password),
   * INVALID_CREDENTIALS on a mismatch (locking the account at the limit), and
   * RATE_LIMITED when another node's check of the same name does not end in time.
   * The hash waits for a slot in `hashAs`'s lane of the hash queue (passwords.ts).
   *
   * Concurrency (the lockout must hold against parallel guesses, on every node):
   * - MUST reserve the attempt in the store before hashing, so no more checks
   *   start than the lock allows: one verification per name is in flight
   *   cluster-wide, and a reservation is refused while the name is locked.
   * - MUST record the result in the same store operation that ends the
   *   reservation, and refuse even a right password when that finds a lock.
   */
  verify(typed: string, password: string, hashAs?: HashRequester): Promise<string> {
    // Names are matched, and locked, by their canonical form: ALICE and alice share one lock.
    const key = canonicalName(typed);
    const previous = this.checking.get(key) ?? Promise.resolve();
    const mine = previous.then(() => this.verifyReserved(typed, key, password, hashAs));
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.checking.set(key, settled);
    void settled.then(() => {
      if (this.checking.get(key) === settled) this.checking.delete(key);
    });
    return mine;
  }

  /** Resolves the registered spelling of the user signed in. */
  private async verifyReserved(typed: string, key: string, password: string, hashAs: HashRequester | undefined): Promise<string> {
    await this.reserveAttempt(key);
    let user: UserRecord | null;
    let ok: boolean;
    try {
      user = await this.store.getUser(typed);
      ok = (await verifyPassword(password, user?.passwordHash ?? (await this.getDummyHash(hashAs)), hashAs)) && user !== null;
    } catch (err) {
      // The check never ran (SERVER_BUSY from a full hash queue, a store error): free the name
      // at once, or every sign-in for it, its owner's too, would wait for the lease to end.
      await this.store.releaseLoginAttempt(key).catch(() => undefined);
      throw err;
    }
    const now = this.now();
    const lock = await this.store.finishLoginAttempt(key, now, ok, {
      maxAttempts: this.policy.maxAttempts,
      lockMs: this.policy.lockMs,
      maxPerHour: this.policy.maxFailuresPerHour,
    });
    if (lock.lockedUntil !== null && lock.lockedUntil > now) {
      if (ok) throw this.lockedError(lock.lockedUntil, now, '');
      // One check per name is in flight, so a lock found after a wrong password is this attempt's doing.
      const locked = this.lockedError(lock.lockedUntil, now, 'Invalid password. Too many failed attempts. ');
      throw new LockoutError(locked.code, locked.message, locked.retryAfter);
    }
    if (user && ok) return user.username;
    const left = lock.attemptsLeft;
    throw new ProtocolError(
      ErrorCode.INVALID_CREDENTIALS,
      `Invalid username or password. ${left} attempt${left === 1 ? '' : 's'} left before the account is locked.`,
    );
  }

  /** Takes the name's one verification slot in the store, waiting (bounded) while another node holds it. */
  private async reserveAttempt(username: string): Promise<void> {
    const deadline = Date.now() + ATTEMPT_WAIT_MS;
    for (;;) {
      const now = this.now();
      const reservation = await this.store.beginLoginAttempt(username, now, ATTEMPT_LEASE_MS);
      if (reservation.granted) return;
      if (reservation.lockedUntil !== null) throw this.lockedError(reservation.lockedUntil, now, '');
      if (Date.now() >= deadline) {
        throw new ProtocolError(ErrorCode.RATE_LIMITED, 'Another sign-in for this name is being checked. Try again in a moment.', 1);
      }
      await new Promise((resolve) => setTimeout(resolve, ATTEMPT_POLL_MS));
    }
  }

  private getDummyHash(hashAs: HashRequester | undefined): Promise<string> {
    return (this.dummyHash ??= hashPassword('not-a-real-password', this.policy.hashCost, hashAs));
  }

  /**
   * Checks a sign-in token for `typed` (in any case) without using it up.
   * Resolves the registered spelling of its user. Throws INVALID_TOKEN when it
   * is unknown, expired, revoked or another user's, and TokenReuseError (an
   * INVALID_TOKEN) when it was rotated and its grace is over: a copy kept by
   * someone else, so the whole family is revoked first.
   */
  async verifyToken(typed: string, token: string): Promise<string> {
    const hash = hashToken(token);
    const now = this.now();
    const record = await this.store.getToken(hash, now);
    if (record === null || canonicalName(record.username) !== canonicalName(typed)) throw invalidToken();
    if (record.graceUntil !== null && record.graceUntil <= now) {
      const revoked = await this.store.revokeTokenFamily(hash);
      throw new TokenReuseError(record.username, revoked);
    }
    return record.username;
  }

  /**
   * Rotates a token that signed in: resolves a new token of the same family,
   * and the presented one stays accepted for TOKEN_GRACE_MS more, then is
   * refused (and its use then revokes the family, see verifyToken). The new
   * token lasts as long as the family's tokens do (`--token-days` for "remember
   * me", 12 h for a file token), counted from now. Throws INVALID_TOKEN when
   * the token went meanwhile (expired, revoked) and TokenReuseError when its
   * grace ended meanwhile.
   */
  async rotateToken(token: string): Promise<{ token: string; expiresAt: number }> {
    const hash = hashToken(token);
    const now = this.now();
    const record = await this.store.getToken(hash, now);
    if (record === null) throw invalidToken();
    const lifetime = record.createdAt === null ? this.policy.tokenMs : Math.min(this.policy.tokenMs, Math.max(1, record.expiresAt - record.createdAt));
    const next = newToken();
    const expiresAt = now + lifetime;
    const rotation = await this.store.rotateToken(hash, hashToken(next), now, now + TOKEN_GRACE_MS, expiresAt);
    if (rotation.status === 'invalid') throw invalidToken();
    if (rotation.status === 'reused') throw new TokenReuseError(rotation.username, 0);
    return { token: next, expiresAt };
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

  /** Revokes the token and every token of its family (logout). */
  async revokeTokenFamily(token: string): Promise<void> {
    await this.store.revokeTokenFamily(hashToken(token));
  }

  /**
   * Throws what `create` would throw about the name alone: BAD_REQUEST when it is
   * invalid, USERNAME_TAKEN when it is reserved or taken by a user or a group in any
   * case (`The name "X" is taken`, the same words whoever asks). Every way an account
   * is made (registration, adduser, users add, the --users file) goes through here,
   * and a command line calls it before asking for a password.
   */
  async assertNameAvailable(username: string): Promise<void> {
    assertValidName(username);
    if (RESERVED_NAMES.has(canonicalName(username))) throw new ProtocolError(ErrorCode.USERNAME_TAKEN, `"${username}" is reserved`);
    if ((await this.store.getUser(username)) || (await this.groups.hasGroupNamed(username))) throw nameTaken(username);
  }

  /** Creates an account (hashing in `hashAs`'s lane). Throws USERNAME_TAKEN when the name is used or reserved. */
  async create(username: string, password: string, hashAs?: HashRequester): Promise<void> {
    assertValid(username, password);
    // A taken name is said before the password rules (the store still arbitrates a race below).
    await this.assertNameAvailable(username);
    assertAcceptablePassword(password, this.policy.minPasswordLength);
    const hash = await hashPassword(password, this.policy.hashCost, hashAs);
    if (!(await this.store.createUser(username, hash, this.now()))) throw nameTaken(username);
  }

  /** Sets a new password and revokes every sign-in token of the user (`typed` in any case). */
  async setPassword(typed: string, password: string): Promise<void> {
    assertValid(typed, password);
    const user = await this.store.getUser(typed);
    if (user) assertAcceptablePassword(password, this.policy.minPasswordLength);
    const hash = await hashPassword(password, this.policy.hashCost);
    if (!user || !(await this.store.setPasswordHash(user.username, hash, this.now()))) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${typed}"`);
    await this.store.revokeTokensOf(user.username);
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
    // Every line's password must meet the policy, new user or not: the file is where they are set.
    for (const { username, password, line } of entries) {
      try {
        assertAcceptablePassword(password, this.policy.minPasswordLength);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        // The classic clients.txt holds short passwords: say how such a file can still be used.
        const hint = err.code === ErrorCode.PASSWORD_TOO_SHORT ? ' (to accept shorter passwords, start with --min-password-length N)' : '';
        throw new ProtocolError(err.code, `${file}:${line}: the password of "${username}" is refused: ${err.message}${hint}`);
      }
    }
    const counts = { created: 0, updated: 0, unchanged: 0 };
    // Hash in parallel batches: each runs on the thread pool.
    const BATCH = 4;
    for (let i = 0; i < entries.length; i += BATCH) {
      await Promise.all(
        entries.slice(i, i + BATCH).map(async ({ username, password, line }) => {
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
              // A reserved name, or a group's: the start stops, naming the line as for any refused line.
              if (!existing) throw new ProtocolError(err.code, `${file}:${line}: ${err.message}`);
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

function nameTaken(username: string): ProtocolError {
  return new ProtocolError(ErrorCode.USERNAME_TAKEN, `The name "${username}" is taken`);
}

function assertValidName(username: string): void {
  if (!Username.safeParse(username).success) {
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `Invalid username "${username.slice(0, 40)}": use 1-32 letters, digits, "_", "." or "-"`);
  }
}

function assertValid(username: string, password: string): void {
  assertValidName(username);
  if (!Password.safeParse(password).success)
    throw new ProtocolError(ErrorCode.BAD_REQUEST, `Invalid password: 1-${MAX_PASSWORD_LENGTH} characters, no line breaks`);
}

/** Parses `username password` lines; blank lines and `#` comments are skipped. */
export function parseUsersFile(text: string, name = 'users file'): { username: string; password: string; line: number }[] {
  const seen = new Set<string>();
  const out: { username: string; password: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) throw new Error(`${name}:${index + 1}: expected "username password"`);
    const [username, password] = parts as [string, string];
    if (!Username.safeParse(username).success) throw new Error(`${name}:${index + 1}: invalid username "${username.slice(0, 40)}"`);
    // One account per canonical form: "Alice" and "alice" are the same user.
    if (seen.has(canonicalName(username))) throw new Error(`${name}:${index + 1}: duplicate user "${username}"`);
    seen.add(canonicalName(username));
    out.push({ username, password, line: index + 1 });
  });
  return out;
}
