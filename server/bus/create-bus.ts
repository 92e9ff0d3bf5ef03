// Picks the bus: Redis when configured (several nodes), else the in-process one.
import type { ServerConfig } from '../config';
import type { Logger } from '../log';
import type { Bus } from './bus';
import { LocalBus } from './local';

/** `onLag` receives the publish-to-receive time (ms) of each event from another node. */
export async function createBus(config: ServerConfig, log: Logger, onLag?: (ms: number) => void): Promise<Bus> {
  if (!config.redisUrl) return new LocalBus();
  const { RedisBus } = await import('./redis');
  return new RedisBus({
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    sessionTtlMs: Math.round(config.sessionTtlSeconds * 1000),
    heartbeatMs: Math.round(config.clusterHeartbeatSeconds * 1000),
    onError: (err, context) => log.warn({ err, context }, 'redis bus problem'),
    ...(onLag ? { onLag } : {}),
  });
}
