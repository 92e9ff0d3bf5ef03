// InputPump tells its owner when it holds nothing (so an idle connection can
// drop it), and only then: not while input waits, reading is paused for
// output that has not drained, or commands are still in flight.
import { describe, expect, it } from 'vitest';
import type { ConnectionInput } from '../../../server/connection';
import { InputPump, UNITS_PER_TURN, type PumpHooks } from '../../../server/transport/input-pump';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Hooks that record what the pump did; `queued` is the output not yet taken by the peer. */
function hooks() {
  const h = {
    handled: [] as number[],
    idle: 0,
    paused: false,
    queued: 0,
    drain: null as (() => void) | null,
    handle: (unit: number) => void h.handled.push(unit),
    pauseReading: () => void (h.paused = true),
    resumeReading: () => void (h.paused = false),
    outputQueued: () => h.queued,
    onceDrained: (fn: () => void) => void (h.drain = fn),
    isOpen: () => true,
    awaitsAnswers: () => false,
    pumpIdle: () => void h.idle++,
  };
  return h satisfies PumpHooks<number>;
}

function input(inFlight = 0): ConnectionInput {
  return {
    submit: () => Promise.reject(new Error('not used')),
    reject: () => {},
    charge: () => ({ refused: false }),
    pressure: () => ({ backoffMs: 0, inFlight }),
    drained: () => Promise.resolve(),
    closed: () => Promise.resolve(),
  };
}

describe('InputPump', () => {
  it('pumps of many connections share each turn in the order their input came, at most UNITS_PER_TURN each; input arriving during a turn waits for the next', async () => {
    const log: string[] = [];
    const pumps: InputPump<number>[] = [];
    const make = (name: string) => {
      const h = hooks();
      h.handle = (unit: number) => {
        log.push(`${name}${unit}`);
        // Input for another connection arriving while this turn runs.
        if (name === 'b' && unit === 1) pumps[0]!.push(99);
      };
      const pump = new InputPump<number>(h, input(), 1_000);
      pumps.push(pump);
      return pump;
    };
    const a = make('a');
    const b = make('b');
    const c = make('c');
    for (let i = 0; i < UNITS_PER_TURN + 2; i++) a.push(i);
    c.push(1);
    b.push(1);
    await turn();
    expect(log).toEqual([...Array.from({ length: UNITS_PER_TURN }, (_, i) => `a${i}`), 'c1', 'b1']);
    log.length = 0;
    await turn();
    expect(log).toEqual([`a${UNITS_PER_TURN}`, `a${UNITS_PER_TURN + 1}`, 'a99']);
  });

  it('reports itself idle once every unit was handled', async () => {
    const h = hooks();
    const pump = new InputPump<number>(h, input(), 1_000);
    pump.push(1);
    pump.push(2);
    expect(h.idle).toBe(0);
    await turn();
    expect(h.handled).toEqual([1, 2]);
    expect(h.idle).toBe(1);
  });

  it('is not idle while its output waits to drain; it is once the rest was handled', async () => {
    const h = hooks();
    h.queued = 5_000;
    const pump = new InputPump<number>(h, input(), 1_000);
    pump.push(1);
    await turn();
    expect(h.handled).toEqual([]);
    expect(h.paused).toBe(true);
    expect(h.idle).toBe(0);
    h.queued = 0;
    h.drain!();
    await turn();
    expect(h.handled).toEqual([1]);
    expect(h.paused).toBe(false);
    expect(h.idle).toBe(1);
  });

  it("one pump's failure does not strand the others of its turn: they run in the next", async () => {
    // The failure is an uncaught exception, as it would be in the server: caught here for the test.
    const caught: unknown[] = [];
    const others = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const onError = (error: unknown) => void caught.push(error);
    process.on('uncaughtException', onError);
    try {
      const failing = hooks();
      failing.handle = () => {
        throw new Error('handler bug');
      };
      const after = hooks();
      new InputPump<number>(failing, input(), 1_000).push(1);
      new InputPump<number>(after, input(), 1_000).push(2);
      for (let i = 0; i < 10 && after.handled.length === 0; i++) await turn();
      expect(caught).toEqual([new Error('handler bug')]);
      expect(after.handled).toEqual([2]);
      expect(after.idle).toBe(1);
    } finally {
      process.off('uncaughtException', onError);
      for (const listener of others) process.on('uncaughtException', listener);
    }
  });
});
