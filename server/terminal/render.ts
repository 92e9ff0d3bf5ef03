// What the terminal client prints for server events, replies and errors: the
// protocol's own text renderers (the lines `nc` shows for the same thing), with
// colours added to a delivery's parts when the terminal has them.
import {
  formatClock,
  formatDelivery,
  formatError,
  formatEvent,
  formatResult,
  oneLine,
  type CommandType,
  type EventFrame,
  type ResultOf,
  type WireError,
} from '../protocol';
import { printable, type Paint } from './screen';

export interface Rendered {
  lines: string[];
  style: 'plain' | 'notice' | 'error';
}

/**
 * `#17 [12:31] alice (group team, offline): hi`, each part in its colour: the seq and
 * time dim, the sender bold, the kind by kind. The uncoloured text is exactly the
 * protocol's delivery line; if the parts ever disagree with it, the line stays plain.
 * `linkBase` (the server's HTTP origin) makes attachment links whole, as on TCP lines.
 */
export function paintDelivery(event: Extract<EventFrame, { event: 'message' }>, paint: Paint, linkBase = ''): string {
  const { seq, offline, message } = event;
  const plain = printable(formatDelivery(seq, offline, message, formatClock, linkBase));
  const kind = message.kind === 'group' ? `group ${message.group ?? ''}` : message.kind;
  const kindColour = message.kind === 'private' ? 'magenta' : message.kind === 'broadcast' ? 'yellow' : 'green';
  const parts: Array<[string, ...Parameters<Paint>[1][]]> = [
    [`#${seq} [${formatClock(message.ts)}]`, 'dim'],
    [' '],
    [message.from, 'bold', 'cyan'],
    [' ('],
    [kind, kindColour],
    [offline ? ', offline' : '', 'dim'],
    ['): '],
    [printable(oneLine(message.text))],
  ];
  if (parts.map(([text]) => text).join('') !== plain) return paint(plain);
  return parts.map(([text, ...attrs]) => (text === '' ? '' : paint(text, ...attrs))).join('');
}

/** A server event as lines (none for events the text protocol does not show, such as hello). */
export function renderEvent(event: EventFrame): Rendered | null {
  if (event.event === 'hello') return null;
  const line = formatEvent(event);
  if (line === null) return null;
  return { lines: [line], style: event.event === 'message' ? 'plain' : 'notice' };
}

/** A command's result, rendered by the command's own renderer (attachment links prefixed with `linkBase`). */
export function renderResult<K extends CommandType>(type: K, result: ResultOf<K>, linkBase = ''): Rendered {
  return { lines: formatResult(type, result, formatClock, linkBase), style: 'plain' };
}

/** `error CODE: explanation`, as the server writes it on TCP. */
export function renderError(error: WireError): Rendered {
  return { lines: [formatError(error)], style: 'error' };
}
