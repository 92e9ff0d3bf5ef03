// Write batching shared by both transports: a socket written to during an
// event-loop turn is corked until that turn ends, so everything produced for
// one peer in the turn (replies, deliveries, presence) leaves in one writev
// instead of one syscall per message. One setImmediate uncorks them all after
// the poll phase; order and write callbacks are unchanged.
import type { Writable } from 'node:stream';

const corked = new Set<Writable>();
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/** Corks `socket` until the end of the current event-loop turn (idempotent within a turn). */
export function corkForThisTurn(socket: Writable): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    setImmediate(uncorkAll);
  }
}
