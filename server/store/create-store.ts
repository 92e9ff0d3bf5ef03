// Picks the storage backend from the configuration and opens it ready to use
// (each backend's open function creates or upgrades its schema). Backends other
// than the default are imported lazily so an embedded server never loads `pg`.
import type { ServerConfig } from '../config';
import { createLogger, type Logger } from '../log';
import type { Store } from './store';

/** `log` receives what a backend reports outside any call (the SQLite writer thread dying); default: a logger at config.logLevel. */
export async function createStore(config: ServerConfig, log?: Pick<Logger, 'error'>): Promise<Store> {
  switch (config.store) {
    case 'memory': {
      const { MemoryStore } = await import('./memory/index');
      return MemoryStore.open();
    }
    case 'postgres': {
      const { openPostgresStore } = await import('./postgres/index');
      return openPostgresStore({ url: config.postgresUrl!, schema: config.postgresSchema });
    }
    case 'sqlite': {
      const { openSqliteStore } = await import('./sqlite/index');
      return openSqliteStore({
        dataDir: config.dataDir,
        log: log ?? { error: (details, message) => createLogger(config.logLevel, config.logFormat).error(details, message) },
      });
    }
  }
}
