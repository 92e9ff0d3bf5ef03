// typing and users: the typing notice (ephemeral, never stored) and the people
// directory (every account, online or not).
import { z } from 'zod';
import { defineCommand } from '../command';
import { MAX_DIRECTORY_QUERY_LENGTH } from '../limits';
import { PresenceInfo, Username } from '../models';
import { splitWord, words } from '../text';

/**
 * "I am typing to NAME" (or, with `group: true`, in group NAME). Forwarded at
 * once to whoever is online there, never stored; see the `typing` event.
 */
export const typing = defineCommand({
  schema: z.strictObject({ type: z.literal('typing'), with: Username, group: z.boolean().optional() }),
  result: z.object({ with: Username, group: z.boolean() }),
  text: {
    words: ['typing'],
    usage: 'typing <user> | typing group <name>',
    parse(rest) {
      const [first, after] = splitWord(rest);
      if (first.toLowerCase() === 'group') {
        const name = words(after);
        return name.length === 1 ? { with: name[0], group: true } : null;
      }
      return first && words(after).length === 0 ? { with: first } : null;
    },
  },
  render: (r) => [r.group ? `Typing notice sent to group ${r.with}.` : `Typing notice sent to ${r.with}.`],
});

/** Every account whose name contains `query` (any case), with presence; sorted by name. */
export const users = defineCommand({
  schema: z.strictObject({
    type: z.literal('users'),
    query: z.string().max(MAX_DIRECTORY_QUERY_LENGTH, `must be at most ${MAX_DIRECTORY_QUERY_LENGTH} characters`).optional(),
  }),
  result: z.object({
    users: z.array(PresenceInfo),
    /** More accounts match than the MAX_DIRECTORY_SIZE listed: narrow the query. */
    more: z.boolean(),
  }),
  text: {
    words: ['users'],
    usage: 'users [query]',
    parse(rest) {
      const args = words(rest);
      if (args.length > 1) return null;
      return args.length === 1 ? { query: args[0] } : {};
    },
  },
  render: ({ users, more }, time) => {
    if (users.length === 0) return ['No one matches.'];
    const shown = users.map((u) =>
      u.online ? `${u.username} (online)` : `${u.username} (${u.lastLoginAt === null ? 'never signed in' : `last login ${time(u.lastLoginAt)}`})`,
    );
    const lines = [`People (${users.length}): ${shown.join(', ')}`];
    if (more) lines.push('More people match: narrow it down with "users <part of a name>".');
    return lines;
  },
});
