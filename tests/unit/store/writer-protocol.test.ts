// Errors crossing the SQLite writer thread boundary: plain data there, the right Error here.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SchemaTooNewError } from '../../../server/store/sqlite/migrations';
import { fromWireError, toWireError } from '../../../server/store/sqlite/writer-protocol';

/** What postMessage does to a value. */
const cloned = <T>(value: T): T => structuredClone(value);

describe('writer errors across threads', () => {
  it('keep the SQLite code, name and message of a SqliteError', () => {
    const db = new Database(':memory:');
    let thrown: unknown;
    try {
      db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1);');
    } catch (error) {
      thrown = error;
    } finally {
      db.close();
    }
    const rebuilt = fromWireError(cloned(toWireError(thrown)));
    expect(rebuilt).toBeInstanceOf(Error);
    expect(rebuilt.name).toBe('SqliteError');
    expect(rebuilt.message).toMatch(/UNIQUE constraint failed: t\.x/);
    expect((rebuilt as Error & { code?: string }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
  });

  it('rebuild SchemaTooNewError as its class, with its fields', () => {
    const rebuilt = fromWireError(cloned(toWireError(new SchemaTooNewError('/x/chat.db', 9, 2))));
    expect(rebuilt).toBeInstanceOf(SchemaTooNewError);
    expect(rebuilt).toMatchObject({ file: '/x/chat.db', found: 9, supported: 2 });
    expect(rebuilt.message).toMatch(/newer release/);
  });

  it('turn a thrown non-Error into a message', () => {
    expect(fromWireError(cloned(toWireError('plain string'))).message).toBe('plain string');
    expect(fromWireError(cloned(toWireError(new TypeError('bad')))).name).toBe('TypeError');
  });
});
