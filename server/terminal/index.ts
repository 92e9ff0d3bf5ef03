// The terminal client's entry: `npm run client` (cli.ts) and the desktop app's
// `--client` call runTerminalClient with the arguments after the program name.
import { TerminalClient, type TerminalIO } from './client';
import { parseTerminalArgs } from './options';

export type { TerminalIO } from './client';

/** The process's own streams and environment. */
export function processIO(): TerminalIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/**
 * Parses `argv` (the client's own arguments), runs the client until the person quits and
 * resolves with the exit code: 0 signed out cleanly, 1 never signed in, 2 bad arguments.
 */
export async function runTerminalClient(argv: readonly string[], io: TerminalIO = processIO()): Promise<number> {
  const parsed = parseTerminalArgs(argv, io.env);
  if ('exit' in parsed) {
    io.stdout.write(parsed.stdout);
    io.stderr.write(parsed.stderr);
    return parsed.exit;
  }
  return new TerminalClient(parsed.run, io).run();
}
