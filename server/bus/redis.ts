// Bus for a cluster of server nodes sharing one Redis: session claims are keys
// with a TTL that their node keeps refreshing, events travel on one pub/sub
// channel, and a periodic sweep announces users of dead nodes as offline.
//
// Keys (all under keyPrefix, default "chat:"):
//   session:<user>  -> nodeId of the holder, PX sessionTtlMs, refreshed every heartbeat
//   online          -> set of usernames with a claim (may briefly hold dead ones; reads check session keys)
//   node:<nodeId>   -> this node's liveness, PX sessionTtlMs
//   sweep-lock      -> SET NX by the node that sweeps this round, PX heartbeatMs
//   events          -> the pub/sub channel
//
// MUST: only the holder of a claim extends or deletes it (checked inside Lua).
// MUST: a node that stops heartbeating loses its claims within sessionTtlMs, and
//       its users are announced offline within sessionTtlMs + heartbeatMs.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { serviceAddress } from '../config';
import { ErrorCode, ProtocolError } from '../protocol';
import type { Bus, BusEvent } from './bus';
import { decodeEnvelope, encodeEnvelope, SWEEPER_ORIGIN } from './redis-codec';
import { CLAIM, REFRESH, RELEASE, SWEEP } from './redis-scripts';

export interface RedisBusOptions {
  /** Redis URL, e.g. redis://127.0.0.1:6379 or rediss://user:pass@host:6380/0. */
  url: string;
  /** How long a claim outlives its node's last heartbeat, in ms. Default 10_000 (the server passes --session-ttl-seconds, default 8 s). */
  sessionTtlMs?: number;
  /** Interval of claim refresh and dead-node sweep, in ms; must be below sessionTtlMs. Default 3_000 (the server passes --cluster-heartbeat-seconds, default 2 s). */
  heartbeatMs?: number;
  /** Prefix of every key and of the channel. Default "chat:". Tests use a random one each. */
  keyPrefix?: string;
  /**
   * Called with background failures (heartbeat, sweep, a bad bus message, a
   * throwing handler) that have no caller to reject. Default: ignored.
   */
  onError?: (err: Error, context: string) => void;
  /** Called with the publish-to-receive time (ms) of each event from another node (the bus lag metric). Default: ignored. */
  onLag?: (ms: number) => void;
}

/** Most claims refreshed by one script call, so one call never blocks Redis for long. */
const REFRESH_BATCH = 500;

/**
 * How long a command sent to Redis waits for its answer before it fails (a
 * Redis that accepts connections but does not answer). Before, a request that
 * needed Redis (a sign-in, a message, whoelse) waited through ioredis's
 * reconnect retries, up to about 20 s, while Redis was down. /readyz gives
 * the bus as long.
 */
const COMMAND_TIMEOUT_MS = 2_000;
/** The retryAfter (s) of a request refused while Redis is unreachable. */
const UNREACHABLE_RETRY_S = 5;
/**
 * How long a readiness ping waits (ms): below the 2 s /readyz gives the bus, so a Redis that
 * accepts connections but does not answer is named here rather than by the generic timeout.
 */
const PING_TIMEOUT_MS = 1_500;

/** Socket errors in an operator's words; anything else reads as the connection being down. */
const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * Why Redis cannot be reached, from the last error of the connection (ioredis's own messages,
 * such as "Connection is closed.", say nothing an operator can act on). Never holds the URL.
 */
function unreachableReason(lastError: Error | null): string {
  // A connection that closed without an error (Redis stopped, or the peer closed it) was lost:
  // start() succeeded, so it had been up.
  if (lastError === null) return 'connection lost';
  const code = (lastError as NodeJS.ErrnoException).code;
  if (code !== undefined && SOCKET_REASONS[code]) return SOCKET_REASONS[code];
  if (/^(WRONGPASS|NOAUTH)\b/.test(lastError.message)) return 'authentication failed (check the user and password of the Redis URL)';
  return 'connection lost';
}

export class RedisBus implements Bus {
  readonly nodeId = randomUUID();
  readonly singleNode = false;
  private claimLostHandler: ((username: string) => void) | undefined;
  private resubscribedHandler: (() => void) | undefined;
  private readonly url: string;
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;
  private readonly prefix: string;
  private readonly onError: (err: Error, context: string) => void;
  private readonly onLag: (ms: number) => void;
  private readonly channel: string;
  private readonly onlineKey: string;
  /** Usernames this node holds a claim for. */
  private readonly claims = new Set<string>();
  private commands: Redis | null = null;
  private subscriber: Redis | null = null;
  private handler: ((event: BusEvent) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The heartbeat in flight, so ticks never overlap and close() can wait for it. */
  private tick: Promise<void> | null = null;
  private state: 'new' | 'running' | 'closed' = 'new';
  /** The commands connection's last error since it was last ready (why Redis is unreachable), or null. */
  private lastError: Error | null = null;

  constructor(options: RedisBusOptions) {
    this.url = options.url;
    this.ttlMs = options.sessionTtlMs ?? 10_000;
    this.heartbeatMs = options.heartbeatMs ?? 3_000;
    this.prefix = options.keyPrefix ?? 'chat:';
    this.onError = options.onError ?? (() => undefined);
    this.onLag = options.onLag ?? (() => undefined);
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 10) throw new Error(`sessionTtlMs must be an integer >= 10, got ${this.ttlMs}`);
    if (!(this.heartbeatMs > 0 && this.heartbeatMs < this.ttlMs)) {
      throw new Error(`heartbeatMs (${this.heartbeatMs}) must be positive and below sessionTtlMs (${this.ttlMs})`);
    }
    this.channel = `${this.prefix}events`;
    this.onlineKey = `${this.prefix}online`;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('RedisBus.start() may be called once');
    this.state = 'running';
    // While Redis is unreachable a command fails at once instead of waiting in
    // ioredis's offline queue: a queued command would still run once Redis is
    // back, long after its request was answered (a sign-in refused then would
    // leave a claim behind that locks the user out for a TTL). For the same
    // reason commands in flight when the connection broke are not sent again.
    const commands = new Redis(this.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    // The subscriber's only commands are its subscriptions, renewed by resubscribe() after a reconnect.
    const subscriber = commands.duplicate({ commandTimeout: undefined, autoResubscribe: false, enableOfflineQueue: true });
    this.commands = commands;
    this.subscriber = subscriber;
    commands.on('error', (err: Error) => {
      this.lastError = err;
      this.onError(err, 'redis commands connection');
    });
    commands.on('ready', () => (this.lastError = null));
    subscriber.on('error', (err: Error) => this.onError(err, 'redis subscriber connection'));
    subscriber.on('message', (_channel: string, payload: string) => this.receive(payload));
    try {
      await Promise.all([commands.connect(), subscriber.connect()]);
      await subscriber.subscribe(this.channel);
      await commands.set(this.nodeKey(), String(Date.now()), 'PX', this.ttlMs);
      subscriber.on('ready', () => void this.resubscribe(subscriber));
    } catch (err) {
      this.state = 'closed';
      commands.disconnect();
      subscriber.disconnect();
      // ioredis says only "Connection is closed."; name the service and where it was sought.
      throw new Error(`Redis at ${serviceAddress(this.url, 6379)}: ${(err as Error).message}`, { cause: err });
    }
    this.timer = setInterval(() => {
      if (this.tick === null) this.tick = this.heartbeat().finally(() => (this.tick = null));
    }, this.heartbeatMs);
    // The listeners keep a server alive; the heartbeat alone should not.
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'closed';
      return;
    }
    this.state = 'closed';
    if (this.timer) clearInterval(this.timer);
    await this.tick;
    const commands = this.commands;
    if (commands === null) return;
    try {
      const pipeline = commands.pipeline();
      for (const user of this.claims) pipeline.eval(RELEASE, 2, this.sessionKey(user), this.onlineKey, this.nodeId, user);
      pipeline.del(this.nodeKey());
      await pipeline.exec();
    } catch (err) {
      // Unreleased claims still expire after sessionTtlMs.
      this.onError(err as Error, 'releasing claims on close');
    }
    this.claims.clear();
    await Promise.all([commands.quit().catch(() => undefined), this.subscriber?.quit().catch(() => undefined)]);
  }

  /**
   * Rejects with `Redis at HOST:PORT is unreachable: REASON` (no credentials) when Redis is
   * down, refuses, or gives no answer within PING_TIMEOUT_MS; REASON is one of "connection
   * refused", "connection reset", "connection timed out", "host not found", "host unreachable",
   * "network unreachable", "authentication failed (...)", "connection lost",
   * "no answer within 1.5 s".
   */
  async ping(): Promise<void> {
    const redis = this.redis();
    const unreachable = (reason: string, cause?: unknown) =>
      new Error(`Redis at ${serviceAddress(this.url, 6379)} is unreachable: ${reason}`, cause === undefined ? undefined : { cause });
    // Not connected: say why at once (the ping would only fail with ioredis's words).
    if (redis.status !== 'ready') throw unreachable(unreachableReason(this.lastError));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Error('no answer');
    try {
      await Promise.race([
        redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(timedOut), PING_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      // The connection broke meanwhile: its error says why. Otherwise Redis itself answered no (or nothing).
      if (redis.status !== 'ready') throw unreachable(unreachableReason(this.lastError), err);
      if (err === timedOut) throw unreachable(`no answer within ${PING_TIMEOUT_MS / 1000} s`);
      throw unreachable(unreachableReason(err as Error), err);
    } finally {
      clearTimeout(timer);
    }
  }

  async claimSession(username: string): Promise<boolean> {
    const claimed = await this.ask((redis) => redis.eval(CLAIM, 2, this.sessionKey(username), this.onlineKey, this.nodeId, this.ttlMs, username));
    if (claimed !== 1) return false;
    this.claims.add(username);
    return true;
  }

  async releaseSession(username: string): Promise<void> {
    // Forget it first, then let an in-flight heartbeat finish: that heartbeat
    // may have copied the claim list before the delete, and it re-creates a
    // missing key it believes is ours. Later heartbeats no longer see the user.
    this.claims.delete(username);
    await this.tick;
    await this.redis().eval(RELEASE, 2, this.sessionKey(username), this.onlineKey, this.nodeId, username);
  }

  async onlineUsers(): Promise<string[]> {
    return this.ask(async (redis) => {
      const members = await redis.smembers(this.onlineKey);
      if (members.length === 0) return [];
      // The set may still list users of a node that died since the last sweep;
      // their session keys have expired, so checking them keeps the answer exact.
      const holders = await redis.mget(...members.map((u) => this.sessionKey(u)));
      return members.filter((_, i) => holders[i] !== null).sort();
    });
  }

  async isOnline(username: string): Promise<boolean> {
    return (await this.ask((redis) => redis.exists(this.sessionKey(username)))) === 1;
  }

  async publish(event: BusEvent): Promise<void> {
    await this.redis().publish(this.channel, encodeEnvelope({ origin: this.nodeId, sentAt: Date.now(), event }));
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.handler = handler;
  }
  onClaimLost(handler: (username: string) => void): void {
    this.claimLostHandler = handler;
  }
  onResubscribed(handler: () => void): void {
    this.resubscribedHandler = handler;
  }

  // ---- internals

  private redis(): Redis {
    if (this.state !== 'running' || this.commands === null) throw new Error('RedisBus is not running');
    return this.commands;
  }

  /**
   * Runs a request's Redis work. A failure (Redis down, or no answer within
   * COMMAND_TIMEOUT_MS) becomes SERVER_BUSY for the client: nothing was
   * changed on its behalf and the same request works once Redis is back.
   */
  private async ask<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = this.redis();
    try {
      return await work(redis);
    } catch (err) {
      this.onError(err as Error, 'redis request');
      throw new ProtocolError(
        ErrorCode.SERVER_BUSY,
        'The server cannot reach Redis, where the cluster keeps who is online. Try again in a few seconds.',
        UNREACHABLE_RETRY_S,
      );
    }
  }

  private sessionKey(username: string): string {
    return `${this.prefix}session:${username}`;
  }

  private nodeKey(): string {
    return `${this.prefix}node:${this.nodeId}`;
  }

  private receive(payload: string): void {
    const envelope = decodeEnvelope(payload);
    if (envelope === null) {
      this.onError(new Error(`Ignored a malformed bus message (${payload.length} bytes)`), 'bus message');
      return;
    }
    if (envelope.origin === this.nodeId || this.handler === null) return;
    if (envelope.sentAt !== undefined) this.onLag(Math.max(0, Date.now() - envelope.sentAt));
    try {
      this.handler(envelope.event);
    } catch (err) {
      this.onError(err as Error, 'bus event handler');
    }
  }

  /**
   * The subscriber reconnected (Redis restarted, or the connection broke):
   * subscribes again and, once Redis confirmed it, tells the node, which then
   * re-reads from the store what the events published meanwhile carried.
   */
  private async resubscribe(subscriber: Redis): Promise<void> {
    if (this.state !== 'running') return;
    try {
      await subscriber.subscribe(this.channel);
      // The node answers with notices of its own (Bus.onResubscribed): the other
      // connection reconnects on its own schedule, and they must not fail on it.
      const commands = this.commands;
      if (commands && commands.status !== 'ready') {
        await new Promise<void>((resolve) => {
          const done = () => {
            commands.off('ready', done);
            commands.off('end', done);
            resolve();
          };
          commands.on('ready', done);
          commands.on('end', done);
        });
      }
      if (this.state !== 'running') return;
      this.resubscribedHandler?.();
    } catch (err) {
      // The next reconnect ('ready' again) tries once more.
      if (this.state === 'running') this.onError(err as Error, 'resubscribing');
    }
  }

  /** One heartbeat: liveness key, claim refresh, then (on one node per round) the dead-node sweep. */
  private async heartbeat(): Promise<void> {
    try {
      const redis = this.redis();
      await redis.set(this.nodeKey(), String(Date.now()), 'PX', this.ttlMs);
      const users = [...this.claims];
      for (let i = 0; i < users.length; i += REFRESH_BATCH) {
        const batch = users.slice(i, i + REFRESH_BATCH);
        const keys = batch.map((u) => this.sessionKey(u));
        const lost = (await redis.eval(REFRESH, keys.length + 1, this.onlineKey, ...keys, this.nodeId, this.ttlMs, ...batch)) as string[];
        for (const user of lost) {
          // Another node took the user while we were stalled past the TTL.
          this.claims.delete(user);
          this.onError(new Error(`Session claim of ${user} was lost to another node`), 'claim lost');
          this.claimLostHandler?.(user);
        }
      }
      await this.sweep(redis);
    } catch (err) {
      if (this.state === 'running') this.onError(err as Error, 'heartbeat');
    }
  }

  /**
   * Announces users whose claim expired without a release (their node died).
   * The lock makes one node per heartbeat do it, so each user is announced once.
   * The announcement goes to every node, this one included: its own clients
   * need to see the presence change too.
   */
  private async sweep(redis: Redis): Promise<void> {
    const won = await redis.set(`${this.prefix}sweep-lock`, this.nodeId, 'PX', this.heartbeatMs, 'NX');
    if (won !== 'OK') return;
    const gone = (await redis.eval(SWEEP, 1, this.onlineKey, `${this.prefix}session:`)) as string[];
    const at = Date.now();
    for (const user of gone) {
      const event: BusEvent = { kind: 'presence', user, online: false, at };
      await redis.publish(this.channel, encodeEnvelope({ origin: SWEEPER_ORIGIN, sentAt: Date.now(), event }));
    }
  }
}
