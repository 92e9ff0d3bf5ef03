// The SQLite store's public face: open it, and the error a too-new file raises.
export { openSqliteStore, SqliteStore, SQLITE_FILE_NAME } from './sqlite-store';
export { SchemaTooNewError, LATEST_SCHEMA_VERSION } from './migrations';
