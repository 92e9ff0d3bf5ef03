// The desktop app's logger: pino to stderr, level from CHAT_LOG_LEVEL (default info).
import pino from 'pino';

export const log = pino({ name: 'desktop', level: process.env.CHAT_LOG_LEVEL ?? 'info' }, pino.destination(2));

/** Adapts the logger to the `(message, err?)` warning callbacks the modules take. */
export function warn(message: string, err?: unknown): void {
  if (err === undefined) log.warn(message);
  else log.warn({ err }, message);
}
