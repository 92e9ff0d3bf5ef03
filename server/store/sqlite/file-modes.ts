// File permissions of the SQLite store: chat.db holds password hashes and every
// message, so its directory is created 0700 and the database files are 0600.
// SQLite gives -wal and -shm the mode of chat.db, so fixing chat.db fixes them.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Mode of a data directory this code creates. */
export const DATA_DIR_MODE = 0o700;
/** Mode of chat.db, its -wal and -shm, and backups. */
export const DATABASE_FILE_MODE = 0o600;

/** The files SQLite keeps for the database at `file`. */
export function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}

/** Removes group and other permission bits from `file` if it exists and has any. */
export function restrictToOwner(file: string): void {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return;
  }
  if ((mode & 0o077) !== 0) chmodSync(file, mode & 0o700);
}

/**
 * Makes sure the database at `file` can be opened privately: creates missing
 * directories 0700, creates chat.db empty with mode 0600 when missing (SQLite
 * treats an empty file as a new database) and takes group/other access away
 * from an existing chat.db, -wal and -shm. An existing directory keeps its mode
 * (it may be shared on purpose; the files in it are private either way).
 * POSIX only: on Windows the files inherit the folder's ACL.
 */
export function prepareDatabaseFiles(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: DATA_DIR_MODE });
  if (process.platform === 'win32') return;
  // 'a': create when missing, never truncate. The mode applies only on creation (and through the umask).
  closeSync(openSync(file, 'a', DATABASE_FILE_MODE));
  for (const f of databaseFiles(file)) restrictToOwner(f);
}
