// A reader that went away (`npm run server | head -1`, a log pipe whose reader
// died) must not take the server down with it: output to a closed pipe is
// dropped, as it would be for a daemon without a terminal, instead of ending
// the process with an unhandled EPIPE.
import type { EventEmitter } from 'node:events';

const DROPPED = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);
const handled = new WeakSet<EventEmitter>();

/** Makes a write error from a closed pipe on `stream` drop the output; any other error still ends the process. */
export function dropOutputToClosedPipe(stream: EventEmitter): void {
  if (handled.has(stream)) return;
  handled.add(stream);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (!DROPPED.has(err.code ?? '')) throw err;
  });
}
