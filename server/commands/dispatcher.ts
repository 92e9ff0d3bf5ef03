// Runs commands for one client: rate limit, sign-in check, the handler, then
// exactly one reply. Commands of a connection run one at a time, in order, so
// replies keep the order of requests (TCP replies carry no id) and a command
// sees the effects of the one before it.
//
// Unexpected exceptions are logged with the connection id and answered with
// INTERNAL; they never reach another connection.
import { ErrorCode, ProtocolError, type Command, type CommandType, type RequestId, type WireError } from '../protocol';
import { commands } from './index';
import type { Client, CommandContext, CommandSpec, Services } from './types';

/** Commands waiting per connection before new ones are refused outright. */
const MAX_QUEUED = 64;

export class Dispatcher {
  private readonly queues = new WeakMap<Client, { tail: Promise<void>; length: number }>();

  constructor(private readonly services: Services) {}

  /** Queues a decoded command; its reply is written when it has run. */
  submit(client: Client, id: RequestId | null, command: Command): void {
    this.enqueue(client, id, () => this.run(client, id, command));
  }

  /**
   * Queues the error reply for input that could not be decoded, so it comes out
   * in order with the replies to the commands before it.
   */
  reject(client: Client, id: RequestId | null, error: WireError): void {
    this.enqueue(client, id, async () => client.connection.replyError(id, error));
  }

  private enqueue(client: Client, id: RequestId | null, work: () => Promise<void>): void {
    const wait = client.bucket.take();
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      client.connection.replyError(id, {
        code: ErrorCode.RATE_LIMITED,
        message: `Too many commands. Slow down (try again in ${seconds} s).`,
        retryAfter: seconds,
      });
      return;
    }
    let queue = this.queues.get(client);
    if (!queue) this.queues.set(client, (queue = { tail: Promise.resolve(), length: 0 }));
    if (queue.length >= MAX_QUEUED) {
      client.connection.replyError(id, {
        code: ErrorCode.RATE_LIMITED,
        message: 'Too many commands waiting. Wait for replies before sending more.',
        retryAfter: 1,
      });
      return;
    }
    queue.length++;
    const q = queue;
    q.tail = q.tail.then(work).finally(() => {
      q.length--;
    });
  }

  private async run(client: Client, id: RequestId | null, command: Command): Promise<void> {
    if (client.closed && command.type !== 'logout') return;
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
      const result = await spec.handle(ctx, command as never);
      client.connection.reply(id, command.type, result);
      for (const fn of after) fn();
    } catch (err) {
      if (err instanceof ProtocolError) {
        client.connection.replyError(id, err.toWire());
      } else {
        this.services.log.error({ err, conn: client.connection.id, command: command.type }, 'command failed');
        client.connection.replyError(id, { code: ErrorCode.INTERNAL, message: 'The server failed to handle this command. Try again later.' });
      }
    }
  }

  /** Resolves when every queued command of `client` has finished. */
  async drain(client: Client): Promise<void> {
    await this.queues.get(client)?.tail;
  }
}
