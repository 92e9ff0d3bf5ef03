// Runs commands for one client: rate limit, sign-in check, the handler, then
// exactly one reply.
//
// The ordering rule, per connection:
// MUST: replies keep the order of requests (TCP replies carry no id).
// MUST: a command that is not pipelined starts only after every command before
//       it has finished, so it sees all their effects; the commands after it
//       wait for it in turn.
// MUST: consecutive pipelined commands (sends) start without waiting for each
//       other's commits and issue their store writes in command order, so one
//       group commit can hold many of them; each still sees every effect of
//       the non-pipelined commands before it. A send does not depend on the
//       sends before it, only on their order, which the store keeps.
//
// Unexpected exceptions are logged with the connection id and answered with
// INTERNAL; they never reach another connection.
import type { Client, Outcome, StoreTurn } from '../connection';
import { ErrorCode, ProtocolError, type Command, type CommandType, type RequestId, type WireError } from '../protocol';
import type { Services } from '../services/index';
import { TokenBucket } from '../services/rate-limit';
import { commands } from './index';
import type { CommandContext, CommandSpec } from './types';

/** Pipelined commands in flight per connection, as a multiple of the command queue. */
const PIPELINE_FACTOR = 8;
/** Seconds of sending at the rate limit that may be in flight: a sender within the limit is never refused while commits are slow. */
const SLOW_COMMIT_SECONDS = 30;
/** How often idle lanes whose rate limit was still refilling are checked again (and forgotten once it is full). */
const REFILL_CHECK_MS = 1_000;
/**
 * Rate-limit refusals in a row (no input accepted in between) that get an
 * error reply; later ones are dropped without one, so a flood cannot make the
 * server write as much as it reads.
 */
export const ANSWERED_REFUSALS = 10;
/** Rate-limit refusals in a row after which the connection is closed as a flood. */
export const FLOOD_REFUSALS = 100;

/**
 * Per-connection state of the dispatcher: the command queue, the pipeline and
 * the rate limit. Made by a connection's first input and forgotten again once
 * every command finished and the rate limit has refilled (a new lane then is
 * the same as the old one), so an idle signed-in connection keeps none.
 */
interface Lane {
  /** Settles when every command so far has finished. */
  tail: Promise<unknown>;
  /** Settles when the last non-pipelined command has finished: where the next pipelined one may start. */
  barrier: Promise<unknown>;
  /** The last command queued was pipelined (the next pipelined one joins its run). */
  pipelining: boolean;
  /** Settles when the last queued command's reply was written. */
  replied: Promise<unknown>;
  /** The last pipelined command (its turn is issued once it and those before it issued their store writes), or null. */
  turn: Turn | null;
  /** Commands waiting to start. */
  waiting: number;
  /** Pipelined commands started and not finished. */
  inFlight: number;
  bucket: TokenBucket;
  /** Refusals by the rate limit since input was last accepted. */
  refusedInARow: number;
  /** Commands queued whose tail callback has not run yet: 0 once all have finished. */
  unfinished: number;
}

/** Result of counting one piece of input against the rate limit. */
export type Charge = { refused: false } | { refused: true; error: WireError; answer: boolean };

/** The charge of accepted input (shared: nothing per command). */
const ACCEPTED: Charge = Object.freeze({ refused: false });

/** The pressure of a connection without a lane (shared: asked once per burst of input). */
const NO_PRESSURE: { backoffMs: number; inFlight: number } = Object.freeze({ backoffMs: 0, inFlight: 0 });

/** The settled promise an idle lane waits on (shared: idle connections keep no outcome alive). */
const SETTLED: Promise<void> = Promise.resolve();

/**
 * A command's place in its connection's order of store writes. A pipelined
 * command is issued once it issued its write (or will issue none) and every
 * pipelined command before it was issued; the next one waits for that.
 * A class rather than closures: one small object per command, and the promise
 * of being issued is made only when a later command waits for it while this
 * one is still pending (a connection with one send at a time never makes one).
 */
class Turn implements StoreTurn {
  /** The pipelined command before this one, until this one is issued (then null: the chain is not kept). */
  private previous: Turn | null;
  private state: 'pending' | 'done' | 'issued';
  /** The promise of issued(), once asked for while pending, and its resolve. */
  private issuedPromise: Promise<void> | null = null;
  private release: (() => void) | null = null;

  constructor(
    previous: Turn | null,
    private readonly lane: Lane,
    private readonly pipelined: boolean,
  ) {
    this.previous = previous;
    // A command that is not pipelined waits for the pipelined ones before it but is no link in their chain.
    this.state = pipelined ? 'pending' : 'issued';
  }

  wait(): Promise<void> {
    return this.previous === null ? SETTLED : this.previous.issued();
  }

  /** Settles once this command and every pipelined one before it issued their writes. */
  issued(): Promise<void> {
    if (this.state === 'issued') return SETTLED;
    return (this.issuedPromise ??= new Promise<void>((resolve) => (this.release = resolve)));
  }

  done(): void {
    if (this.state !== 'pending') return;
    this.state = 'done';
    const previous = this.previous;
    // Never ahead of the commands before it, even when this one gave up early.
    if (previous === null || previous.state === 'issued') this.markIssued();
    else void previous.issued().then(() => this.markIssued());
  }

  /** The command finished (its reply is written, or it failed): the turn is over and it leaves the pipeline. */
  finish(): void {
    this.done();
    if (this.pipelined) this.lane.inFlight--;
  }

  private markIssued(): void {
    this.state = 'issued';
    this.previous = null;
    this.release?.();
    this.release = null;
  }
}

/** What a handler sees (a class, not an object of closures per command). */
class Context implements CommandContext {
  /** Run after the reply, in order (null: none). */
  after: (() => void)[] | null = null;

  constructor(
    readonly services: Services,
    readonly client: Client,
    readonly user: string,
    readonly turn: StoreTurn,
  ) {}

  afterReply(fn: () => void): void {
    (this.after ??= []).push(fn);
  }
}

/** Once `done` and everything before it finished: the lane need not keep `done`'s outcome (a reply object) any longer. */
function forgetOutcome(lane: Lane, done: Promise<unknown>): void {
  if (lane.replied === done) lane.replied = SETTLED;
  if (lane.barrier === done) lane.barrier = SETTLED;
}

export class Dispatcher {
  private readonly lanes = new WeakMap<Client, Lane>();
  /**
   * Without a rate limit a bucket keeps no state (it always lets input through
   * and is always full), so every lane shares this one instead of making its own
   * per command burst (a lane is forgotten whenever its connection goes idle).
   */
  private readonly unlimited: TokenBucket | null;
  /** Clients with an idle lane whose rate limit is still refilling: one timer checks them (none when empty). */
  private readonly refilling = new Set<Client>();
  private refillTimer: NodeJS.Timeout | null = null;

  constructor(private readonly services: Services) {
    const { rateLimit, rateBurst } = services.config;
    this.unlimited = rateLimit > 0 ? null : new TokenBucket(rateLimit, rateBurst, services.now);
  }

  /** Queues a decoded command; resolves with its outcome once its reply is written. */
  submit(client: Client, id: RequestId | null, command: Command): Promise<Outcome> {
    const pipelined = (commands[command.type] as CommandSpec<CommandType>).pipelined === true;
    return this.enqueue(client, id, pipelined, command);
  }

  /**
   * Queues the error reply for input that could not be decoded, so it comes out
   * in order with the replies to the commands before it.
   */
  reject(client: Client, id: RequestId | null, error: WireError): void {
    void this.enqueue(client, id, false, error);
  }

  /** Answers `error` now, without queueing (refusals that must not wait behind other commands). */
  refuse(client: Client, id: RequestId | null, error: WireError): Outcome {
    return this.fail(client, id, error);
  }

  private lane(client: Client): Lane {
    let lane = this.lanes.get(client);
    if (!lane) {
      const { config, now } = this.services;
      lane = {
        tail: SETTLED,
        barrier: SETTLED,
        pipelining: false,
        replied: SETTLED,
        turn: null,
        waiting: 0,
        inFlight: 0,
        bucket: this.unlimited ?? new TokenBucket(config.rateLimit, config.rateBurst, now),
        refusedInARow: 0,
        unfinished: 0,
      };
      this.lanes.set(client, lane);
    }
    return lane;
  }

  /**
   * Counts one piece of input against the connection's rate limit. Transports
   * call it for input they handle themselves (the TCP sign-in prompts);
   * commands are counted here. A refusal is answered only while fewer than
   * ANSWERED_REFUSALS came in a row, and FLOOD_REFUSALS in a row close the connection.
   */
  charge(client: Client): Charge {
    return this.chargeLane(client, this.lane(client));
  }

  private chargeLane(client: Client, lane: Lane): Charge {
    const wait = lane.bucket.take();
    if (wait <= 0) {
      lane.refusedInARow = 0;
      return ACCEPTED;
    }
    lane.refusedInARow++;
    this.services.metrics.rateLimited.inc({ transport: client.connection.kind });
    if (lane.refusedInARow === FLOOD_REFUSALS) {
      this.services.log.warn({ conn: client.connection.id, address: client.connection.address }, 'flooding over the rate limit; disconnecting');
      client.connection.close('flooding (too many commands over the rate limit)');
    }
    const seconds = Math.max(1, Math.ceil(wait / 1000));
    return {
      refused: true,
      error: { code: ErrorCode.RATE_LIMITED, message: `Too many commands. Slow down (try again in ${seconds} s).`, retryAfter: seconds },
      answer: lane.refusedInARow <= ANSWERED_REFUSALS,
    };
  }

  /**
   * How hard this connection presses: milliseconds until its rate limit lets
   * input through again (0 = now) and commands queued or running. Transports
   * stop reading while either is high.
   */
  pressure(client: Client): { backoffMs: number; inFlight: number } {
    const lane = this.lanes.get(client);
    return lane ? { backoffMs: lane.bucket.peek(), inFlight: lane.waiting + lane.inFlight } : NO_PRESSURE;
  }

  /** Queues `work`: a command to run, or the error to answer for input that could not be decoded. */
  private enqueue(client: Client, id: RequestId | null, pipelined: boolean, work: Command | WireError): Promise<Outcome> {
    const lane = this.lane(client);
    const charge = this.chargeLane(client, lane);
    if (charge.refused) {
      if (charge.answer) client.connection.replyError(id, charge.error);
      return Promise.resolve({ ok: false, error: charge.error });
    }
    const { commandQueue, rateLimit, rateBurst } = this.services.config;
    const joins = pipelined && lane.pipelining;
    // With a rate limit, a sender within it has at most burst + rate x t commands out after t seconds.
    const inFlightCap = Math.max(commandQueue * PIPELINE_FACTOR, rateLimit > 0 ? rateBurst + Math.ceil(rateLimit * SLOW_COMMIT_SECONDS) : 0);
    if (joins ? lane.inFlight >= inFlightCap : lane.waiting >= commandQueue) {
      this.services.metrics.rateLimited.inc({ transport: client.connection.kind });
      return Promise.resolve(
        this.fail(client, id, {
          code: ErrorCode.COMMAND_QUEUE_FULL,
          message: `Too many commands waiting (the command queue holds ${commandQueue}). Wait for replies before sending more.`,
          retryAfter: 1,
        }),
      );
    }
    // Where this command may start: a pipelined one that follows another joins its
    // run (after the last non-pipelined command); anything else waits for all before it.
    const start = joins ? lane.barrier : lane.tail;
    const turn = new Turn(lane.turn, lane, pipelined);
    const previousReply = lane.replied;
    lane.waiting++;
    const done = start.then(() => {
      lane.waiting--;
      if (pipelined) lane.inFlight++;
      return 'type' in work ? this.run(client, id, work, turn, previousReply) : this.answer(client, id, work, previousReply);
    });
    if (pipelined) lane.turn = turn;
    lane.replied = done;
    // A command that is not pipelined started after everything before it, so it ends after it too.
    lane.unfinished++;
    // (After nothing unfinished, a pipelined command's end is the lane's end: no Promise.all to wait on both.)
    lane.tail = (pipelined && lane.tail !== SETTLED ? Promise.all([lane.tail, done]) : done).then(() => {
      forgetOutcome(lane, done);
      lane.unfinished--;
      this.forgetIfIdle(client, lane);
    });
    if (!pipelined) lane.barrier = done;
    lane.pipelining = pipelined;
    return done;
  }

  /** The error reply to input that could not be decoded, once the replies before it are out. */
  private async answer(client: Client, id: RequestId | null, error: WireError, replied: Promise<unknown>): Promise<Outcome> {
    await replied;
    return this.fail(client, id, error);
  }

  private fail(client: Client, id: RequestId | null, error: WireError): Outcome {
    client.connection.replyError(id, error);
    return { ok: false, error };
  }

  /** Runs the handler, then writes its reply once the replies before it (`replied`) are out. */
  private async run(client: Client, id: RequestId | null, command: Command, turn: Turn, replied: Promise<unknown>): Promise<Outcome> {
    if (client.closed && command.type !== 'logout') {
      turn.finish();
      return { ok: false, error: { code: ErrorCode.NOT_SIGNED_IN, message: 'Connection closed' } };
    }
    const spec = commands[command.type] as CommandSpec<CommandType>;
    try {
      if (spec.needsAuth && !client.session) {
        throw new ProtocolError(ErrorCode.NOT_SIGNED_IN, 'Sign in first');
      }
      const ctx = new Context(this.services, client, client.session?.username ?? '', turn);
      const result = await spec.handle(ctx, command);
      await replied;
      client.connection.reply(id, command.type, result);
      if (ctx.after) for (const fn of ctx.after) fn();
      return { ok: true, type: command.type, result };
    } catch (err) {
      turn.done();
      await replied;
      if (err instanceof ProtocolError) return this.fail(client, id, err.toWire());
      this.services.log.error({ err, conn: client.connection.id, command: command.type }, 'command failed');
      return this.fail(client, id, { code: ErrorCode.INTERNAL, message: 'The server failed to handle this command. Try again later.' });
    } finally {
      turn.finish();
    }
  }

  /**
   * Forgets the lane of a client with nothing queued or running, once its rate
   * limit is full again: until then it is checked every REFILL_CHECK_MS.
   */
  private forgetIfIdle(client: Client, lane: Lane): void {
    if (lane.unfinished > 0 || lane.refusedInARow > 0 || this.lanes.get(client) !== lane) return;
    if (lane.bucket.full()) {
      this.lanes.delete(client);
      return;
    }
    this.refilling.add(client);
    if (this.refillTimer === null) {
      this.refillTimer = setInterval(() => this.checkRefilling(), REFILL_CHECK_MS);
      this.refillTimer.unref();
    }
  }

  private checkRefilling(): void {
    for (const client of this.refilling) {
      const lane = this.lanes.get(client);
      // Busy again: its next command's end checks it again.
      if (!lane || client.closed || lane.unfinished > 0 || lane.refusedInARow > 0) this.refilling.delete(client);
      else if (lane.bucket.full()) {
        this.lanes.delete(client);
        this.refilling.delete(client);
      }
    }
    if (this.refilling.size === 0 && this.refillTimer !== null) {
      clearInterval(this.refillTimer);
      this.refillTimer = null;
    }
  }

  /** Resolves when every queued command of `client` has finished. */
  async drain(client: Client): Promise<void> {
    await this.lanes.get(client)?.tail;
  }
}
