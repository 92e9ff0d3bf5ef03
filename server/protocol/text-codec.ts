// The seed's text command language: one command per line, space separated.
// parseTextCommand() turns a line into the same Command the JSON codec yields,
// using each command's text syntax from commands/; formatResult() renders a
// reply with the command's own renderer, and formatEvent() renders pushed events
// (TCP clients such as `nc`, and the desktop app's command bar).
import type { TextSyntax } from './command';
import { wireCommands } from './commands/index';
import { ErrorCode, ProtocolError, type WireError } from './errors';
import { parseHotLine } from './hot-commands';
import type { CommandType, Command, EventFrame, ResultOf } from './schemas';
import { formatClock, formatDelivery, formatReactions, list, oneLine, splitWord, type TimeFormatter } from './text';
import { parseCommand } from './validate';

export { formatClock, formatDelivery, formatDeliveryBody, formatHistoryLine, formatSize, oneLine, type TimeFormatter } from './text';

interface TypedSyntax extends TextSyntax {
  type: CommandType;
}

/** Every typed syntax, in `help` order. */
const SYNTAXES: readonly TypedSyntax[] = (Object.keys(wireCommands) as CommandType[]).flatMap((type) => {
  const text = wireCommands[type].text;
  return text ? [{ ...text, type }] : [];
});

/**
 * The syntaxes starting with each verb, most leading words first (the longest
 * match wins), built once: a line costs one lookup, not a filter and a sort.
 */
const BY_VERB: ReadonlyMap<string, readonly TypedSyntax[]> = (() => {
  const byVerb = new Map<string, TypedSyntax[]>();
  for (const syntax of SYNTAXES) {
    const list = byVerb.get(syntax.words[0]);
    if (list) list.push(syntax);
    else byVerb.set(syntax.words[0], [syntax]);
  }
  // A stable sort keeps `help` order among syntaxes with as many words.
  for (const list of byVerb.values()) list.sort((a, b) => b.words.length - a.words.length);
  return byVerb;
})();

/** Text syntaxes keyed by their leading words (`message`, `message group`, ...), in `help` order. */
export const TEXT_SYNTAX: Readonly<Record<string, string>> = Object.fromEntries(SYNTAXES.map((s) => [s.words.join(' '), s.usage]));

/** The usage line of every typed command, in `help` order. */
export const TEXT_USAGES: readonly string[] = SYNTAXES.map((s) => s.usage);

function usage(syntax: TextSyntax): ProtocolError {
  return new ProtocolError(ErrorCode.BAD_REQUEST, `Usage: ${syntax.usage}`);
}

/**
 * The syntax a line starts with, and what follows its leading words. The
 * syntax with the most matching words wins (`message group team hi` is a group
 * message, `message bob hi` a private one); a line that starts like a
 * multi-word syntax but does not match it gets that syntax's usage.
 */
function matchSyntax(verb: string, rest: string): [TypedSyntax, string] | null {
  const candidates = BY_VERB.get(verb);
  if (candidates === undefined) return null;
  for (const syntax of candidates) {
    if (syntax.words.length === 1) return [syntax, rest];
    let remaining = rest;
    let matched = true;
    for (const expected of syntax.words.slice(1)) {
      const [word, after] = splitWord(remaining);
      if (word.toLowerCase() !== expected) {
        matched = false;
        break;
      }
      remaining = after;
    }
    if (matched) return [syntax, remaining];
  }
  throw usage(candidates[0]!);
}

/**
 * Parses one line of the text language. Leading/trailing whitespace is ignored;
 * message text keeps its inner spacing. Throws ProtocolError on bad input.
 */
export function parseTextCommand(line: string): Command {
  const trimmed = (line.includes('\t') ? line.replace(/\t/g, ' ') : line).trim();
  if (trimmed.length === 0) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Empty command. Type "help" for the list.');
  // The usual line, a plain private message, is read directly (no word arrays, no intermediate objects).
  return parseHotLine(trimmed) ?? parseTextCommandBySyntax(trimmed);
}

/**
 * A trimmed, non-empty line read by the syntaxes of every command: what
 * parseTextCommand does with any line the hot path does not take (exported
 * for the test that holds the two to the same results).
 */
export function parseTextCommandBySyntax(trimmed: string): Command {
  const [rawVerb, rest] = splitWord(trimmed);
  const match = matchSyntax(rawVerb.toLowerCase(), rest);
  if (!match) throw new ProtocolError(ErrorCode.UNKNOWN_COMMAND, `Unknown command "${rawVerb.slice(0, 40)}". Type "help" for the list.`);
  const [syntax, after] = match;
  const fields = syntax.parse(after);
  if (fields === null) throw usage(syntax);
  try {
    return parseCommand({ type: syntax.type, ...fields });
  } catch (err) {
    // Prefix the text syntax so a person sees how to write it.
    if (err instanceof ProtocolError && err.code === ErrorCode.BAD_REQUEST) {
      throw new ProtocolError(ErrorCode.BAD_REQUEST, `${err.message.replace(/^[\w-]+: /, '')} (usage: ${syntax.usage})`);
    }
    throw err;
  }
}

// ---------------------------------------------------------------- rendering

export function formatError(error: WireError): string {
  return `error ${error.code}: ${oneLine(error.message)}`;
}

/** Renders a successful reply as one or more lines, with the command's own renderer. */
export function formatResult<K extends CommandType>(type: K, result: ResultOf<K>, time: TimeFormatter = formatClock, linkBase = ''): string[] {
  const render = wireCommands[type].render as (result: ResultOf<K>, time: TimeFormatter, linkBase: string) => string[];
  return render(result, time, linkBase);
}

/** Renders a pushed event as a line, or null for events the text transport does not show. */
export function formatEvent(event: EventFrame, time: TimeFormatter = formatClock): string | null {
  switch (event.event) {
    case 'hello':
      return `Welcome to ${event.server} (protocol ${event.protocol}).`;
    case 'message':
      return formatDelivery(event.seq, event.offline, event.message, time);
    case 'presence':
      return `* ${event.user} ${event.online ? 'is online' : 'went offline'}`;
    case 'group': {
      switch (event.change) {
        case 'created':
          return `* ${event.actor} created group ${event.name} with you in it`;
        case 'added':
          return `* ${event.actor} added ${list(event.members)} to group ${event.name}`;
        case 'removed':
          return `* ${event.actor} removed ${list(event.members)} from group ${event.name}`;
        case 'left':
          return `* ${event.actor} left group ${event.name}`;
        case 'deleted':
          return `* group ${event.name} was deleted`;
      }
      return null;
    }
    case 'typing':
      return event.group === undefined ? `* ${event.from} is typing` : `* ${event.from} is typing in group ${event.group}`;
    case 'read':
      return event.group ? `* ${event.by} read group ${event.with} up to #${event.messageId}` : `* ${event.by} read your messages up to #${event.messageId}`;
    case 'profile': {
      const name = event.displayName === null ? 'no display name' : `display name "${oneLine(event.displayName)}"`;
      return `* ${event.username} updated their profile: ${name}, ${event.avatarUrl === null ? 'no picture' : 'new picture'}`;
    }
    case 'edited':
      return `* ${event.from} edited #${event.id}: ${oneLine(event.text)}`;
    case 'deleted':
      return `* ${event.by} deleted #${event.id}`;
    case 'reaction': {
      const counts = event.reactions.length > 0 ? ` ${formatReactions(event.reactions)}` : '';
      return event.added
        ? `* ${event.user} reacted ${oneLine(event.emoji)} to #${event.id}${counts}`
        : `* ${event.user} removed ${oneLine(event.emoji)} from #${event.id}${counts}`;
    }
    case 'shutdown':
      return `* Server is shutting down: ${event.reason}`;
  }
}
