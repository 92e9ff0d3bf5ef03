// Picks the storage backend from the configuration. Backends other than the
// default are imported lazily so an embedded server never loads `pg`.
import type { ServerConfig } from '../config';
import type { Store } from './store';

export async function createStore(config: ServerConfig): Promise<Store> {
  switch (config.store) {
    case 'memory': {
      const { MemoryStore } = await import('./memory/index');
      const store = new MemoryStore();
      await store.migrate();
      return store;
    }
    case 'postgres': {
      const { openPostgresStore } = await import('./postgres/index');
      return openPostgresStore({ url: config.postgresUrl!, schema: config.postgresSchema });
    }
    case 'sqlite': {
      const { openSqliteStore } = await import('./sqlite/index');
      const store = openSqliteStore({ dataDir: config.dataDir });
      await store.migrate();
      return store;
    }
  }
}
