// Structured logging (pino). Secrets never reach a log line: passwords and
// tokens are redacted by path as a second line of defence. On a terminal the
// lines are human-readable (pino-pretty); anywhere else they are JSON.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { dropOutputToClosedPipe } from './ops/closed-output';

export type { Logger };

/** `auto` (the default): readable when stderr is a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** The format `auto` stands for, given whether stderr is a terminal. */
export function resolveLogFormat(format: LogFormat, stderrIsTty: boolean = process.stderr.isTTY === true): 'pretty' | 'json' {
  if (format === 'auto') return stderrIsTty ? 'pretty' : 'json';
  return format;
}

/**
 * A logger on stderr (or `destination`). `format` picks JSON or readable lines;
 * readable lines are coloured only on a terminal. Default: auto.
 */
export function createLogger(level: string, format: LogFormat = 'auto', destination?: pino.DestinationStream): Logger {
  // A terminal is written synchronously, as console.log writes it: log lines keep their
  // place among the console's and none is left in a buffer at exit. Pipes and files
  // (supervisors, containers: where the volume is) stay asynchronous.
  const sync = destination !== undefined || process.stderr.isTTY === true;
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: ['password', 'token', '*.password', '*.token', 'command.password', 'command.token'], censor: '[redacted]' },
  };
  if (resolveLogFormat(format) === 'pretty') {
    // Formatting runs on this thread: fine for a person watching a terminal, and it
    // keeps the server one bundle (a pino transport would load pino-pretty by name in a worker).
    const stream = pretty({
      destination: destination ?? 2,
      colorize: destination === undefined && process.stderr.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
      sync,
    });
    if (destination === undefined) dropOutputToClosedPipe(stream);
    return pino(options, stream);
  }
  if (destination !== undefined) return pino(options, destination);
  const stderr = pino.destination({ dest: 2, sync });
  dropOutputToClosedPipe(stderr);
  return pino(options, stderr);
}
