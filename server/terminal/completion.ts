// Tab completion for the chat line: command words from the protocol's text
// syntaxes (so a new command completes without touching this file), then the
// names its usage asks for: <user> and <member> complete user names, <name>
// group names, <user|group> both.
import { TEXT_SYNTAX } from '../protocol';
import type { KnownNames } from './names';

type Slot = 'user' | 'group' | 'user-or-group' | 'other';

interface Syntax {
  /** Leading words, lowercase (`message`, `message group`). */
  words: string[];
  /** What each argument after the words is; the last may repeat (`<member> ...`). */
  slots: Slot[];
  repeatsLast: boolean;
}

function slotOf(placeholder: string): Slot {
  switch (placeholder) {
    case '<user>':
    case '<member>':
      return 'user';
    case '<name>':
      return 'group';
    case '<user|group>':
      return 'user-or-group';
    default:
      return 'other';
  }
}

/** The protocol's text syntaxes, split into words and argument slots. */
const SYNTAXES: readonly Syntax[] = Object.entries(TEXT_SYNTAX).map(([key, usage]) => {
  const words = key.split(' ');
  const rest = usage.split(' ').slice(words.length);
  const repeatsLast = rest[rest.length - 1] === '...';
  const placeholders = repeatsLast ? rest.slice(0, -1) : rest;
  return { words, slots: placeholders.map(slotOf), repeatsLast };
});

function namesFor(slot: Slot | undefined, names: KnownNames): string[] {
  switch (slot) {
    case 'user':
      return names.users;
    case 'group':
      return names.groups;
    case 'user-or-group':
      return [...names.users, ...names.groups];
    default:
      return [];
  }
}

/**
 * readline's completer: the candidates for the word under the cursor (the line up to
 * the cursor is what readline passes) and that word. A single candidate gets a
 * trailing space, so Tab moves on to the next argument.
 */
export function complete(line: string, names: KnownNames): [string[], string] {
  const words = line.replace(/^ +/, '').split(/ +/);
  const current = words.pop() ?? '';
  const typed = words.map((w) => w.toLowerCase());
  const candidates = new Set<string>();
  for (const syntax of SYNTAXES) {
    if (typed.length < syntax.words.length) {
      // Still in the command's own words: offer the next one if the typed ones match.
      if (typed.every((w, i) => w === syntax.words[i])) candidates.add(syntax.words[typed.length]!);
      continue;
    }
    if (!syntax.words.every((w, i) => w === typed[i])) continue;
    const index = typed.length - syntax.words.length;
    const slot = index < syntax.slots.length ? syntax.slots[index] : syntax.repeatsLast ? syntax.slots[syntax.slots.length - 1] : undefined;
    for (const name of namesFor(slot, names)) candidates.add(name);
  }
  const prefix = current.toLowerCase();
  const hits = [...candidates].filter((c) => c.toLowerCase().startsWith(prefix)).sort();
  return [hits.length === 1 ? [`${hits[0]} `] : hits, current];
}
