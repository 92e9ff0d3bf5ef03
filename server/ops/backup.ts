// `backup FILE`: a consistent copy of the SQLite store, taken while the server
// runs. The writer thread owns the only connection that writes; the backup opens
// its own connection and runs VACUUM INTO, which reads one snapshot (a WAL read
// transaction, so the writer never waits) and writes a compact, self-contained
// database file (rollback journal, no -wal or -shm needed to open it).
//
// VACUUM INTO rather than the online backup API: the backup API restarts its
// copy whenever another connection commits, so under a steady write load it may
// never finish; VACUUM INTO copies one snapshot in one statement.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from '../store/sqlite/connection';
import { DATABASE_FILE_MODE } from '../store/sqlite/file-modes';
import { SQLITE_FILE_NAME } from '../store/sqlite/index';

/** A backup that could not be made, with a message for the operator. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface BackupResult {
  /** The database that was copied. */
  source: string;
  /** The backup file written. */
  file: string;
  bytes: number;
}

function fsyncPath(file: string, flags: string): void {
  const fd = openSync(file, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a snapshot of `<dataDir>/chat.db` to `target` (mode 0600). Refuses an
 * existing `target` unless `overwrite`; the file appears complete or not at
 * all (written beside it, checked with `PRAGMA quick_check`, fsynced, then
 * renamed into place). Throws BackupError for the operator's mistakes.
 */
export function backupSqlite(dataDir: string, target: string, options: { overwrite?: boolean } = {}): BackupResult {
  const source = path.resolve(dataDir, SQLITE_FILE_NAME);
  const file = path.resolve(target);
  if (!existsSync(source)) throw new BackupError(`No database at ${source}: is --data right?`);
  if ([source, `${source}-wal`, `${source}-shm`].includes(file)) throw new BackupError('The backup file must not be the database itself');
  if (existsSync(file)) {
    if (!options.overwrite) throw new BackupError(`${file} exists; pass --force to replace it`);
    if (!statSync(file).isFile()) throw new BackupError(`${file} exists and is not a regular file`);
  }
  if (!existsSync(path.dirname(file))) throw new BackupError(`No directory ${path.dirname(file)}`);

  // VACUUM INTO accepts an existing empty file, which lets the backup be private from its first byte.
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.partial`);
  closeSync(openSync(partial, 'wx', DATABASE_FILE_MODE));
  try {
    // A read-write connection that never writes: a read-only one would leave
    // chat.db-wal and -shm behind when the server is not running.
    try {
      const db = new Database(source, { fileMustExist: true });
      try {
        db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
        db.prepare('VACUUM INTO ?').run(partial);
      } finally {
        db.close();
      }
    } catch (err) {
      // SQLite's own words ("file is not a database") name no file; say which one.
      if (err instanceof Database.SqliteError) throw new BackupError(`${source}: ${err.message}`);
      throw err;
    }
    const check = new Database(partial, { readonly: true, fileMustExist: true });
    try {
      const result = check.pragma('quick_check', { simple: true });
      if (result !== 'ok') throw new Error(`the copy failed its check (${String(result)})`);
    } finally {
      check.close();
    }
    fsyncPath(partial, 'r+');
    if (options.overwrite) {
      renameSync(partial, file);
    } else {
      // link() fails if the name was taken meanwhile: never replaces a file it was not asked to.
      try {
        linkSync(partial, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError(`${file} exists; pass --force to replace it`);
        throw err;
      }
      rmSync(partial, { force: true });
    }
    if (process.platform !== 'win32') fsyncPath(path.dirname(file), 'r');
    return { source, file, bytes: statSync(file).size };
  } finally {
    rmSync(partial, { force: true });
  }
}
