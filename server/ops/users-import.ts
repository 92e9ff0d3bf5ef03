// Imports the `--users` file at start without paying one scrypt verification per
// user on every restart. Verifying a password costs as much as hashing it
// (~0.3 s at the default cost, one at a time on a 2-core machine), so a file of
// ten users added seconds to each start although nothing had changed.
//
// After an import this module records, in the data directory, the file's
// identity (device, inode, size, mtime, ctime) and a digest of each user's stored
// hash. At the next start, when the file's identity is the same, a user whose
// stored hash is still the recorded one has the file's password: it was
// verified (or set) against this very file and nothing has replaced it since.
// Security: the record holds no password-derived value an attacker could test
// guesses against quickly (only digests of the salted scrypt hashes), and any
// change to the file (ctime cannot be set back without changing the clock) or to
// a user's hash (adduser --update, a password change) means a full verification.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log';
import { parseUsersFile, type AccountService } from '../services/accounts';
import type { Store } from '../store/store';

/** File in the data directory holding what the last import saw. */
export const IMPORT_STATE_FILE = 'users-import.json';

const ImportState = z.object({
  version: z.literal(1),
  file: z.string(),
  identity: z.string(),
  /** username → digest of the stored hash after the import. */
  users: z.record(z.string(), z.string()),
});
type ImportState = z.infer<typeof ImportState>;

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
  /** Of `unchanged`, how many needed no verification (file and hash as last recorded). */
  skipped: number;
}

/** What identifies one version of the file: any write changes mtime and ctime. */
async function identityOf(file: string): Promise<string> {
  const s = await stat(file, { bigint: true });
  return [s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs].join(':');
}

function digest(storedHash: string): string {
  return createHash('sha256').update(storedHash).digest('base64url');
}

async function readState(stateFile: string): Promise<ImportState | null> {
  try {
    const parsed = ImportState.safeParse(JSON.parse(await readFile(stateFile, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function writeState(stateFile: string, state: ImportState): Promise<void> {
  await mkdir(path.dirname(stateFile), { recursive: true, mode: 0o700 });
  const tmp = `${stateFile}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
  await rename(tmp, stateFile);
}

/**
 * Imports `file` (see AccountService.importUsersFile), skipping the verification
 * of users that provably have the file's password. `stateDir` holds the record;
 * when it cannot be written the import still succeeds and the next start
 * verifies everyone.
 */
export async function importUsersAtStart(
  accounts: AccountService,
  store: Store,
  file: string,
  stateDir: string,
  log: Pick<Logger, 'debug'>,
): Promise<ImportCounts> {
  const stateFile = path.join(stateDir, IMPORT_STATE_FILE);
  const before = await identityOf(file);
  const state = await readState(stateFile);
  const trusted = state !== null && state.file === path.resolve(file) && state.identity === before ? state.users : null;
  let skipped = 0;
  const knownUnchanged = (username: string, storedHash: string): boolean => {
    const ok = trusted !== null && Object.hasOwn(trusted, username) && trusted[username] === digest(storedHash);
    if (ok) skipped++;
    return ok;
  };
  let counts = await accounts.importUsersFile(file, knownUnchanged);
  const text = await readFile(file, 'utf8');
  const after = await identityOf(file);
  if (after !== before) {
    // The file changed while it was imported: what was skipped may not hold for
    // the text that was read. Import again, verifying everyone, and record nothing.
    log.debug({ file }, 'users file changed during import; verifying every entry');
    counts = await accounts.importUsersFile(file);
    return { ...counts, skipped: 0 };
  }
  // A password change racing with this loop (adduser --update from another
  // process, within these few milliseconds) would be recorded as the file's: the
  // newer password then survives the next restart instead of being reset to the
  // file's. Harmless, and not worth a store API for reading hashes atomically.
  const users: Record<string, string> = {};
  for (const { username } of parseUsersFile(text, file)) {
    const user = await store.accounts.getUser(username);
    if (user) users[username] = digest(user.passwordHash);
  }
  try {
    await writeState(stateFile, { version: 1, file: path.resolve(file), identity: after, users });
  } catch (err) {
    log.debug({ err: (err as Error).message, stateFile }, 'could not record the users import; the next start verifies every entry');
  }
  return { ...counts, skipped };
}
