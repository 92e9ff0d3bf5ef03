// Write batching shared by both transports: a socket written to during an
// event-loop turn is corked until that turn ends, so everything produced for
// one peer in the turn (replies, deliveries, presence) leaves in one writev
// instead of one syscall per message; a transport may instead collect a turn's
// output itself and write it once (atEndOfTurn). One setImmediate runs the
// collected flushes, then uncorks every socket, after the poll phase; order
// and write callbacks are unchanged.
import type { Writable } from 'node:stream';
import { forgetSharedJoin } from './shared-join';

const corked = new Set<Writable>();
/** Something that writes its collected output when the turn ends (a method, so no closure per connection). */
export interface TurnFlush {
  flushTurn(): void;
}
let flushes: TurnFlush[] = [];
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  const run = flushes;
  flushes = [];
  for (const flush of run) flush.flushTurn();
  forgetSharedJoin();
  for (const socket of corked) socket.uncork();
  corked.clear();
}

function schedule(): void {
  if (uncorkScheduled) return;
  uncorkScheduled = true;
  setImmediate(uncorkAll);
}

/** Runs `flush.flushTurn()` once the current event-loop turn ends (call it once per turn per connection). */
export function atEndOfTurn(flush: TurnFlush): void {
  flushes.push(flush);
  schedule();
}

/** Corks `socket` until the end of the current event-loop turn (idempotent within a turn). */
export function corkForThisTurn(socket: Writable): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  schedule();
}

/**
 * A connection's output of one turn, in order: one chunk, or an array of them
 * (made only for a second chunk: most turns write one chunk per connection,
 * and a fan-out is one such turn per recipient). An empty array: output of
 * this turn was dropped.
 */
export type TurnOutput<C> = C | C[];

/** `out` with `chunk` after it. */
export function appendChunk<C extends string | Buffer>(out: TurnOutput<C>, chunk: C): TurnOutput<C> {
  if (!Array.isArray(out)) return [out, chunk];
  if (out.length === 0) return chunk;
  out.push(chunk);
  return out;
}
