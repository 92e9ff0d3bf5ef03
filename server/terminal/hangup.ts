// After the terminal hung up (its window closed), Node 20 aborts on exit: it
// restores the terminal's settings with tcsetattr, which fails with EIO on a
// hung-up terminal, and it treats that as a fatal error (nodejs/node#51519,
// fixed upstream by nodejs/node#58200, not in Node 20). It skips descriptors
// that are no longer open, so the client closes its terminal descriptors
// before exiting. Nothing is lost: the terminal is gone, and the client turned
// raw mode off itself when it stopped reading.
import { closeSync } from 'node:fs';

/** Closes stdin, stdout and stderr (the streams first, then the descriptors); call only right before exiting. */
export function releaseHungUpTerminal(): void {
  for (const stream of [process.stdin, process.stdout, process.stderr]) {
    stream.on('error', () => undefined);
    stream.destroy();
  }
  for (const fd of [0, 1, 2]) {
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  }
}
