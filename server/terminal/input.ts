// Keyboard input of the terminal client: the sign-in prompts (the password read
// with echo off, in raw mode) and the chat line editor (Node's readline: line
// history, tab completion). Piped input (not a terminal) is read line by line
// for both, so the client can be scripted: `printf 'alice\npw\nwhoelse\n' | ...`.
import { clearScreenDown, createInterface, cursorTo, emitKeypressEvents, moveCursor, type Completer, type Interface, type Key } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** What the client needs of stdin: a readable that may be a terminal. */
export interface InputStream extends Readable {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** What the client needs of stdout: a writable that may be a terminal. */
export interface OutputStream extends Writable {
  isTTY?: boolean;
  columns?: number;
}

export interface ChatHandlers {
  /** A line was entered (without its line break). */
  line(text: string): void;
  /** Ctrl+C on the line editor. */
  interrupt(): void;
  /** Input ended: Ctrl+D on an empty line, or the end of piped input. */
  end(): void;
}

/** Most lines kept in the chat line history (in memory only: it holds what was typed, messages included). */
const HISTORY_SIZE = 1000;

/**
 * MUST: a prompt resolves exactly once: the line, or null when input ended or Ctrl+C was pressed.
 * MUST: a hidden prompt never writes what is typed.
 * MUST: lines reach either a prompt or the chat handlers, never both, in the order typed.
 */
export class Input {
  private readonly stdin: InputStream;
  private readonly stdout: OutputStream;
  private readonly completer: Completer;
  /** Piped input: one line reader for the whole run; null on a terminal. */
  private readonly piped: Interface | null;
  private readonly queued: string[] = [];
  private pipeEnded = false;
  private waiting: ((line: string | null) => void) | null = null;
  private chat: { handlers: ChatHandlers; editor: Interface | null } | null = null;
  private history: string[] = [];
  private promptText = '> ';
  /** Answers the raw prompt being shown with null (the terminal went away). */
  private cancelPrompt: (() => void) | null = null;
  private gone = false;
  private readonly onGone: () => void;

  /** @param onGone called when reading the input fails (the terminal went away); input then counts as ended. */
  constructor(stdin: InputStream, stdout: OutputStream, completer: Completer, onGone?: () => void) {
    this.stdin = stdin;
    this.stdout = stdout;
    this.completer = completer;
    this.piped = stdin.isTTY ? null : this.readPiped();
    this.onGone = onGone ?? (() => undefined);
    // A terminal that went away fails reads and mode changes with EIO; readline passes those
    // on as 'error' on the editor too. Either means: no more input.
    stdin.on('error', () => this.inputGone());
  }

  /** Reading failed: any prompt answers null and the chat ends (once). */
  private inputGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.onGone();
    this.cancelPrompt?.();
    const chat = this.chat;
    this.stopChat();
    chat?.handlers.end();
  }

  /** The line editor while chatting on a terminal (the screen redraws it), else null. */
  get editor(): Interface | null {
    return this.chat?.editor ?? null;
  }

  /** Asks one question. Hidden answers are read with echo off. Null: input ended or Ctrl+C. */
  ask(question: string, options: { hidden?: boolean } = {}): Promise<string | null> {
    if (this.stdin.isTTY && this.stdin.setRawMode) return this.askRaw(question, options.hidden === true);
    this.stdout.write(question);
    const next = this.queued.shift();
    if (next !== undefined) {
      if (!options.hidden) this.stdout.write(`${next}\n`);
      else this.stdout.write('\n');
      return Promise.resolve(next);
    }
    if (this.pipeEnded) {
      // As when the input ends while waiting: the prompt's line is finished, not left for the shell's prompt.
      this.stdout.write('\n');
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      this.waiting = (line) => {
        this.stdout.write(line !== null && !options.hidden ? `${line}\n` : '\n');
        resolve(line);
      };
    });
  }

  /** Starts handing lines to `handlers` (with a line editor on a terminal). */
  startChat(handlers: ChatHandlers): void {
    this.chat = { handlers, editor: null };
    if (this.piped) {
      for (let line = this.queued.shift(); line !== undefined && this.chat; line = this.queued.shift()) handlers.line(line);
      if (this.pipeEnded && this.chat) handlers.end();
      return;
    }
    const terminal = this.stdout.isTTY === true;
    const editor = createInterface({
      input: this.stdin,
      output: this.stdout,
      terminal,
      completer: terminal ? this.completer : undefined,
      history: [...this.history],
      historySize: HISTORY_SIZE,
      removeHistoryDuplicates: true,
      prompt: this.promptText,
      tabSize: 4,
    });
    editor.on('history', (history: string[]) => (this.history = history));
    editor.on('error', () => this.inputGone());
    editor.on('line', (line) => this.chat?.handlers.line(line));
    editor.on('SIGINT', () => this.chat?.handlers.interrupt());
    editor.on('close', () => {
      // Closed by stopChat(): nothing ended. Otherwise Ctrl+D or the terminal went away.
      if (this.chat?.editor === editor) {
        this.chat = null;
        if (terminal) this.stdout.write('\r\n');
        handlers.end();
      }
    });
    this.chat.editor = editor;
    editor.prompt();
  }

  /** Stops the chat line editor and erases its prompt and partial input (its history is kept for the next startChat). */
  stopChat(): void {
    const editor = this.chat?.editor;
    this.chat = null;
    if (!editor) return;
    if (this.stdout.isTTY) {
      moveCursor(this.stdout, 0, -editor.getCursorPos().rows);
      cursorTo(this.stdout, 0);
      clearScreenDown(this.stdout);
    }
    editor.close();
  }

  /** The chat prompt, e.g. `alice> `; redrawn at once when the editor is open. */
  setPrompt(text: string): void {
    this.promptText = text;
    const editor = this.chat?.editor;
    if (!editor) return;
    editor.setPrompt(text);
  }

  /** Releases the terminal (raw mode off, stdin no longer read). */
  close(): void {
    this.stopChat();
    this.piped?.close();
    if (this.stdin.isTTY && this.stdin.isRaw) this.stdin.setRawMode?.(false);
    this.stdin.pause();
  }

  private readPiped(): Interface {
    const reader = createInterface({ input: this.stdin, terminal: false });
    reader.on('line', (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = null;
        resolve(line);
      } else if (this.chat) {
        this.chat.handlers.line(line);
      } else {
        this.queued.push(line);
      }
    });
    reader.on('close', () => {
      this.pipeEnded = true;
      const resolve = this.waiting;
      this.waiting = null;
      resolve?.(null);
      if (this.chat && this.queued.length === 0) this.chat.handlers.end();
    });
    return reader;
  }

  /**
   * One line in raw mode: printable characters, Backspace, Ctrl+U (erase), Enter;
   * Ctrl+C, or Ctrl+D on an empty line, give null. Hidden: nothing is echoed.
   */
  private askRaw(question: string, hidden: boolean): Promise<string | null> {
    const stdin = this.stdin;
    const out = this.stdout;
    emitKeypressEvents(stdin);
    stdin.setRawMode!(true);
    stdin.resume();
    out.write(question);
    let value = '';
    return new Promise((resolve) => {
      const finish = (result: string | null) => {
        this.cancelPrompt = null;
        stdin.off('keypress', onKey);
        stdin.setRawMode!(false);
        stdin.pause();
        out.write('\r\n');
        resolve(result);
      };
      const erase = (chars: number) => {
        if (!hidden && chars > 0) out.write('\b \b'.repeat(chars));
      };
      const onKey = (text: string | undefined, key: Key | undefined) => {
        if (key?.ctrl && key.name === 'c') return finish(null);
        if (key?.ctrl && key.name === 'd') return value === '' ? finish(null) : undefined;
        if (key?.name === 'return' || key?.name === 'enter') return finish(value);
        if (key?.name === 'backspace') {
          const chars = [...value];
          if (chars.length > 0) {
            chars.pop();
            value = chars.join('');
            erase(1);
          }
          return;
        }
        if (key?.ctrl && key.name === 'u') {
          erase([...value].length);
          value = '';
          return;
        }
        // eslint-disable-next-line no-control-regex
        if (text && !key?.ctrl && !key?.meta && !/[\u0000-\u001f\u007f]/.test(text)) {
          value += text;
          if (!hidden) out.write(text);
        }
      };
      stdin.on('keypress', onKey);
      this.cancelPrompt = () => finish(null);
    });
  }
}
