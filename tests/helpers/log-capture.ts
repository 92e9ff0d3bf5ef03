// A server logger whose JSON lines are kept in memory, for tests that check
// what the server logged.
import { createLogger, type Logger } from '../../server/log';

export interface CapturedLog {
  log: Logger;
  /** Every line logged so far, parsed. */
  readonly entries: Record<string, unknown>[];
}

export function captureLog(level = 'info'): CapturedLog {
  const entries: Record<string, unknown>[] = [];
  const log = createLogger(level, 'json', {
    write(line: string) {
      entries.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { log, entries };
}
