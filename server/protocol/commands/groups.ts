// create group, add/remove/leave group and grouplist.
import { z } from 'zod';
import { defineCommand } from '../command';
import { MAX_GROUP_MEMBERS_PER_REQUEST } from '../limits';
import { GroupInfo, GroupName, Username } from '../models';
import { list, noArguments, words } from '../text';

const Members = z.array(Username).max(MAX_GROUP_MEMBERS_PER_REQUEST);

/** `<name> <member> ...`: a name, then members (at least `min`). */
function nameAndMembers(min: number): (rest: string) => Record<string, unknown> | null {
  return (rest) => {
    const [group, ...members] = words(rest);
    return group && members.length >= min ? { group, members } : null;
  };
}

const renderMembers = ({ group }: { group: GroupInfo }) => [`Group ${group.name} members: ${list(group.members)}`];

/** The creator is a member; every member must exist. */
export const createGroup = defineCommand({
  schema: z.strictObject({ type: z.literal('create-group'), group: GroupName, members: Members }),
  result: z.object({ group: GroupInfo }),
  text: { words: ['create', 'group'], usage: 'create group <name> <member> ...', parse: nameAndMembers(0) },
  render: ({ group }) => [`Group ${group.name} created. Members: ${list(group.members)}`],
});

/** Owner only. */
export const groupAdd = defineCommand({
  schema: z.strictObject({ type: z.literal('group-add'), group: GroupName, members: Members.min(1) }),
  result: z.object({ group: GroupInfo }),
  text: { words: ['add', 'group'], usage: 'add group <name> <member> ...', parse: nameAndMembers(1) },
  render: renderMembers,
});

/** Owner only. */
export const groupRemove = defineCommand({
  schema: z.strictObject({ type: z.literal('group-remove'), group: GroupName, members: Members.min(1) }),
  result: z.object({ group: GroupInfo }),
  text: { words: ['remove', 'group'], usage: 'remove group <name> <member> ...', parse: nameAndMembers(1) },
  render: renderMembers,
});

export const groupLeave = defineCommand({
  schema: z.strictObject({ type: z.literal('group-leave'), group: GroupName }),
  result: z.object({ group: GroupName }),
  text: {
    words: ['leave', 'group'],
    usage: 'leave group <name>',
    parse(rest) {
      const args = words(rest);
      return args.length === 1 ? { group: args[0] } : null;
    },
  },
  render: ({ group }) => [`You left group ${group}.`],
});

/** My groups with their members. */
export const grouplist = defineCommand({
  schema: z.strictObject({ type: z.literal('grouplist') }),
  result: z.object({ groups: z.array(GroupInfo) }),
  text: { words: ['grouplist'], usage: 'grouplist', parse: noArguments },
  render: ({ groups }) => {
    if (groups.length === 0) return ['You are in no groups.'];
    return [`Your groups (${groups.length}):`, ...groups.map((g) => `  ${g.name} (owner ${g.owner}): ${list(g.members)}`)];
  },
});
