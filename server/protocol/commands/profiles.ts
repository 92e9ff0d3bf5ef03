// profile and profiles: a person's display name and picture (set your own,
// read anyone's), and the batch lookup clients use for names they meet.
import { z } from 'zod';
import { defineCommand } from '../command';
import { MAX_PROFILE_LOOKUP } from '../limits';
import { DisplayName, FileId, UserProfile, Username } from '../models';
import { oneLine, splitWord, words } from '../text';

/** `alice ("Alice Liddell"), picture: <link>` — one profile on one line. */
function describeProfile(p: UserProfile, linkBase: string): string {
  const name = p.displayName === null ? 'no display name' : `"${oneLine(p.displayName)}"`;
  const picture = p.avatarUrl === null ? 'no picture' : `picture ${linkBase}${p.avatarUrl}`;
  return `${p.username}: ${name}, ${picture}`;
}

/**
 * Reads or changes my profile, or reads another user's. With `displayName`
 * and/or `avatar` it changes mine (null clears the field; a field left out
 * stays as it is); with `user` it reads theirs (and may not be combined with
 * a change); with neither it reads mine. `avatar` is the id of an image I
 * uploaded (POST /api/files). Answers the profile as it now is.
 */
export const profile = defineCommand({
  schema: z
    .strictObject({
      type: z.literal('profile'),
      displayName: DisplayName.nullable().optional(),
      avatar: FileId.nullable().optional(),
      user: Username.optional(),
    })
    .refine((r) => r.user === undefined || (r.displayName === undefined && r.avatar === undefined), {
      message: '"user" reads a profile; it cannot be combined with displayName or avatar',
    }),
  result: UserProfile,
  text: {
    words: ['profile'],
    usage: 'profile | profile <user> | profile name [display name] | profile avatar [file-id]',
    parse(rest) {
      const [first, after] = splitWord(rest);
      const field = first.toLowerCase();
      if (first === '') return {};
      // `profile name` alone clears the display name; `profile avatar` alone removes the picture.
      if (field === 'name') return { displayName: after.trim() === '' ? null : after };
      if (field === 'avatar') {
        const id = words(after);
        if (id.length > 1) return null;
        return { avatar: id.length === 0 ? null : id[0] };
      }
      // `@name` reads the user "name" (or "avatar") rather than changing mine.
      const user = first.startsWith('@') ? first.slice(1) : first;
      return words(after).length === 0 ? { user } : null;
    },
  },
  render: (p, _time, linkBase = '') => [describeProfile(p, linkBase)],
});

/** The profiles of `users` (registered spelling answered; unknown names left out), in request order. */
export const profiles = defineCommand({
  schema: z.strictObject({
    type: z.literal('profiles'),
    users: z.array(Username).min(1, 'must name at least one user').max(MAX_PROFILE_LOOKUP, `must name at most ${MAX_PROFILE_LOOKUP} users`),
  }),
  result: z.object({ users: z.array(UserProfile) }),
  text: {
    words: ['profiles'],
    usage: 'profiles <user> ...',
    parse(rest) {
      const users = words(rest);
      return users.length === 0 ? null : { users };
    },
  },
  render: ({ users }, _time, linkBase = '') => (users.length === 0 ? ['No such users.'] : users.map((p) => describeProfile(p, linkBase))),
});
