// Files: the token HTTP file requests (POST /api/files, downloads) carry.
// Uploading and downloading are HTTP, not commands: see the README, "Files".
import { z } from 'zod';
import { defineCommand } from '../command';
import { Timestamp } from '../models';
import { noArguments } from '../text';

/**
 * A sign-in token for `Authorization: Bearer` on /api/files: the session's own
 * when it has one ("remember me", or signed in with a token), else a new one
 * that lasts 12 hours and is revoked by `logout`.
 */
export const fileToken = defineCommand({
  schema: z.strictObject({ type: z.literal('file-token') }),
  result: z.object({ token: z.string(), expiresAt: Timestamp.nullable() }),
  text: { words: ['file-token'], usage: 'file-token', parse: noArguments },
  render: ({ token }) => [`File token: ${token} (send it as "Authorization: Bearer <token>" to /api/files; logout revokes it)`],
});
