// The messages between the main thread and the SQLite writer thread, and how an
// error crosses between them (as plain data: name, message, SQLite code).
import { SchemaTooNewError } from './migrations';
import type { SqliteSettings } from './connection';
import type { WriteBatchStats } from './write-batch';

/** workerData of the writer thread. */
export interface WriterData {
  /** Path of chat.db. */
  file: string;
  /** Queued writes that force a flush before the writer thread's turn ends. */
  maxBatch: number;
}

/**
 * Main thread → writer thread. Messages are handled in the order they were posted.
 * A turn's jobs travel flat, as [op, args, op, args, …]: one array of plain values
 * is cheaper to clone than an object per job. Jobs carry no ids: the writer settles
 * them in the order they were posted, and the main thread matches results by order.
 */
export type ToWriter = { type: 'jobs'; jobs: unknown[] } | { type: 'close' };

/** Writer thread → main thread. */
export type FromWriter =
  | { type: 'ready'; settings: SqliteSettings }
  | { type: 'failed'; error: WireError }
  /**
   * The next `values.length` jobs, in posted order, whose transaction has finished
   * (committed, or failed as a whole), with the counters after it: values[i] is the
   * result of the i-th; `failures` lists [i, error] for those that failed (their value is null).
   */
  | { type: 'settled'; values: unknown[]; failures: [number, WireError][]; stats: WriteBatchStats }
  /** Sent last: every job was settled, the WAL checkpointed and the connection closed. */
  | { type: 'closed' };

export interface WireError {
  name: string;
  message: string;
  /** SQLite's extended result code (SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_FULL, …) when SQLite raised it. */
  code?: string;
  /** Present for SchemaTooNewError, which callers tell apart by class. */
  schema?: { file: string; found: number; supported: number };
}

export function toWireError(error: unknown): WireError {
  if (error instanceof SchemaTooNewError) {
    return { name: error.name, message: error.message, schema: { file: error.file, found: error.found, supported: error.supported } };
  }
  if (error instanceof Error) {
    const wire: WireError = { name: error.name, message: error.message };
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') wire.code = code;
    return wire;
  }
  return { name: 'Error', message: String(error) };
}

/** Rebuilds an error on this side; its stack is this thread's (the caller's), which is the useful one. */
export function fromWireError(wire: WireError): Error {
  if (wire.schema) return new SchemaTooNewError(wire.schema.file, wire.schema.found, wire.schema.supported);
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.code !== undefined) Object.assign(error, { code: wire.code });
  return error;
}
