// Sign-in, registration and sign-out. Sign-in has no text syntax: on TCP it
// happens at the username and password prompts.
import { z } from 'zod';
import { defineCommand } from '../command';
import { NewPassword, Password, Seq, Timestamp, UserProfile, Username } from '../models';
import { noArguments } from '../text';

/** What a successful sign-in (or registration) answers. */
const SignedIn = z.object({
  username: Username,
  /**
   * Present when `remember` was asked, and after every sign-in with a token:
   * the token to keep for the next sign-in. A token sign-in replaces the
   * token it used (rotation): that one is accepted for 60 s more, then refused,
   * and using it after that revokes every token rotated from the same sign-in.
   */
  token: z.string().optional(),
  tokenExpiresAt: Timestamp.optional(),
  /** Messages of the user's mailbox after this position follow as `message` events. */
  resumeFrom: Seq,
  /** The stream's head (highest position) when the session started. */
  lastSeq: Seq,
  /** How many queued messages waited while this user was offline. */
  offlineCount: z.number().int().min(0),
  /** My own display name and picture (absent from older servers). */
  profile: UserProfile.optional(),
});

function renderSignedIn({ username, offlineCount }: z.infer<typeof SignedIn>): string[] {
  const lines = [`Welcome, ${username}! Type "help" for commands.`];
  if (offlineCount > 0) lines.push(`${offlineCount} message(s) arrived while you were offline; they follow.`);
  return lines;
}

/** Sign in with a password or a sign-in token; `remember` asks for a token (a token sign-in always answers a new one). */
export const login = defineCommand({
  schema: z
    .strictObject({
      type: z.literal('login'),
      username: Username,
      password: Password.optional(),
      token: z.string().min(16).max(256).optional(),
      remember: z.boolean().optional(),
      /** Resume after this position (the last `seq` processed); default: the last acknowledged one. */
      resumeFrom: Seq.optional(),
      /** Receive `presence` events (default true). Bots and load tests switch them off. */
      presence: z.boolean().optional(),
    })
    .refine((r) => (r.password === undefined) !== (r.token === undefined), { message: 'give either a password or a token' }),
  result: SignedIn,
  text: null,
  render: renderSignedIn,
});

/** Create an account and sign in (only with --allow-register). */
export const register = defineCommand({
  schema: z.strictObject({
    type: z.literal('register'),
    username: Username,
    password: NewPassword,
    remember: z.boolean().optional(),
  }),
  result: SignedIn,
  text: null,
  render: renderSignedIn,
});

export const logout = defineCommand({
  schema: z.strictObject({ type: z.literal('logout') }),
  result: z.object({}),
  text: { words: ['logout'], usage: 'logout', parse: noArguments },
  render: () => ['Goodbye.'],
});
