// Picks the storage backend from the configuration and opens it ready to use
// (each backend's open function creates or upgrades its schema). Backends other
// than the default are imported lazily so an embedded server never loads `pg`.
import path from 'node:path';
import type { ServerConfig } from '../config';
import { createLogger, type Logger } from '../log';
import type { BlobStore } from './file-store';
import type { Store } from './store';

/**
 * `log` receives what a backend reports outside any call (the SQLite writer
 * thread dying); default: a logger at config.logLevel. With --blob-store s3
 * the bytes of uploads live in the bucket; everything else in the backend.
 */
export async function createStore(config: ServerConfig, log?: Pick<Logger, 'error'>): Promise<Store> {
  const store = await openBackend(config, log);
  if (config.blobStore !== 's3') return store;
  const { S3BlobStore } = await import('./blobs/s3');
  return withBlobStore(store, new S3BlobStore({ bucket: config.s3Bucket!, endpoint: config.s3Endpoint, region: config.s3Region }));
}

/** `store` with its bytes in `blobs` (closed after the store); the backend's other members, extras included, are its own. */
function withBlobStore(store: Store, blobs: BlobStore & { close(): void }): Store {
  return new Proxy(store, {
    get(obj, prop, receiver) {
      if (prop === 'blobs') return blobs;
      if (prop === 'close') {
        return async () => {
          try {
            await obj.close();
          } finally {
            blobs.close();
          }
        };
      }
      const value: unknown = Reflect.get(obj, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
    },
  });
}

async function openBackend(config: ServerConfig, log?: Pick<Logger, 'error'>): Promise<Store> {
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
      const { openSqliteStore, SQLITE_FILE_NAME } = await import('./sqlite/index');
      return openSqliteStore({
        dataDir: config.dataDir,
        log: log ?? { error: (details, message) => createLogger(config.logLevel, config.logFormat).error(details, message) },
      }).catch((err: unknown) => {
        // SQLite's own words ("file is not a database") name no file; say which one.
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('SQLITE_')) {
          throw new Error(`${path.join(config.dataDir, SQLITE_FILE_NAME)}: ${(err as Error).message}`, { cause: err });
        }
        throw err;
      });
    }
  }
}
