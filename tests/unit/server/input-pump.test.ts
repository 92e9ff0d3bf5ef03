// InputPump tells its owner when it holds nothing (so an idle connection can
// drop it), and only then: not while input waits, reading is paused for
// output that has not drained, or commands are still in flight.
import { describe, expect, it } from 'vitest';
import type { ConnectionInput } from '../../../server/connection';
import { InputPump, type PumpHooks } from '../../../server/transport/input-pump';

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
});
