// The little of IRC (RFC 1459/2812) the load generator needs to drive ngIRCd and
// InspIRCd: registration, JOIN, PRIVMSG to a channel or a nick, and reading the
// lines that come back. Pure functions, so the parsing is unit-tested.

/** Lines that register `nick` (no password: the peers run without accounts). */
export function ircRegister(nick: string): string {
  return `NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`;
}

export function ircJoin(channel: string): string {
  return `JOIN ${channel}\r\n`;
}

/** PRIVMSG to a channel (`#name`) or a nick. `text` must not contain CR or LF. */
export function ircPrivmsg(target: string, text: string): string {
  return `PRIVMSG ${target} :${text}\r\n`;
}

/** A line from the server, split into the parts the load generator looks at. */
export interface IrcLine {
  /** Nick of the prefix (`:nick!user@host`), or the server name; null without a prefix. */
  source: string | null;
  /** Command word or three-digit numeric, upper case as sent. */
  command: string;
  /** Middle parameters and the trailing one (without its `:`), in order. */
  params: string[];
}

/** Parses one line (without CR LF). Returns null for an empty or malformed line. */
export function parseIrcLine(line: string): IrcLine | null {
  let rest = line;
  let source: string | null = null;
  if (rest.startsWith(':')) {
    const space = rest.indexOf(' ');
    if (space === -1) return null;
    const prefix = rest.slice(1, space);
    const bang = prefix.indexOf('!');
    source = bang === -1 ? prefix : prefix.slice(0, bang);
    rest = rest.slice(space + 1);
  }
  const params: string[] = [];
  let command: string | null = null;
  while (rest.length > 0) {
    if (rest.startsWith(':') && command !== null) {
      params.push(rest.slice(1));
      break;
    }
    const space = rest.indexOf(' ');
    const word = space === -1 ? rest : rest.slice(0, space);
    rest = space === -1 ? '' : rest.slice(space + 1);
    if (word === '') continue;
    if (command === null) command = word;
    else params.push(word);
  }
  return command === null ? null : { source, command, params };
}

/**
 * The text of a PRIVMSG line, or null for any other line. The hot path of every
 * IRC receiver: no allocation beyond the returned text.
 */
export function privmsgText(line: string): string | null {
  if (!line.startsWith(':')) return null;
  const space = line.indexOf(' ');
  if (space === -1 || !line.startsWith('PRIVMSG ', space + 1)) return null;
  const colon = line.indexOf(' :', space + 9);
  return colon === -1 ? null : line.slice(colon + 2);
}

/** Numerics that refuse a message or a registration step (the load generator counts them as errors). */
export function isIrcError(command: string): boolean {
  return /^[45]\d\d$/.test(command);
}
