// The token for HTTP file requests (uploads and downloads go over HTTP).
import type { CommandSpec } from './types';

/** Lifetime of a token issued only for file requests (the session did not ask to be remembered). */
const FILE_TOKEN_MS = 12 * 3_600_000;

/** file-token */
export const fileToken: CommandSpec<'file-token'> = {
  needsAuth: true,
  async handle(ctx) {
    if (ctx.client.token) return { token: ctx.client.token, expiresAt: null };
    const { token, expiresAt } = await ctx.services.accounts.issueToken(ctx.user, FILE_TOKEN_MS);
    // Kept with the session, so logout revokes it like a remembered one.
    ctx.client.token = token;
    return { token, expiresAt };
  },
};
