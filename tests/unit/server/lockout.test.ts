// Lockout timing through AccountService on the MemoryStore, with an injected
// clock: no sleeping, exact boundaries.
import { beforeEach, describe, expect, it } from 'vitest';
import { ProtocolError, type WireError } from '../../../server/protocol';
import { AccountService, TOKEN_GRACE_MS, TokenReuseError } from '../../../server/services/accounts';
import { MemoryStore } from '../../../server/store/memory';

let now = 1_000_000;
let accounts: AccountService;

beforeEach(async () => {
  now = 1_000_000;
  const store = await MemoryStore.open();
  accounts = new AccountService(store, { maxAttempts: 3, lockMs: 1_500, maxFailuresPerHour: 7, hashCost: 4, tokenMs: 60_000, minPasswordLength: 1 }, () => now);
  await accounts.create('alice', 'right-pw');
});

async function attempt(user: string, password: string): Promise<WireError | 'ok'> {
  try {
    await accounts.verify(user, password);
    return 'ok';
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return err.toWire();
  }
}

describe('lockout', () => {
  it('counts down attempts, locks on the third failure, unlocks exactly at expiry', async () => {
    expect(await attempt('alice', 'x')).toMatchObject({ code: 'INVALID_CREDENTIALS', message: expect.stringContaining('2 attempts left') });
    expect(await attempt('alice', 'x')).toMatchObject({ code: 'INVALID_CREDENTIALS', message: expect.stringContaining('1 attempt left') });
    expect(await attempt('alice', 'x')).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfter: 2 });
    // Locked: even the right password is refused, and retryAfter counts down.
    now += 600;
    expect(await attempt('alice', 'right-pw')).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfter: 1, message: expect.stringContaining('Try again in 1 s') });
    now += 899;
    expect(await attempt('alice', 'right-pw')).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfter: 1 });
    now += 1;
    expect(await attempt('alice', 'right-pw')).toBe('ok');
  });

  it('attempts while locked do not extend the lock', async () => {
    for (let i = 0; i < 3; i++) await attempt('alice', 'x');
    for (let i = 0; i < 5; i++) {
      now += 200;
      expect(await attempt('alice', 'x')).toMatchObject({ code: 'ACCOUNT_LOCKED' });
    }
    now += 500;
    expect(await attempt('alice', 'right-pw')).toBe('ok');
  });

  it('after expiry the counter starts again; a success resets it', async () => {
    for (let i = 0; i < 3; i++) await attempt('alice', 'x');
    now += 1_500;
    expect(await attempt('alice', 'x')).toMatchObject({ message: expect.stringContaining('2 attempts left') });
    expect(await attempt('alice', 'right-pw')).toBe('ok');
    expect(await attempt('alice', 'x')).toMatchObject({ message: expect.stringContaining('2 attempts left') });
  });

  it('unknown usernames lock the same way and get the same answers', async () => {
    const unknown = await attempt('ghost', 'x');
    const known = await attempt('alice', 'x');
    expect(unknown).toEqual(known);
    await attempt('ghost', 'x');
    expect(await attempt('ghost', 'x')).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfter: 2 });
    // The lock is per name: alice is not locked by ghost's failures.
    expect(await attempt('alice', 'right-pw')).toBe('ok');
  });

  it('six checks of one name started at once: one runs at a time and no more than the limit are checked', async () => {
    const results = await Promise.all([...Array.from({ length: 5 }, () => attempt('alice', 'x')), attempt('alice', 'right-pw')]);
    // In arrival order: three failures are checked, the third locks, the rest (the right password too) are refused unchecked.
    expect(results.map((r) => (r === 'ok' ? 'ok' : r.code))).toEqual([
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'ACCOUNT_LOCKED',
      'ACCOUNT_LOCKED',
      'ACCOUNT_LOCKED',
      'ACCOUNT_LOCKED',
    ]);
    const refused = results.slice(3) as WireError[];
    for (const r of refused) expect(r.message).not.toMatch(/Invalid password/);
  });

  it('hourly cap: at maxFailuresPerHour failures inside an hour the name locks for an hour', async () => {
    // 7 per hour (this suite's policy): 3 + 3 with the short locks between, then the 7th locks for an hour.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3; i++) await attempt('alice', 'x');
      now += 1_500;
    }
    expect(await attempt('alice', 'x')).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfter: 3_600 });
    now += 1_500;
    expect(await attempt('alice', 'right-pw')).toMatchObject({ code: 'ACCOUNT_LOCKED' });
    now += 3_600_000 - 1_500 - 1;
    expect(await attempt('alice', 'right-pw')).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfter: 1 });
    now += 1;
    expect(await attempt('alice', 'right-pw')).toBe('ok');
  });

  it('a success does not reset the hourly count', async () => {
    for (let round = 0; round < 3; round++) {
      await attempt('alice', 'x');
      await attempt('alice', 'x');
      expect(await attempt('alice', 'right-pw')).toBe('ok');
    }
    // 6 failures so far this hour; the 7th locks for an hour.
    expect(await attempt('alice', 'x')).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfter: 3_600 });
  });

  it('the attempts left are counted to whichever lock comes first, the short one or the hourly cap', async () => {
    for (let i = 0; i < 3; i++) await attempt('alice', 'x');
    now += 1_500;
    await attempt('alice', 'x');
    await attempt('alice', 'x');
    expect(await attempt('alice', 'right-pw')).toBe('ok');
    // 6 of the 7 failures an hour allows: one wrong password more locks for an hour, though the short rule would allow two.
    expect(await attempt('alice', 'x')).toMatchObject({ code: 'INVALID_CREDENTIALS', message: expect.stringContaining('1 attempt left') });
    expect(await attempt('alice', 'x')).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfter: 3_600 });
  });

  it('tokens: valid for their user until expiry or revocation; a password change revokes them', async () => {
    const { token, expiresAt } = await accounts.issueToken('alice');
    expect(expiresAt).toBe(now + 60_000);
    await expect(accounts.verifyToken('alice', token)).resolves.toBe('alice');
    await expect(accounts.verifyToken('ALICE', token)).resolves.toBe('alice');
    await expect(accounts.verifyToken('bob', token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    now += 60_000;
    await expect(accounts.verifyToken('alice', token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    now -= 60_000;
    const second = await accounts.issueToken('alice');
    await accounts.revokeTokenFamily(second.token);
    await expect(accounts.verifyToken('alice', second.token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    const third = await accounts.issueToken('alice');
    await accounts.setPassword('alice', 'new-one');
    await expect(accounts.verifyToken('alice', third.token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    expect(await attempt('alice', 'new-one')).toBe('ok');
  });

  it('tokens rotate: the replaced one works through the grace, then its use revokes the family', async () => {
    const { token: first } = await accounts.issueToken('alice', 600_000);
    const second = await accounts.rotateToken(first);
    // The family's lifetime, at most the policy's (60 s here), counted from the rotation.
    expect(second.expiresAt).toBe(now + 60_000);
    now += TOKEN_GRACE_MS - 1;
    await expect(accounts.verifyToken('alice', first)).resolves.toBe('alice');
    await expect(accounts.verifyToken('alice', second.token)).resolves.toBe('alice');
    // Inside the grace the replaced token still signs in, and gets a sibling.
    const sibling = await accounts.rotateToken(first);
    expect(sibling.token).not.toBe(second.token);
    now += 1;
    const reuse = await accounts.verifyToken('alice', first).catch((err: unknown) => err);
    expect(reuse).toBeInstanceOf(TokenReuseError);
    expect(reuse).toMatchObject({ code: 'INVALID_TOKEN', owner: 'alice', revoked: 3 });
    await expect(accounts.verifyToken('alice', second.token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    await expect(accounts.verifyToken('alice', sibling.token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });
});
