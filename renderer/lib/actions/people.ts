// People actions: presence lists, ping, block and unblock.
import { ErrorCode, MAX_DIRECTORY_SIZE } from '../../../server/protocol';
import { toWireError } from '../client/errors';
import { notices } from '../state/notices.svelte';
import { people } from '../state/people.svelte';
import { profiles } from '../state/profiles.svelte';
import { session } from '../state/session.svelte';
import { applyResult } from './apply';
import { client } from './client-ref';
import { describeError } from './describe-error';

function report(err: unknown, what: string): void {
  notices.error(`${what}: ${describeError(toWireError(err))}`);
}

/** Reloads who is online now and who was seen in the last hour. */
export async function refreshPeople(): Promise<void> {
  try {
    const [now, hour] = await Promise.all([client().request({ type: 'whoelse' }), client().request({ type: 'wholasthr' })]);
    applyResult('wholasthr', hour);
    applyResult('whoelse', now);
  } catch (err) {
    report(err, 'Could not load who is online');
  }
  await watchShown();
}

/** The watch list last sent, to skip sending the same one again. */
let watched = '';

/**
 * Subscribes to the presence changes of everyone the sidebar and the people
 * view show (online, seen in the last hour, the directory's answer), at most
 * 500: the server pushes only those, besides group co-members and direct peers.
 */
async function watchShown(): Promise<void> {
  const names = [...new Set([...people.online, ...people.recent, ...people.directory.map((u) => u.username)])]
    .filter((n) => n !== session.username)
    .sort()
    .slice(0, MAX_DIRECTORY_SIZE);
  const key = names.join(' ');
  if (key === watched) return;
  try {
    await client().request({ type: 'watch', users: names });
    watched = key;
  } catch {
    // Presence dots then update on the next refresh instead of live.
  }
}

/** A new session starts with no watch list on the server. */
export function forgetWatched(): void {
  watched = '';
}

/** Loads the people directory: every account whose name contains `query` (all of them for ''). */
export async function searchDirectory(query: string): Promise<void> {
  try {
    const result = await client().request(query === '' ? { type: 'users' } : { type: 'users', query });
    people.setDirectory(query, result, session.username);
    applyResult('users', result);
  } catch (err) {
    report(err, 'Could not load the people directory');
  }
  await watchShown();
}

export async function refreshBlocks(): Promise<void> {
  try {
    applyResult('blocklist', await client().request({ type: 'blocklist' }));
  } catch (err) {
    report(err, 'Could not load your block list');
  }
}

/**
 * The registered spelling of the account `typed` names (names match in any
 * case), or null when there is no such account. Other failures throw.
 */
export async function resolveUser(typed: string): Promise<string | null> {
  try {
    return (await client().request({ type: 'ping', user: typed })).user;
  } catch (err) {
    if (toWireError(err).code === ErrorCode.UNKNOWN_USER) return null;
    throw err;
  }
}

export async function ping(user: string): Promise<void> {
  try {
    applyResult('ping', await client().request({ type: 'ping', user }));
  } catch (err) {
    report(err, `Could not ping ${profiles.displayName(user)}`);
  }
}

export async function block(user: string): Promise<boolean> {
  try {
    applyResult('block', await client().request({ type: 'block', user }));
    notices.info(`${profiles.displayName(user)} is blocked: their messages will not reach you.`);
    return true;
  } catch (err) {
    report(err, `Could not block ${profiles.displayName(user)}`);
    return false;
  }
}

export async function unblock(user: string): Promise<boolean> {
  try {
    applyResult('unblock', await client().request({ type: 'unblock', user }));
    notices.info(`${profiles.displayName(user)} is unblocked.`);
    return true;
  } catch (err) {
    report(err, `Could not unblock ${profiles.displayName(user)}`);
    return false;
  }
}
