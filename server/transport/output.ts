// Output thresholds and waits shared by both transports.
import type { Duplex } from 'node:stream';

/**
 * Unsent output (bytes) above which a connection's input waits and its socket
 * is not read: a quarter of the slow-consumer limit, at most 256 KiB. A client
 * that sends without reading the answers slows itself down long before it
 * would be disconnected for the queue.
 */
export function outputPauseBytes(maxSendQueueBytes: number): number {
  return Math.min(256 * 1024, Math.floor(maxSendQueueBytes / 4));
}

/**
 * Calls `fn` once `socket` drained, or once it closed: a socket that goes away
 * while output is queued never emits 'drain', and input queued before the peer
 * left is still handled (the pump waiting on this must not wait forever).
 */
export function onceDrainedOrClosed(socket: Duplex, fn: () => void): void {
  const done = (): void => {
    socket.off('drain', done);
    socket.off('close', done);
    fn();
  };
  socket.once('drain', done);
  socket.once('close', done);
}
