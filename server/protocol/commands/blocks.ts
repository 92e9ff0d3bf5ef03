// block, unblock and blocklist.
import { z } from 'zod';
import { defineCommand } from '../command';
import { Username } from '../models';
import { list, noArguments, oneWord } from '../text';

/** Their messages, broadcasts and group messages stop reaching me. */
export const block = defineCommand({
  schema: z.strictObject({ type: z.literal('block'), user: Username }),
  result: z.object({ user: Username }),
  text: { words: ['block'], usage: 'block <user>', parse: oneWord('user') },
  render: ({ user }) => [`${user} is blocked: their messages will not reach you.`],
});

export const unblock = defineCommand({
  schema: z.strictObject({ type: z.literal('unblock'), user: Username }),
  result: z.object({ user: Username }),
  text: { words: ['unblock'], usage: 'unblock <user>', parse: oneWord('user') },
  render: ({ user }) => [`${user} is unblocked.`],
});

/** Whom I blocked. */
export const blocklist = defineCommand({
  schema: z.strictObject({ type: z.literal('blocklist') }),
  result: z.object({ users: z.array(Username) }),
  text: { words: ['blocklist'], usage: 'blocklist', parse: noArguments },
  render: ({ users }) => [users.length === 0 ? 'You have blocked no one.' : `Blocked (${users.length}): ${list(users)}`],
});
