// Group actions: list, create, add and remove members, leave.
import { toWireError } from '../client/errors';
import { groupKey } from '../state/conversations.svelte';
import { notices } from '../state/notices.svelte';
import { profiles } from '../state/profiles.svelte';
import { applyResult } from './apply';
import { openConversation } from './chat';
import { client } from './client-ref';
import { describeError } from './describe-error';

/** People as notices name them: by display name, else as typed. */
const names = (users: readonly string[]) => users.map((u) => profiles.displayName(u)).join(', ');

function explain(err: unknown, what: string): string {
  return `${what}: ${describeError(toWireError(err))}`;
}

/** For failures no form shows inline: a toast. */
function report(err: unknown, what: string): string {
  const text = explain(err, what);
  notices.error(text);
  return text;
}

/** Splits "a, b c" into distinct names. */
export function parseNames(input: string): string[] {
  return [...new Set(input.split(/[\s,]+/).filter((n) => n.length > 0))];
}

export async function refreshGroups(): Promise<void> {
  try {
    applyResult('grouplist', await client().request({ type: 'grouplist' }));
  } catch (err) {
    report(err, 'Could not load your groups');
  }
}

/**
 * Creates a group and opens its chat (focus goes to its composer). Resolves an
 * error sentence for the form to show, or null on success.
 */
export async function createGroup(group: string, members: string[]): Promise<string | null> {
  try {
    applyResult('create-group', await client().request({ type: 'create-group', group, members }));
    notices.info(`Group ${group} created.`);
    await openConversation(groupKey(group));
    return null;
  } catch (err) {
    // The form shows it (role="alert"); no toast repeats it.
    return explain(err, `Could not create ${group}`);
  }
}

export async function addMembers(group: string, members: string[]): Promise<string | null> {
  try {
    applyResult('group-add', await client().request({ type: 'group-add', group, members }));
    notices.info(`Added ${names(members)} to ${group}.`);
    return null;
  } catch (err) {
    return report(err, `Could not add to ${group}`);
  }
}

export async function removeMembers(group: string, members: string[]): Promise<string | null> {
  try {
    applyResult('group-remove', await client().request({ type: 'group-remove', group, members }));
    notices.info(`Removed ${names(members)} from ${group}.`);
    return null;
  } catch (err) {
    return report(err, `Could not remove from ${group}`);
  }
}

export async function leaveGroup(group: string): Promise<void> {
  try {
    applyResult('group-leave', await client().request({ type: 'group-leave', group }));
    notices.info(`You left ${group}.`);
  } catch (err) {
    report(err, `Could not leave ${group}`);
  }
}
