// Password and token hashing. Passwords use scrypt at OWASP strength by default
// (N = 2^17, r = 8, p = 1), computed on libuv's thread pool so the event loop
// keeps serving other clients while a hash runs.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import os from 'node:os';

const KEY_LENGTH = 32;
const SALT_BYTES = 16;

/**
 * Hashes running at once, process-wide. One core is left to the event loop so
 * signed-in users stay responsive during a login storm (a production-cost hash
 * keeps a core busy for most of a second); further hashes wait in arrival order.
 */
const MAX_CONCURRENT_HASHES = Math.max(1, os.availableParallelism() - 1);
let running = 0;
const waiting: (() => void)[] = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running < MAX_CONCURRENT_HASHES) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next waiter, or give it back.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** Hashes waiting for a slot right now, process-wide (the hash queue depth metric). */
export function hashQueueDepth(): number {
  return waiting.length;
}

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return withHashSlot(
    () =>
      new Promise((resolve, reject) => {
        scrypt(password, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
      }),
  );
}

function optionsFor(logN: number, r: number, p: number): ScryptOptions {
  const N = 2 ** logN;
  // Node refuses work above maxmem (default 32 MiB); N=2^17, r=8 needs 128 MiB.
  return { N, r, p, maxmem: 128 * N * r * p + 16 * 1024 * 1024 };
}

/** Hashes a password as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<key b64>`. */
export async function hashPassword(password: string, logN: number): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const r = 8;
  const p = 1;
  const key = await scryptAsync(password.normalize('NFC'), salt, optionsFor(logN, r, p));
  return `scrypt$${logN}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Verifies against a stored hash in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, logN, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64');
  const n = Number(logN);
  if (!Number.isInteger(n) || n < 1 || n > 24 || expected.length !== KEY_LENGTH) return false;
  const key = await scryptAsync(password.normalize('NFC'), Buffer.from(saltB64, 'base64'), optionsFor(n, Number(r), Number(p)));
  return timingSafeEqual(key, expected);
}

/** A new sign-in token: 256 random bits, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are stored only as SHA-256 digests: they are random, so a slow hash adds nothing. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
