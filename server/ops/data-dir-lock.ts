// One server per data directory: a server started by the CLI or the desktop app
// holds `server.pid` in its data directory (created exclusively, holding its pid,
// as PostgreSQL's postmaster.pid) until it stops. The admin commands never take
// it: they are meant to run beside the server.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR_MODE, DATABASE_FILE_MODE } from '../store/sqlite/file-modes';

/** Name of the lock file in the data directory. */
export const LOCK_FILE_NAME = 'server.pid';

/** Another live process holds the data directory. `code` lets callers that only import types recognise it. */
export class DataDirInUseError extends Error {
  readonly code = 'DATA_DIR_IN_USE';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    // pid 0: a starter that won a race has not written its pid yet.
    super(`another server${pid > 0 ? ` (pid ${pid})` : ''} is using ${dataDir}`);
  }
}

/** The pid written in `file`, or null when it holds no valid pid (an empty or torn file counts as stale). */
function pidIn(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const pid = Number(text.trim().split('\n')[0]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** Whether a process with `pid` exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock of `dataDir` (created 0700 when missing) and returns the
 * function that gives it back (idempotent; it removes the file only while it
 * still holds this process's pid). A lock left by a process that is gone (a
 * kill -9, a crash) or by this very process (a container whose server is always
 * pid 1) is taken over. Throws DataDirInUseError when another live process holds it.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  const file = path.join(dataDir, LOCK_FILE_NAME);
  // Two tries: the second follows the removal of a stale lock (a racing starter may win it).
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', DATABASE_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = pidIn(file);
      if (holder !== null && holder !== process.pid && alive(holder)) throw new DataDirInUseError(dataDir, holder);
      if (attempt > 0) throw new DataDirInUseError(dataDir, holder ?? 0);
      try {
        unlinkSync(file);
      } catch (unlinkErr) {
        if ((unlinkErr as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkErr;
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (pidIn(file) === process.pid) unlinkSync(file);
    };
  }
}
