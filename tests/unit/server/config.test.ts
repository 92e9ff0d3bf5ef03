// Configuration: defaults, validation, contradictions rejected, frozen result.
import { describe, expect, it } from 'vitest';
import { ConfigError, optionsFromEnv, resolveConfig, type ServerOptions } from '../../../server/config';

describe('resolveConfig', () => {
  it('fills documented defaults and freezes the result', () => {
    const c = resolveConfig({ dataDir: '/tmp/x' });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 4000,
      wsPort: 4001,
      store: 'sqlite',
      maxAttempts: 3,
      lockoutSeconds: 60,
      hashCost: 17,
      rateLimit: 20,
      rateBurst: 40,
      allowRegister: false,
      loginTimeoutSeconds: 30,
      signInBudgetPerAddress: 30,
      signInBudgetTotal: 600,
      maxHashQueue: 100,
      maxConnectionsPerAddress: 256,
      maxUnauthenticatedPerAddress: 64,
      maxUnauthenticated: 1024,
      quotaBytes: 1024 * 1024 * 1024,
      blobStore: 'default',
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('a PostgreSQL URL implies the postgres store', () => {
    expect(resolveConfig({ postgresUrl: 'postgres://x/y' }).store).toBe('postgres');
    expect(resolveConfig({ postgresUrl: 'postgres://x/y', redisUrl: 'redis://r' }).redisUrl).toBe('redis://r');
  });

  it.each<[string, ServerOptions, RegExp]>([
    ['redis without postgres', { redisUrl: 'redis://r' }, /--redis needs --postgres/],
    ['postgres store without URL', { store: 'postgres' }, /--store postgres needs --postgres URL/],
    ['same TCP and WS port', { port: 5000, wsPort: 5000 }, /must differ/],
    ['no listener', { port: null, wsPort: null }, /At least one of --port and --ws-port/],
    ['unknown option', { colour: 'red' } as ServerOptions, /unexpected field\(s\): colour/],
    // Named by the flag (and its environment variable) the operator set, then the option's key.
    ['hash cost too low', { hashCost: 3 }, /^Invalid configuration: --hash-cost: Too small.*\(hashCost\)$/],
    ['negative rate', { rateLimit: -1 }, /rateLimit/],
    ['port out of range', { port: 70000 }, /^Invalid configuration: --port \(env CHAT_PORT\): Too big/],
    ['unknown store', { store: 'floppy' } as unknown as ServerOptions, /store/],
    ['bad schema name', { postgresSchema: 'Drop Table' }, /--postgres-schema: .*\(postgresSchema\)/],
    ['S3 blobs without a bucket', { blobStore: 's3' }, /--blob-store s3 needs --s3-bucket/],
    ['a bucket without --blob-store s3', { s3Bucket: 'uploads' }, /go with --blob-store s3/],
    ['a negative quota', { quotaBytes: -1 }, /--quota-mib \(env CHAT_QUOTA_MIB\): .*\(quotaBytes\)/],
  ])('rejects %s', (_name, options, message) => {
    expect(() => resolveConfig(options)).toThrow(ConfigError);
    expect(() => resolveConfig(options)).toThrow(message);
  });

  it('allows both ports 0 (each picks a free one)', () => {
    expect(resolveConfig({ port: 0, wsPort: 0 })).toMatchObject({ port: 0, wsPort: 0 });
  });
});

describe('optionsFromEnv', () => {
  it('reads CHAT_* variables and ignores empty ones', () => {
    expect(optionsFromEnv({ CHAT_PORT: '5000', CHAT_WS_PORT: '', CHAT_LOG_LEVEL: 'warn', CHAT_DATA_DIR: '/d' })).toEqual({
      port: 5000,
      logLevel: 'warn',
      dataDir: '/d',
    });
    expect(optionsFromEnv({})).toEqual({});
    expect(optionsFromEnv({ CHAT_QUOTA_MIB: '0.5', CHAT_BLOB_STORE: 's3', CHAT_S3_BUCKET: 'b', CHAT_S3_ENDPOINT: 'http://127.0.0.1:9000' })).toEqual({
      quotaBytes: 512 * 1024,
      blobStore: 's3',
      s3Bucket: 'b',
      s3Endpoint: 'http://127.0.0.1:9000',
    });
  });

  it('names a numeric variable that holds no number', () => {
    expect(() => optionsFromEnv({ CHAT_PORT: 'abc' })).toThrow(new ConfigError('CHAT_PORT=abc is not a number'));
    expect(() => optionsFromEnv({ CHAT_AUDIT_DAYS: '7 days' })).toThrow(new ConfigError('CHAT_AUDIT_DAYS=7 days is not a number'));
  });
});
