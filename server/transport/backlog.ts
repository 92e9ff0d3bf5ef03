// What a transport needs to stream a catch-up with backpressure: the bytes of
// catch-up writes not yet handed to the kernel (they never count against the
// slow-consumer limit: the server chose to send them, and it waits for them),
// and a promise that resolves once the socket's queue is short again.
import type { Writable } from 'node:stream';

/** A catch-up pauses once this much output is queued, and resumes on 'drain'. */
export const CATCH_UP_HIGH_WATER = 256 * 1024;

export class Backlog {
  /** Bytes of catch-up writes still queued in the socket. */
  private catchUpBytes = 0;

  constructor(private readonly socket: Writable) {}

  /** Counts a catch-up write of `bytes`; the returned callback (for the write) uncounts it once flushed or failed. */
  catchUpWrite(bytes: number): () => void {
    this.catchUpBytes += bytes;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.catchUpBytes -= bytes;
    };
  }

  /** True when what is queued beyond the catch-up exceeds `limit`: a slow consumer. */
  over(queued: number, limit: number): boolean {
    return queued - this.catchUpBytes > limit;
  }

  /** Resolves once the socket's queue is below CATCH_UP_HIGH_WATER (at once if it is), or the socket is gone. */
  drained(queued: () => number): Promise<void> {
    if (queued() < CATCH_UP_HIGH_WATER || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', check);
        this.socket.off('close', done);
        resolve();
      };
      const check = () => {
        if (queued() < CATCH_UP_HIGH_WATER) done();
      };
      this.socket.on('drain', check);
      this.socket.once('close', done);
    });
  }
}

/**
 * The slow-consumer test of a connection whose Backlog is made only by its
 * first catch-up write: without one, no catch-up output is queued and every
 * queued byte counts.
 */
export function overSendLimit(backlog: Backlog | null, queued: number, limit: number): boolean {
  return backlog ? backlog.over(queued, limit) : queued > limit;
}
