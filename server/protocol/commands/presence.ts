// whoelse, wholasthr, ping and watch.
import { z } from 'zod';
import { defineCommand } from '../command';
import { MAX_DIRECTORY_SIZE } from '../limits';
import { PresenceInfo, Timestamp, UserProfile, Username } from '../models';
import { list, noArguments, oneWord, words } from '../text';

/** Users online now, except me. */
export const whoelse = defineCommand({
  schema: z.strictObject({ type: z.literal('whoelse') }),
  result: z.object({
    users: z.array(Username),
    /** The profiles of `users`, in the same order (absent from older servers). */
    profiles: z.array(UserProfile).optional(),
  }),
  text: { words: ['whoelse'], usage: 'whoelse', parse: noArguments },
  render: ({ users }) => [users.length === 0 ? 'No one else is online.' : `Online now (${users.length}): ${list(users)}`],
});

/** Users online now or signed in within the last hour, except me. */
export const wholasthr = defineCommand({
  schema: z.strictObject({ type: z.literal('wholasthr') }),
  result: z.object({ users: z.array(PresenceInfo) }),
  text: { words: ['wholasthr'], usage: 'wholasthr', parse: noArguments },
  render: ({ users }, time) => {
    if (users.length === 0) return ['No one else was online in the last hour.'];
    const shown = users.map((u) =>
      u.online ? `${u.username} (online)` : `${u.username} (last login ${u.lastLoginAt === null ? 'never' : time(u.lastLoginAt)})`,
    );
    return [`Online in the last hour (${users.length}): ${shown.join(', ')}`];
  },
});

/** Online or not, and whether either side blocked the other. */
export const ping = defineCommand({
  schema: z.strictObject({ type: z.literal('ping'), user: Username }),
  result: z.object({
    user: Username,
    online: z.boolean(),
    lastLoginAt: Timestamp.nullable(),
    blockedByMe: z.boolean(),
    blockedMe: z.boolean(),
  }),
  text: { words: ['ping'], usage: 'ping <user>', parse: oneWord('user') },
  render: (p, time) => {
    const state = p.online ? 'online' : `offline (last login ${p.lastLoginAt === null ? 'never' : time(p.lastLoginAt)})`;
    const blocks = [p.blockedByMe ? `you have blocked ${p.user}` : '', p.blockedMe ? `${p.user} has blocked you` : ''].filter(Boolean);
    return [`${p.user} is ${state}${blocks.length > 0 ? `; ${blocks.join('; ')}` : ''}.`];
  },
});

/**
 * Subscribes to the presence changes of these users (besides those of group
 * co-members and direct peers, which come anyway); replaces the previous list,
 * an empty one ends the subscription. Unknown names are left out of the answer.
 */
export const watch = defineCommand({
  schema: z.strictObject({ type: z.literal('watch'), users: z.array(Username).max(MAX_DIRECTORY_SIZE) }),
  result: z.object({ users: z.array(Username) }),
  text: { words: ['watch'], usage: 'watch [user ...]', parse: (rest) => ({ users: words(rest) }) },
  render: ({ users }) => [users.length === 0 ? 'Not watching anyone.' : `Watching (${users.length}): ${list(users)}`],
});
