// Structured logging (pino). Secrets never reach a log line: passwords and
// tokens are redacted by path as a second line of defence.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: ['password', 'token', '*.password', '*.token', 'command.password', 'command.token'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
