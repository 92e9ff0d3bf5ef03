// Output thresholds shared by both transports.

/**
 * Unsent output (bytes) above which a connection's input waits and its socket
 * is not read: a quarter of the slow-consumer limit, at most 256 KiB. A client
 * that sends without reading the answers slows itself down long before it
 * would be disconnected for the queue.
 */
export function outputPauseBytes(maxSendQueueBytes: number): number {
  return Math.min(256 * 1024, Math.floor(maxSendQueueBytes / 4));
}
