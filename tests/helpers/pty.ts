// Runs a program in a real pseudo-terminal (node-pty) and keeps a headless
// terminal emulator (@xterm/headless) fed with its output, so a test can type
// keys and read the screen as a person sees it, as well as every raw byte.
// Every wait is bounded and says what it waited for and what the screen showed.
import xterm from '@xterm/headless';
import pty from 'node-pty';
import path from 'node:path';
import { REPO_ROOT } from './cli';

/** `node --import tsx server/terminal/cli.ts`: the terminal client from sources, as `npm run client` runs it. */
export const CLIENT_FROM_SOURCES = ['--import', 'tsx', path.join(REPO_ROOT, 'server', 'terminal', 'cli.ts')];

/** tsx compiles on start; on 2 busy cores that can take a while. */
const START_TIMEOUT_MS = 30_000;
const WAIT_TIMEOUT_MS = 15_000;

export interface PtyOptions {
  /** Arguments to node (default: the terminal client from sources) before `args`. */
  entry?: string[];
  env?: NodeJS.ProcessEnv;
  cols?: number;
  rows?: number;
}

export interface PtySession {
  readonly pid: number;
  /** Every byte the program wrote, escape sequences included. */
  readonly raw: string;
  /** Types text (use \r for Enter, \x03 for Ctrl+C, \t for Tab). */
  type(text: string): void;
  /** The whole buffer (scrollback and screen) as the emulator shows it: one string per line (rows a long line wrapped onto are joined), right-trimmed. */
  rows(): Promise<string[]>;
  /** The lines joined with newlines, trailing empty lines dropped. */
  text(): Promise<string>;
  /** Waits until the rendered text matches. */
  waitFor(pattern: RegExp | string, what?: string, timeoutMs?: number): Promise<void>;
  /** Waits until `check` holds for the rendered rows. */
  waitUntil(check: (rows: string[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal's name) once the program has exited. */
  readonly exited: Promise<{ code: number; signal: number | undefined }>;
  /** Waits for the exit, bounded. */
  waitForExit(timeoutMs?: number): Promise<{ code: number; signal: number | undefined }>;
  /** Sends a signal to the program. */
  signal(name: NodeJS.Signals): void;
  /** Closes the terminal, as closing its window does: the pty's master side goes away and the program gets SIGHUP. */
  hangUp(): void;
  /** Kills it if it still runs and frees the emulator. */
  dispose(): void;
}

/** Starts `node <entry> <args>` in a pseudo-terminal of cols x rows (default 100 x 30) from the repository root. */
export function spawnInPty(args: string[], options: PtyOptions = {}): PtySession {
  const cols = options.cols ?? 100;
  const rows = options.rows ?? 30;
  const env = { ...(options.env ?? process.env), TERM: options.env?.TERM ?? 'xterm-256color' } as Record<string, string>;
  const child = pty.spawn(process.execPath, [...(options.entry ?? CLIENT_FROM_SOURCES), ...args], { name: env.TERM, cols, rows, cwd: REPO_ROOT, env });
  const emulator = new xterm.Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true });
  let raw = '';
  let written: Promise<void> = Promise.resolve();
  let running = true;
  child.onData((data) => {
    raw += data;
    written = written.then(() => new Promise<void>((resolve) => emulator.write(data, resolve)));
  });
  const exited = new Promise<{ code: number; signal: number | undefined }>((resolve) => {
    child.onExit(({ exitCode, signal }) => {
      running = false;
      resolve({ code: exitCode, signal });
    });
  });

  const readRows = async (): Promise<string[]> => {
    await written;
    const buffer = emulator.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      if (!line) continue;
      // A row that continues the one above (the text wrapped) belongs to the same line.
      if (line.isWrapped && out.length > 0) out[out.length - 1] += line.translateToString(false);
      else out.push(line.translateToString(false));
    }
    const lines = out.map((l) => l.trimEnd());
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines;
  };

  const waitUntil = async (check: (rows: string[]) => boolean, what: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await readRows();
      if (check(current)) return;
      if (Date.now() > deadline || !running) {
        const why = running ? `Timed out after ${timeoutMs} ms` : 'The program exited';
        throw new Error(`${why} waiting for ${what}. The terminal shows:\n${current.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  return {
    pid: child.pid,
    get raw() {
      return raw;
    },
    type: (text) => child.write(text),
    rows: readRows,
    text: async () => (await readRows()).join('\n'),
    waitFor: (pattern, what, timeoutMs) =>
      waitUntil(
        (r) => (typeof pattern === 'string' ? r.join('\n').includes(pattern) : pattern.test(r.join('\n'))),
        what ?? String(pattern),
        timeoutMs ?? (raw === '' ? START_TIMEOUT_MS : WAIT_TIMEOUT_MS),
      ),
    waitUntil,
    exited,
    waitForExit: async (timeoutMs = WAIT_TIMEOUT_MS) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`The program did not exit within ${timeoutMs} ms; it showed:\n${raw.slice(-2000)}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    signal: (name) => child.kill(name),
    // node-pty's UnixTerminal closes the master and then sends SIGHUP (not in its typings).
    hangUp: () => {
      const closable = child as typeof child & { destroy?: () => void };
      if (typeof closable.destroy === 'function') closable.destroy();
      else child.kill('SIGHUP');
    },
    dispose: () => {
      if (running) child.kill('SIGKILL');
      emulator.dispose();
    },
  };
}

/** SGR (colour and style) escape sequences: `ESC [ ... m`. */
// eslint-disable-next-line no-control-regex
export const SGR = /\x1b\[[0-9;]*m/;
