// Password and token hashing. Passwords use scrypt at OWASP strength by default
// (N = 2^17, r = 8, p = 1), computed on libuv's thread pool so the event loop
// keeps serving other clients while a hash runs. The queue for the thread
// pool is bounded and fair between clients' addresses (see withHashSlot).
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { ErrorCode, ProtocolError } from '../protocol';

const KEY_LENGTH = 32;
const SALT_BYTES = 16;

/**
 * Hashes running at once, process-wide. One core is left to the event loop so
 * signed-in users stay responsive during a login storm (a production-cost hash
 * keeps a core busy for most of a second); further hashes wait.
 */
const MAX_CONCURRENT_HASHES = Math.max(1, os.availableParallelism() - 1);

/**
 * Who a hash is computed for, passed explicitly by the caller (not through an
 * async context, which would turn on promise hooks for every promise in the
 * process): the fairness key (the client's address) and the bound of the
 * waiting queue that caller accepts.
 */
export interface HashRequester {
  key: string;
  /** Waiting hashes beyond which this one is refused with SERVER_BUSY; 0 = no bound. */
  maxWaiting: number;
}

/**
 * Waiting hashes, one FIFO per requester key. The next hash comes from the key
 * served least recently (a key that waits for the first time goes first), so
 * many attempts from one address cannot push an attempt from another address
 * back by more than the hash already running. Work without a requester
 * (start-up import, adduser) shares the key "".
 */
interface Lane {
  waiters: (() => void)[];
  /** Value of `served` when this key last got a slot; 0 = never. */
  lastServed: number;
}
const lanes = new Map<string, Lane>();
/** Lanes remembered (idle ones included) before idle ones are forgotten. */
const MAX_LANES = 1024;
let served = 0;
let waitingCount = 0;
let running = 0;
/** Moving average of a hash's duration (ms), for the retryAfter of SERVER_BUSY. */
let averageHashMs = 300;

/** Seconds until a hash queued now would likely start, at least 1. */
function estimatedWaitSeconds(): number {
  return Math.max(1, Math.ceil((waitingCount * averageHashMs) / MAX_CONCURRENT_HASHES / 1000));
}

/**
 * The SERVER_BUSY error when a hash queued now would exceed `maxWaiting`
 * (0 = never), else null. Callers check it before doing other work for a sign-in.
 */
export function hashQueueBusy(maxWaiting: number): ProtocolError | null {
  if (maxWaiting <= 0 || waitingCount < maxWaiting) return null;
  const seconds = estimatedWaitSeconds();
  return new ProtocolError(ErrorCode.SERVER_BUSY, `The server is busy checking other sign-ins. Try again in ${seconds} s.`, seconds);
}

function nextWaiter(): (() => void) | undefined {
  let pick: Lane | undefined;
  for (const lane of lanes.values()) {
    if (lane.waiters.length > 0 && (!pick || lane.lastServed < pick.lastServed)) pick = lane;
  }
  if (!pick) return undefined;
  waitingCount--;
  pick.lastServed = ++served;
  return pick.waiters.shift();
}

function enqueue(key: string, resolve: () => void): void {
  let lane = lanes.get(key);
  if (!lane) {
    if (lanes.size >= MAX_LANES) for (const [k, l] of lanes) if (l.waiters.length === 0) lanes.delete(k);
    lanes.set(key, (lane = { waiters: [], lastServed: 0 }));
  }
  lane.waiters.push(resolve);
  waitingCount++;
}

async function withHashSlot<T>(who: HashRequester | undefined, work: () => Promise<T>): Promise<T> {
  if (running < MAX_CONCURRENT_HASHES) running++;
  else {
    const busy = hashQueueBusy(who?.maxWaiting ?? 0);
    if (busy) throw busy;
    await new Promise<void>((resolve) => enqueue(who?.key ?? '', resolve));
  }
  const started = performance.now();
  try {
    return await work();
  } finally {
    averageHashMs = averageHashMs * 0.8 + (performance.now() - started) * 0.2;
    // Hand the slot straight to the next waiter, or give it back.
    const next = nextWaiter();
    if (next) next();
    else running--;
  }
}

/** Hashes waiting for a slot right now, process-wide (the hash queue depth metric). */
export function hashQueueDepth(): number {
  return waitingCount;
}

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions, who: HashRequester | undefined): Promise<Buffer> {
  return withHashSlot(
    who,
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

/**
 * Hashes a password as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<key b64>`. The hash
 * waits for a slot in `who`'s lane (none: start-up work, the shared lane "").
 */
export async function hashPassword(password: string, logN: number, who?: HashRequester): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const r = 8;
  const p = 1;
  const key = await scryptAsync(password.normalize('NFC'), salt, optionsFor(logN, r, p), who);
  return `scrypt$${logN}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Verifies against a stored hash in constant time, queued as `who` (see hashPassword). A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string, who?: HashRequester): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, logN, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64');
  const n = Number(logN);
  if (!Number.isInteger(n) || n < 1 || n > 24 || expected.length !== KEY_LENGTH) return false;
  const key = await scryptAsync(password.normalize('NFC'), Buffer.from(saltB64, 'base64'), optionsFor(n, Number(r), Number(p)), who);
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
