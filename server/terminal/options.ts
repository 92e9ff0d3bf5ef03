// The terminal client's command line: `npm run client -- [address] [flags]`
// (and the desktop app's `--client`). Parsed with commander into TerminalOptions.
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { normalizeFingerprint } from '../client';
import { Username } from '../protocol';

/** The server a bare `npm run client` talks to: the local server's WebSocket port. */
export const DEFAULT_ADDRESS = 'localhost:4001';

export interface TerminalOptions {
  /** What the person typed: host, host:port or a ws(s):// URL. Default DEFAULT_ADDRESS. */
  address: string;
  /** Sign in as this user (no Username prompt); null asks. */
  user: string | null;
  /** true/false: remember the sign-in or not, without asking; null asks (on a terminal). */
  remember: boolean | null;
  /** Forget the saved sign-in before signing in. */
  forget: boolean;
  /** Use the OS keychain for "remember me" when one is available. Default true. */
  keychain: boolean;
  /** Colours: null decides from the terminal (and NO_COLOR); false never. */
  color: false | null;
  /** Where the client keeps its files. */
  configDir: string;
  /** The SHA-256 fingerprint the server's TLS certificate must have (`AB:CD:...`), or null. */
  fingerprint: string | null;
}

/** `$XDG_CONFIG_HOME/chat`, else `~/.config/chat` (on every OS, like SSH's ~/.ssh). */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'chat');
}

/** The outcome of parsing: options to run with, or text to print and an exit code (help, usage errors). */
export type ParsedArgs = { run: TerminalOptions } | { exit: number; stdout: string; stderr: string };

interface Flags {
  user?: string;
  remember?: boolean;
  forget?: boolean;
  keychain?: boolean;
  color?: boolean;
  configDir?: string;
  fingerprint?: string;
}

/** Parses the client's arguments (without node and the script). Never exits the process. */
export function parseTerminalArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  let stdout = '';
  let stderr = '';
  const program = new Command('chat-client')
    .description('Terminal client of the chat server: sign in, then type the chat commands (help lists them).')
    .argument('[address]', 'server: host, host:port (wss:// unless it is this machine) or ws(s)://host:port', DEFAULT_ADDRESS)
    .option('-u, --user <name>', 'sign in as this user (skips the Username prompt)')
    .option('--remember', 'remember this sign-in without asking (keychain, else a private file)')
    .option('--no-remember', 'do not remember this sign-in and do not ask')
    .option('--forget', 'forget the saved sign-in first (the password is asked again)')
    .option('--no-keychain', 'keep "remember me" in a private file even when a keychain is available')
    .option('--no-color', 'plain text, no colours (also: the NO_COLOR environment variable)')
    .option('--config-dir <dir>', 'where the client keeps its files', defaultConfigDir(env))
    .option('--fingerprint <sha256>', "the SHA-256 fingerprint of the server's TLS certificate to insist on (pins it)")
    .helpOption('-h, --help', 'show this help')
    .configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) })
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return { exit: err.exitCode === 0 ? 0 : 2, stdout, stderr };
    throw err;
  }
  const flags = program.opts<Flags>();
  const user = flags.user ?? null;
  if (user !== null && !Username.safeParse(user).success) {
    return { exit: 2, stdout, stderr: 'error: --user: usernames are 1-32 letters, digits, "_", "." or "-"\n' };
  }
  let fingerprint: string | null = null;
  if (flags.fingerprint !== undefined) {
    try {
      fingerprint = normalizeFingerprint(flags.fingerprint);
    } catch (err) {
      return { exit: 2, stdout, stderr: `error: --fingerprint: ${(err as Error).message.replace(/^fingerprint: /, '')}\n` };
    }
  }
  return {
    run: {
      fingerprint,
      address: String(program.processedArgs[0] ?? DEFAULT_ADDRESS),
      user,
      // With both --remember and --no-remember defined, commander leaves it unset unless one was given.
      remember: flags.remember ?? null,
      forget: flags.forget === true,
      keychain: flags.keychain !== false,
      color: flags.color === false ? false : null,
      configDir: path.resolve(flags.configDir ?? defaultConfigDir(env)),
    },
  };
}
