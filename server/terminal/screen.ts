// Output of the terminal client: lines print above the line being typed (clear
// the input block, print, redraw the prompt and the partial input where the
// cursor was), with colours when the terminal has them. Everything shown is
// stripped of control characters first, so no server text can move the cursor
// or restyle the terminal.
import { clearScreenDown, cursorTo, moveCursor, type Interface } from 'node:readline';
import type { OutputStream } from './input';

/** What a line is, for its colour. */
export type LineStyle = 'plain' | 'notice' | 'error';

/** C0 and C1 control characters and DEL: an ESC or CSI from the server would drive the terminal. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]+/g;

/** `text` made safe to print on a terminal: control characters become one space. */
export function printable(text: string): string {
  return text.replace(CONTROLS, ' ');
}

const SGR = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
} as const;
export type Colour = keyof typeof SGR;

/** Wraps `text` in the given SGR attributes (or returns it as is when colours are off). */
export type Paint = (text: string, ...attrs: Colour[]) => string;

export const noPaint: Paint = (text) => text;
export const ansiPaint: Paint = (text, ...attrs) => (attrs.length === 0 ? text : `${attrs.map((a) => SGR[a]).join('')}${text}${SGR.reset}`);

/**
 * Whether to colour: never with --no-color, NO_COLOR (any value) or a stdout that is not a
 * terminal; otherwise when the terminal has colours (Node's hasColors(): TERM, FORCE_COLOR, ...).
 */
export function wantsColour(stdout: OutputStream & { hasColors?(): boolean }, env: NodeJS.ProcessEnv, flag: false | null): boolean {
  if (flag === false || env.NO_COLOR !== undefined || !stdout.isTTY) return false;
  return typeof stdout.hasColors === 'function' ? stdout.hasColors() : true;
}

/**
 * MUST: every line written is printable() text plus this module's own SGR codes.
 * MUST: with an editor attached, what is being typed (and the cursor within it) is
 * redrawn unchanged below the printed lines.
 */
export class Screen {
  readonly paint: Paint;
  private editor: Interface | null = null;

  constructor(
    private readonly out: OutputStream,
    colour: boolean,
  ) {
    this.paint = colour ? ansiPaint : noPaint;
  }

  /** The line editor printed lines must keep intact (null: none open). */
  attach(editor: Interface | null): void {
    this.editor = editor;
  }

  /** Prints lines of the given style (each made printable, then coloured). */
  print(lines: readonly string[], style: LineStyle = 'plain'): void {
    const colour: Colour[] = style === 'error' ? ['red'] : style === 'notice' ? ['dim'] : [];
    this.printRaw(lines.map((line) => this.paint(printable(line), ...colour)));
  }

  /**
   * Writes already printable (and painted) lines above the input line: moves to the top
   * of the prompt's block (it may wrap over several rows), clears it, prints, then lets
   * readline draw the prompt and the partial input again with the cursor where it was.
   */
  printRaw(lines: readonly string[]): void {
    if (lines.length === 0) return;
    const editor = this.editor;
    const text = `${lines.join('\n')}\n`;
    if (!editor || !this.out.isTTY) {
      this.out.write(text);
      return;
    }
    const { rows } = editor.getCursorPos();
    moveCursor(this.out, 0, -rows);
    cursorTo(this.out, 0);
    clearScreenDown(this.out);
    // readline's redraw starts by moving up as many rows as the cursor was below the
    // prompt's first row; leave that many rows below the printed lines for it.
    this.out.write(text + '\n'.repeat(rows));
    editor.prompt(true);
  }

  /** Draws the prompt and the partial input again (after the prompt text changed). */
  redraw(): void {
    if (this.editor && this.out.isTTY) this.editor.prompt(true);
  }
}
