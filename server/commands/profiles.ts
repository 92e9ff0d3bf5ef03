// profile and profiles: display names and pictures.
import type { ProfileChange } from '../services/profiles';
import type { CommandSpec } from './types';

/**
 * profile | profile <user> | profile name [display name] | profile avatar [file-id]
 * JSON: {"type":"profile","displayName"?:S|null,"avatar"?:FILE_ID|null,"user"?:NAME}
 */
export const profile: CommandSpec<'profile'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    const change: ProfileChange = {};
    if (cmd.displayName !== undefined) change.displayName = cmd.displayName;
    if (cmd.avatar !== undefined) change.avatar = cmd.avatar;
    const changing = Object.keys(change).length > 0;
    // The schema refuses `user` together with a change.
    if (cmd.user !== undefined) return ctx.services.profiles.get(cmd.user);
    return changing ? ctx.services.profiles.change(ctx.user, change) : ctx.services.profiles.get(ctx.user);
  },
};

/** profiles <user> ... — JSON: {"type":"profiles","users":[NAME,...]} */
export const profiles: CommandSpec<'profiles'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return { users: await ctx.services.profiles.lookup(cmd.users) };
  },
};
