// Runs the server's command line in a child process, as an operator would:
// from sources (`node --import tsx server/cli.ts`) or from a built bundle.
// Every wait is bounded and reports what was printed.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** `node --import tsx server/cli.ts` from the repository. */
export const SOURCE_CLI = ['--import', 'tsx', path.join(REPO_ROOT, 'server', 'cli.ts')];
/** tsx compiles on start; on 2 busy cores that can take a while. */
export const CLI_TIMEOUT_MS = 25_000;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Arguments to node before the CLI's own (default: the sources through tsx). */
  entry?: string[];
  /** Text on stdin (closed after it). */
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs the CLI to completion; bounded by CLI_TIMEOUT_MS. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [...(options.entry ?? SOURCE_CLI), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI ${args.join(' ')} did not finish within ${CLI_TIMEOUT_MS} ms: ${stdout} ${stderr}`));
    }, CLI_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CliServer {
  child: ChildProcess;
  tcpPort: number | null;
  wsPort: number | null;
  /** Everything printed so far on stdout. */
  readonly stdout: string;
  /** Everything printed so far on stderr. */
  readonly stderr: string;
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

/**
 * Starts the CLI server and resolves once it printed where it listens and
 * "Press Ctrl+C to stop." (its signal handlers are in place by then).
 */
export async function spawnCliServer(args: string[], options: Omit<CliOptions, 'stdin'> = {}): Promise<CliServer> {
  const child = spawn(process.execPath, [...(options.entry ?? SOURCE_CLI), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let tcpPort: number | null = null;
  let wsPort: number | null = null;
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server printed no ports within ${CLI_TIMEOUT_MS} ms: ${stdout}\n${stderr}`));
    }, CLI_TIMEOUT_MS);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (${code}): ${stdout}\n${stderr}`));
    });
    lines.on('line', (line) => {
      stdout += `${line}\n`;
      tcpPort ??= Number(/^TCP listening on \S*:(\d+)/.exec(line)?.[1] ?? NaN) || null;
      wsPort ??= Number(/^WebSocket listening on wss?:\/\/\S*:(\d+)\/ws/.exec(line)?.[1] ?? NaN) || null;
      if (line.includes('Press Ctrl+C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  let stopping: Promise<number | null> | null = null;
  return {
    child,
    tcpPort,
    wsPort,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          const code = await exited;
          clearTimeout(timer);
          return code;
        }
        return exited;
      })()),
  };
}
