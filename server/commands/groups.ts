// create group, add/remove/leave group and grouplist.
import { toGroupInfo } from '../services/groups';
import type { CommandSpec } from './types';

/** create group <name> <member> ... — the creator is a member; every member must exist */
export const createGroup: CommandSpec<'create-group'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return { group: toGroupInfo(await ctx.services.groups.create(ctx.user, cmd.group, cmd.members)) };
  },
};

/** add group <name> <member> ... — owner only */
export const groupAdd: CommandSpec<'group-add'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return { group: toGroupInfo(await ctx.services.groups.add(ctx.user, cmd.group, cmd.members)) };
  },
};

/** remove group <name> <member> ... — owner only */
export const groupRemove: CommandSpec<'group-remove'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    return { group: toGroupInfo(await ctx.services.groups.remove(ctx.user, cmd.group, cmd.members)) };
  },
};

/** leave group <name> */
export const groupLeave: CommandSpec<'group-leave'> = {
  needsAuth: true,
  async handle(ctx, cmd) {
    await ctx.services.groups.leave(ctx.user, cmd.group);
    return { group: cmd.group };
  },
};

/** grouplist — my groups with their members */
export const grouplist: CommandSpec<'grouplist'> = {
  needsAuth: true,
  async handle(ctx) {
    return { groups: (await ctx.services.groups.list(ctx.user)).map(toGroupInfo) };
  },
};
