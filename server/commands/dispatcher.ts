// Runs commands for one client: rate limit, sign-in check, the handler, then
// exactly one reply. Commands of a connection run one at a time, in order, so
// replies keep the order of requests (TCP replies carry no id) and a command
// sees the effects of the one before it.
//
// Unexpected exceptions are logged with the connection id and answered with
// INTERNAL; they never reach another connection.
import type { Client, Outcome } from '../connection';
import { ErrorCode, ProtocolError, type Command, type CommandType, type RequestId, type WireError } from '../protocol';
import type { Services } from '../services/index';
import { TokenBucket } from '../services/rate-limit';
import { commands } from './index';
import type { CommandContext, CommandSpec } from './types';

/** Commands waiting per connection before new ones are refused outright. */
const MAX_QUEUED = 64;

/** Per-connection state of the dispatcher: the command queue and the rate limit. */
interface Lane {
  tail: Promise<unknown>;
  length: number;
  bucket: TokenBucket;
}

export class Dispatcher {
  private readonly lanes = new WeakMap<Client, Lane>();

  constructor(private readonly services: Services) {}

  /** Queues a decoded command; resolves with its outcome once its reply is written. */
  submit(client: Client, id: RequestId | null, command: Command): Promise<Outcome> {
    return this.enqueue(client, id, () => this.run(client, id, command));
  }

  /**
   * Queues the error reply for input that could not be decoded, so it comes out
   * in order with the replies to the commands before it.
   */
  reject(client: Client, id: RequestId | null, error: WireError): void {
    void this.enqueue(client, id, async () => this.fail(client, id, error));
  }

  /** Answers `error` now, without queueing (refusals that must not wait behind other commands). */
  refuse(client: Client, id: RequestId | null, error: WireError): Outcome {
    return this.fail(client, id, error);
  }

  private lane(client: Client): Lane {
    let lane = this.lanes.get(client);
    if (!lane) {
      const { config, now } = this.services;
      this.lanes.set(client, (lane = { tail: Promise.resolve(), length: 0, bucket: new TokenBucket(config.rateLimit, config.rateBurst, now) }));
    }
    return lane;
  }

  /**
   * Counts one piece of input against the connection's rate limit: null when
   * allowed, else the RATE_LIMITED error to answer. Transports call it for input
   * they handle themselves (the TCP sign-in prompts); commands are counted here.
   */
  charge(client: Client): WireError | null {
    const wait = this.lane(client).bucket.take();
    if (wait <= 0) return null;
    this.services.metrics.rateLimited.inc({ transport: client.connection.kind });
    const seconds = Math.max(1, Math.ceil(wait / 1000));
    return { code: ErrorCode.RATE_LIMITED, message: `Too many commands. Slow down (try again in ${seconds} s).`, retryAfter: seconds };
  }

  private enqueue(client: Client, id: RequestId | null, work: () => Promise<Outcome>): Promise<Outcome> {
    const lane = this.lane(client);
    const limited = this.charge(client);
    if (limited) return Promise.resolve(this.fail(client, id, limited));
    if (lane.length >= MAX_QUEUED) {
      this.services.metrics.rateLimited.inc({ transport: client.connection.kind });
      return Promise.resolve(
        this.fail(client, id, {
          code: ErrorCode.RATE_LIMITED,
          message: 'Too many commands waiting. Wait for replies before sending more.',
          retryAfter: 1,
        }),
      );
    }
    lane.length++;
    const done = lane.tail.then(work).finally(() => {
      lane.length--;
    });
    lane.tail = done;
    return done;
  }

  private fail(client: Client, id: RequestId | null, error: WireError): Outcome {
    client.connection.replyError(id, error);
    return { ok: false, error };
  }

  private async run(client: Client, id: RequestId | null, command: Command): Promise<Outcome> {
    if (client.closed && command.type !== 'logout') return { ok: false, error: { code: ErrorCode.NOT_SIGNED_IN, message: 'Connection closed' } };
    const after: (() => void)[] = [];
    const spec = commands[command.type] as CommandSpec<CommandType>;
    try {
      if (spec.needsAuth && !client.session) {
        throw new ProtocolError(ErrorCode.NOT_SIGNED_IN, 'Sign in first');
      }
      const ctx: CommandContext = {
        services: this.services,
        client,
        user: client.session?.username ?? '',
        afterReply: (fn) => after.push(fn),
      };
      const result = await spec.handle(ctx, command);
      client.connection.reply(id, command.type, result);
      for (const fn of after) fn();
      return { ok: true, type: command.type, result };
    } catch (err) {
      if (err instanceof ProtocolError) return this.fail(client, id, err.toWire());
      this.services.log.error({ err, conn: client.connection.id, command: command.type }, 'command failed');
      return this.fail(client, id, { code: ErrorCode.INTERNAL, message: 'The server failed to handle this command. Try again later.' });
    }
  }

  /** Resolves when every queued command of `client` has finished. */
  async drain(client: Client): Promise<void> {
    await this.lanes.get(client)?.tail;
  }
}
