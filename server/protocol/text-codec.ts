// The seed's text command language: one command per line, space separated.
// parseTextCommand() turns a line into the same Command the JSON codec yields;
// the format* functions render replies and events as single human lines (TCP
// clients such as `nc`, and the desktop app's command bar).
import { ErrorCode, ProtocolError, type WireError } from './errors';
import type { ChatMessage, CommandType, Command, EventFrame, ResultOf } from './schemas';
import { parseCommand } from './validate';

/** Text verbs and their syntax, shown by `help` and in error messages. */
export const TEXT_SYNTAX: Readonly<Record<string, string>> = {
  message: 'message <user> <text>',
  'message group': 'message group <name> <text>',
  broadcast: 'broadcast <text>',
  whoelse: 'whoelse',
  wholasthr: 'wholasthr',
  block: 'block <user>',
  unblock: 'unblock <user>',
  blocklist: 'blocklist',
  ping: 'ping <user>',
  offline: 'offline',
  'create group': 'create group <name> <member> ...',
  'add group': 'add group <name> <member> ...',
  'remove group': 'remove group <name> <member> ...',
  'leave group': 'leave group <name>',
  grouplist: 'grouplist',
  history: 'history <user|group> [before-id]',
  ack: 'ack <seq>',
  logout: 'logout',
  help: 'help',
};

function usage(key: string): ProtocolError {
  return new ProtocolError(ErrorCode.BAD_REQUEST, `Usage: ${TEXT_SYNTAX[key] ?? key}`);
}

/** Splits off the first space-separated word; runs of spaces count as one. */
function splitWord(input: string): [string, string] {
  const s = input.replace(/^ +/, '');
  const i = s.indexOf(' ');
  return i === -1 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function words(input: string): string[] {
  return input.split(' ').filter((w) => w.length > 0);
}

function parseInteger(word: string | undefined, key: string): number {
  if (word === undefined || !/^\d{1,15}$/.test(word)) throw usage(key);
  return Number(word);
}

/**
 * Parses one line of the text language. Leading/trailing whitespace is ignored;
 * message text keeps its inner spacing. Throws ProtocolError on bad input.
 */
export function parseTextCommand(line: string): Command {
  const trimmed = line.replace(/\t/g, ' ').trim();
  if (trimmed.length === 0) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Empty command. Type "help" for the list.');
  const [rawVerb, rest] = splitWord(trimmed);
  const verb = rawVerb.toLowerCase();
  const args = words(rest);
  const build = (key: string, value: Record<string, unknown>): Command => {
    try {
      return parseCommand(value);
    } catch (err) {
      // Prefix the text syntax so a person sees how to write it.
      if (err instanceof ProtocolError && err.code === ErrorCode.BAD_REQUEST) {
        throw new ProtocolError(ErrorCode.BAD_REQUEST, `${err.message.replace(/^[\w-]+: /, '')} (usage: ${TEXT_SYNTAX[key]})`);
      }
      throw err;
    }
  };
  const noArgs = (type: CommandType): Command => {
    if (args.length > 0) throw usage(type);
    return build(type, { type });
  };

  switch (verb) {
    case 'message': {
      const [target, text] = splitWord(rest);
      if (target.toLowerCase() === 'group') {
        const [group, groupText] = splitWord(text);
        if (!group || !groupText.trim()) throw usage('message group');
        return build('message group', { type: 'message-group', group, text: groupText });
      }
      if (!target || !text.trim()) throw usage('message');
      return build('message', { type: 'message', to: target, text });
    }
    case 'broadcast':
      if (!rest.trim()) throw usage('broadcast');
      return build('broadcast', { type: 'broadcast', text: rest.replace(/^ +/, '') });
    case 'whoelse':
    case 'wholasthr':
    case 'blocklist':
    case 'offline':
    case 'grouplist':
    case 'logout':
    case 'help':
      return noArgs(verb);
    case 'block':
    case 'unblock':
    case 'ping':
      if (args.length !== 1) throw usage(verb);
      return build(verb, { type: verb, user: args[0] });
    case 'create':
    case 'add':
    case 'remove':
    case 'leave': {
      const key = `${verb} group`;
      if (args[0]?.toLowerCase() !== 'group' || !args[1]) throw usage(key);
      const [, group, ...members] = args;
      if (verb === 'create') return build(key, { type: 'create-group', group, members });
      if (verb === 'leave') {
        if (members.length > 0) throw usage(key);
        return build(key, { type: 'group-leave', group });
      }
      if (members.length === 0) throw usage(key);
      return build(key, { type: verb === 'add' ? 'group-add' : 'group-remove', group, members });
    }
    case 'history': {
      let [first, second, third] = args;
      let group: boolean | undefined;
      if (first?.toLowerCase() === 'group' && second !== undefined) {
        group = true;
        [first, second] = [second, third];
        third = args[3];
      }
      if (!first || third !== undefined) throw usage('history');
      const before = second === undefined ? undefined : parseInteger(second, 'history');
      return build('history', { type: 'history', with: first, ...(group ? { group } : {}), ...(before !== undefined ? { before } : {}) });
    }
    case 'ack':
      if (args.length !== 1) throw usage('ack');
      return build('ack', { type: 'ack', seq: parseInteger(args[0], 'ack') });
    default:
      throw new ProtocolError(ErrorCode.UNKNOWN_COMMAND, `Unknown command "${rawVerb.slice(0, 40)}". Type "help" for the list.`);
  }
}

// ---------------------------------------------------------------- rendering

/** Renders a timestamp for a text line. Injected so tests and clients can pick a zone. */
export type TimeFormatter = (ts: number) => string;

export const formatClock: TimeFormatter = (ts) => {
  const d = new Date(ts);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/** Control characters (including line breaks) would split or corrupt a line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

function list(names: readonly string[]): string {
  return names.length === 0 ? '(none)' : names.join(', ');
}

function describeSource(message: ChatMessage, offline: boolean): string {
  const kind = message.kind === 'group' ? `group ${message.group}` : message.kind;
  return offline ? `${kind}, offline` : kind;
}

/** `#17 [12:31] alice (private): hi` */
export function formatDelivery(seq: number, offline: boolean, message: ChatMessage, time: TimeFormatter = formatClock): string {
  return `#${seq} [${time(message.ts)}] ${message.from} (${describeSource(message, offline)}): ${oneLine(message.text)}`;
}

/** `42 [12:31] alice: hi` — a history line, keyed by message id for paging. */
export function formatHistoryLine(message: ChatMessage, time: TimeFormatter = formatClock): string {
  return `${message.id} [${time(message.ts)}] ${message.from}: ${oneLine(message.text)}`;
}

export function formatError(error: WireError): string {
  return `error ${error.code}: ${oneLine(error.message)}`;
}

/** Renders a successful reply as one or more lines. */
export function formatResult<K extends CommandType>(type: K, result: ResultOf<K>, time: TimeFormatter = formatClock): string[] {
  const r = result as ResultOf<CommandType>;
  switch (type) {
    case 'login':
    case 'register': {
      const { username, offlineCount } = r as ResultOf<'login'>;
      const lines = [`Welcome, ${username}! Type "help" for commands.`];
      if (offlineCount > 0) lines.push(`${offlineCount} message(s) arrived while you were offline; they follow.`);
      return lines;
    }
    case 'logout':
      return ['Goodbye.'];
    case 'message': {
      const { message, queued } = r as ResultOf<'message'>;
      return [queued ? `${message.to} is offline; the message is queued and will be delivered when they sign in.` : `Sent to ${message.to}.`];
    }
    case 'broadcast': {
      const { delivered, blockedBy } = r as ResultOf<'broadcast'>;
      const lines = [`Broadcast sent to ${delivered} user(s).`];
      if (blockedBy > 0) lines.push(`Your message could not be delivered to some recipients (${blockedBy} have blocked you).`);
      return lines;
    }
    case 'whoelse': {
      const { users } = r as ResultOf<'whoelse'>;
      return [users.length === 0 ? 'No one else is online.' : `Online now (${users.length}): ${list(users)}`];
    }
    case 'wholasthr': {
      const { users } = r as ResultOf<'wholasthr'>;
      if (users.length === 0) return ['No one else was online in the last hour.'];
      const shown = users.map((u) =>
        u.online ? `${u.username} (online)` : `${u.username} (last login ${u.lastLoginAt === null ? 'never' : time(u.lastLoginAt)})`,
      );
      return [`Online in the last hour (${users.length}): ${shown.join(', ')}`];
    }
    case 'block':
      return [`${(r as ResultOf<'block'>).user} is blocked: their messages will not reach you.`];
    case 'unblock':
      return [`${(r as ResultOf<'unblock'>).user} is unblocked.`];
    case 'blocklist': {
      const { users } = r as ResultOf<'blocklist'>;
      return [users.length === 0 ? 'You have blocked no one.' : `Blocked (${users.length}): ${list(users)}`];
    }
    case 'ping': {
      const p = r as ResultOf<'ping'>;
      const state = p.online ? 'online' : `offline (last login ${p.lastLoginAt === null ? 'never' : time(p.lastLoginAt)})`;
      const blocks = [p.blockedByMe ? `you have blocked ${p.user}` : '', p.blockedMe ? `${p.user} has blocked you` : ''].filter(Boolean);
      return [`${p.user} is ${state}${blocks.length > 0 ? `; ${blocks.join('; ')}` : ''}.`];
    }
    case 'offline': {
      const { messages } = r as ResultOf<'offline'>;
      if (messages.length === 0) return ['No messages waited for you while you were offline.'];
      return [
        `Messages that waited for you while you were offline (${messages.length}):`,
        ...messages.map((d) => formatDelivery(d.seq, true, d.message, time)),
      ];
    }
    case 'create-group': {
      const { group } = r as ResultOf<'create-group'>;
      return [`Group ${group.name} created. Members: ${list(group.members)}`];
    }
    case 'message-group': {
      const { message, queued, blockedBy } = r as ResultOf<'message-group'>;
      const lines = [`Sent to group ${message.group}.`];
      if (queued.length > 0) lines.push(`Queued for offline member(s): ${list(queued)}`);
      if (blockedBy > 0) lines.push(`Your message could not be delivered to some members (${blockedBy} have blocked you).`);
      return lines;
    }
    case 'grouplist': {
      const { groups } = r as ResultOf<'grouplist'>;
      if (groups.length === 0) return ['You are in no groups.'];
      return [`Your groups (${groups.length}):`, ...groups.map((g) => `  ${g.name} (owner ${g.owner}): ${list(g.members)}`)];
    }
    case 'group-add':
    case 'group-remove': {
      const { group } = r as ResultOf<'group-add'>;
      return [`Group ${group.name} members: ${list(group.members)}`];
    }
    case 'group-leave':
      return [`You left group ${(r as ResultOf<'group-leave'>).group}.`];
    case 'history': {
      const { messages, hasMore, with: peer, group } = r as ResultOf<'history'>;
      if (messages.length === 0) return ['No messages.'];
      const lines = [...messages].reverse().map((m) => formatHistoryLine(m, time));
      if (hasMore) lines.push(`(older messages: history ${group ? 'group ' : ''}${peer} ${messages[messages.length - 1]!.id})`);
      return lines;
    }
    case 'ack':
      return [`Acknowledged up to #${(r as ResultOf<'ack'>).seq}.`];
    case 'help':
      return ['Commands:', ...Object.values(TEXT_SYNTAX).map((s) => `  ${s}`)];
    default:
      return ['OK'];
  }
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
    case 'shutdown':
      return `* Server is shutting down: ${event.reason}`;
  }
}
