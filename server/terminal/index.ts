// The terminal client's entry: `npm run client` (cli.ts) and the desktop app's
// `--client` call runTerminalClient with the arguments after the program name.
import { TerminalClient, type TerminalIO } from './client';
import { releaseHungUpTerminal } from './hangup';
import { parseTerminalArgs } from './options';

export type { TerminalIO } from './client';

/** The process's own streams and environment. */
export function processIO(): TerminalIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/**
 * Parses `argv` (the client's own arguments), runs the client until the person quits and
 * resolves with the exit code: 0 signed out cleanly, 1 never signed in, 2 bad arguments.
 * Without `io` it runs on the process's terminal (stdin, stdout, stderr, env).
 */
export async function runTerminalClient(argv: readonly string[], io?: TerminalIO): Promise<number> {
  const streams = io ?? processIO();
  const parsed = parseTerminalArgs(argv, streams.env);
  if ('exit' in parsed) {
    streams.stdout.write(parsed.stdout);
    streams.stderr.write(parsed.stderr);
    return parsed.exit;
  }
  const client = new TerminalClient(parsed.run, streams);
  const code = await client.run();
  // On the process's own terminal, a hang-up must not turn the clean exit into an abort.
  if (client.hungUp && !io) releaseHungUpTerminal();
  return code;
}
