// The dispatcher forgets a connection's state (queue, pipeline, rate limit)
// once it is idle, to keep idle connections small. Forgetting must never
// change what the rate limit allows: a connection that answered every command
// and sent nothing since still has spent what it spent, and only a full
// refill makes it the same as a fresh one.
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../server/commands/dispatcher';
import type { Client, Connection } from '../../../server/connection';
import { ErrorCode, type WireError } from '../../../server/protocol';
import type { Services } from '../../../server/services/index';

const BAD: WireError = { code: ErrorCode.BAD_REQUEST, message: 'not a command' };

/** A dispatcher with 5 commands per second (burst 5) on a clock that moves only when told. */
function setup() {
  let now = 1_000_000;
  const services = {
    config: { commandQueue: 4, rateLimit: 5, rateBurst: 5 },
    now: () => now,
    metrics: { rateLimited: { inc: () => undefined } },
    log: { warn: () => undefined, error: () => undefined, debug: () => undefined },
  } as unknown as Services;
  const replies: string[] = [];
  const connection = {
    id: 1,
    kind: 'test',
    address: 'test',
    replyError: (_id: unknown, error: WireError) => replies.push(error.code),
    close: () => replies.push('closed'),
  } as unknown as Connection;
  const client: Client = { connection, session: null, signingIn: false, closed: false, token: null };
  const dispatcher = new Dispatcher(services);
  /** Sends one piece of input (answered with BAD_REQUEST when accepted) and waits until the connection is idle again. */
  const sendAndSettle = async (): Promise<string> => {
    dispatcher.reject(client, null, BAD);
    await dispatcher.drain(client);
    // The lane is forgotten in the callback after its tail settles: let it run.
    await new Promise((resolve) => setImmediate(resolve));
    return replies.splice(0).join(',');
  };
  return { dispatcher, client, sendAndSettle, advance: (ms: number) => (now += ms) };
}

describe('Dispatcher: the rate limit across idle moments', () => {
  it('input answered one at a time still spends the burst', async () => {
    const { sendAndSettle } = setup();
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await sendAndSettle());
    expect(answers).toEqual([...Array<string>(5).fill(ErrorCode.BAD_REQUEST), ErrorCode.RATE_LIMITED]);
  });

  it('part of a refill gives back only that part; a full refill gives back the whole burst and no more', async () => {
    const { sendAndSettle, advance } = setup();
    for (let i = 0; i < 5; i++) await sendAndSettle();
    advance(400); // two tokens
    const partly: string[] = [];
    for (let i = 0; i < 3; i++) partly.push(await sendAndSettle());
    expect(partly).toEqual([ErrorCode.BAD_REQUEST, ErrorCode.BAD_REQUEST, ErrorCode.RATE_LIMITED]);
    advance(60_000);
    const whole: string[] = [];
    for (let i = 0; i < 6; i++) whole.push(await sendAndSettle());
    expect(whole).toEqual([...Array<string>(5).fill(ErrorCode.BAD_REQUEST), ErrorCode.RATE_LIMITED]);
  });
});
