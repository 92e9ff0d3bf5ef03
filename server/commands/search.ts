// search: full-text search over the messages the caller can read.
import type { CommandSpec } from './types';

/** search <words> — messages I can read whose words start with each of these, newest first */
export const search: CommandSpec<'search'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    const { type: _type, ...request } = cmd;
    return ctx.services.search.search(ctx.user, request);
  },
};
