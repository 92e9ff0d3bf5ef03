// Opens chat.db the two ways the store uses it: the writer thread's connection
// (durable pragmas, schema upgrades) and the main thread's read-only one.
import Database from 'better-sqlite3';
import { applyMigrations, LATEST_SCHEMA_VERSION, readSchemaVersion, SchemaTooNewError } from './migrations';

/** How long a statement waits for another connection's lock before failing, in ms. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Page size of files this code creates, in bytes (SQLite's default). 32 KiB pages
 * once paid off when a fan-out wrote one row per recipient; since messages are one
 * stream (one row whatever the audience) the heavy writes are private messages, and
 * each of those lands on a scattered leaf of the per-conversation index (messages_private;
 * until schema version 15 also of messages_inbox): a commit of 200 of them dirties some 200-400 leaves, and every dirty
 * page is copied, checksummed and written whole to the WAL. With 4 KiB pages the
 * CPU of inserting a private message (200 per commit, synchronous=FULL, as the
 * statement timings of tests/bench/sqlite-writes.ts run them) went from ~60 to ~35 µs.
 * A file created with another page size keeps it (only VACUUM changes it).
 */
export const NEW_FILE_PAGE_SIZE = 4096;

/**
 * WAL size (in bytes) that triggers an automatic checkpoint. SQLite's default is
 * 1000 pages; a busy fan-out fills that every few commits, and each checkpoint
 * copies pages into chat.db and fsyncs it. Checkpointing less often lets one copy
 * cover many rewrites of the same hot pages: 9.7 → 6.5 ms of CPU per 1000-recipient
 * message in the micro benchmark. close() still truncates the WAL.
 * (A larger cache_size was measured too and made no difference, so it stays default.)
 */
const WAL_AUTOCHECKPOINT_BYTES = 64 * 1024 * 1024;

/** Connection settings as SQLite reports them (for startup logs and tests). */
export interface SqliteSettings {
  /** 'wal' once opened. */
  journalMode: string;
  /** 2 = FULL: every commit is fsynced before it returns. */
  synchronous: number;
  foreignKeys: boolean;
  busyTimeoutMs: number;
  schemaVersion: number;
}

/**
 * Opens the one connection that writes: checks the schema version before
 * touching the file, switches to WAL with synchronous=FULL and foreign keys,
 * and applies pending migrations.
 * Throws SchemaTooNewError, leaving the file byte-for-byte as it was, when it
 * was written by a newer release; throws on any other failure (closing the connection).
 */
export function openWriterConnection(file: string): Database.Database {
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Check before any pragma that writes to the file: a newer file stays byte-for-byte as it was.
    const found = readSchemaVersion(db);
    if (found > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(file, found, LATEST_SCHEMA_VERSION);
    // Takes effect only while the file is still empty (it is fixed by the first write, which the WAL switch is).
    db.pragma(`page_size = ${NEW_FILE_PAGE_SIZE}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite refused WAL mode for ${file} (journal_mode is ${String(mode)})`);
    // FULL: a resolved write survives a power cut (the server acknowledges only after commit).
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    db.pragma(`wal_autocheckpoint = ${Math.max(1000, Math.floor(WAL_AUTOCHECKPOINT_BYTES / pageSize))}`);
    applyMigrations(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens a read-only connection to a file the writer has already opened (so it
 * exists, is in WAL mode and is migrated). In WAL mode it never waits for the
 * writer, and each statement outside a transaction sees every commit that
 * returned before it started.
 */
export function openReaderConnection(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** What SQLite reports for `db` (the writer's view: synchronous and foreign_keys are per connection). */
export function readSettings(db: Database.Database): SqliteSettings {
  return {
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    synchronous: Number(db.pragma('synchronous', { simple: true })),
    foreignKeys: db.pragma('foreign_keys', { simple: true }) === 1,
    busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })),
    schemaVersion: readSchemaVersion(db),
  };
}
