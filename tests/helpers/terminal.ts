// The terminal client run with piped stdin and stdout (no terminal), as a
// script would run it, and the sign-in it is fed: what the sign-in and TLS
// tests of the terminal client share.
import { spawn } from 'node:child_process';
import { REPO_ROOT } from './cli';
import { CLIENT_FROM_SOURCES } from './pty';
import { passwordOf } from './users';

export interface PipedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the client with `args`, writes `input` to its stdin and ends it, and
 * resolves when it exits (rejects after 30 s). NO_COLOR is left unset unless
 * `noColor`, so a test can check that piped output has no colour of its own accord.
 */
export function runPipedClient(args: string[], input: string, { noColor = false } = {}): Promise<PipedRun> {
  const env = { ...process.env, NO_COLOR: noColor ? '1' : undefined };
  const child = spawn(process.execPath, [...CLIENT_FROM_SOURCES, ...args], { cwd: REPO_ROOT, env, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the piped client did not finish: ${stdout}\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The client's arguments for `url` with its own config directory and no OS keychain. */
export function clientArgs(url: string, configDir: string): string[] {
  return [url, '--config-dir', configDir, '--no-keychain'];
}

/** Piped input that signs `username` in with their test password, then types `commands`, one a line. */
export function signInInput(username: string, ...commands: string[]): string {
  return [username, passwordOf(username), ...commands].map((line) => `${line}\n`).join('');
}
