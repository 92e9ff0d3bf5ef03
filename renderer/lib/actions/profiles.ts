// Profile actions: looking up the names and pictures of people the client
// meets (batched), and changing my own display name and picture.
import { MAX_PROFILE_LOOKUP, type UserProfile } from '../../../server/protocol';
import { toWireError } from '../client/errors';
import { profiles } from '../state/profiles.svelte';
import { session } from '../state/session.svelte';
import { applyResult } from './apply';
import { client } from './client-ref';
import { describeError } from './describe-error';
import { uploadFile } from './files';

const pending = new Set<string>();
let scheduled = false;
/** When each user's profile was last asked for (ms), so a broken picture link is refreshed at most once a minute. */
const asked = new Map<string, number>();
const REFRESH_MS = 60_000;

/** Asks the server, in one batch per tick, for the profiles of `names` the client does not know yet. */
export function wantProfiles(names: readonly string[]): void {
  for (const name of names) if (!profiles.isKnown(name) && !asked.has(name)) pending.add(name);
  schedule();
}

/** A picture link stopped working (its signature expired): asks for a fresh one, at most once a minute per user. */
export function refreshProfile(name: string): void {
  const last = asked.get(name) ?? 0;
  if (Date.now() - last < REFRESH_MS) return;
  profiles.dropPictureLink(name);
  pending.add(name);
  schedule();
}

function schedule(): void {
  if (scheduled || pending.size === 0 || !session.username) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    const names = [...pending];
    pending.clear();
    for (let i = 0; i < names.length; i += MAX_PROFILE_LOOKUP) void lookup(names.slice(i, i + MAX_PROFILE_LOOKUP));
  }, 0);
}

async function lookup(names: string[]): Promise<void> {
  const now = Date.now();
  for (const n of names) asked.set(n, now);
  try {
    applyResult('profiles', await client().request({ type: 'profiles', users: names }));
  } catch {
    // Names and initials stay as they are; a later sighting asks again.
    for (const n of names) asked.delete(n);
  }
}

/** Forgets what was asked (sign-out). */
export function resetProfileLookups(): void {
  pending.clear();
  asked.clear();
}

/** Changes my display name (null: show my username). Resolves an error message, or null when saved. */
export async function saveDisplayName(name: string | null): Promise<string | null> {
  return change({ displayName: name });
}

/** Uploads `file` and makes it my picture. Resolves an error message, or null when done. */
export async function savePicture(file: File): Promise<string | null> {
  let id: string;
  try {
    id = (await uploadFile(file)).id;
  } catch (err) {
    return `The picture could not be uploaded: ${(err as Error).message}`;
  }
  return change({ avatar: id });
}

/** Removes my picture (initials again). */
export async function removePicture(): Promise<string | null> {
  return change({ avatar: null });
}

async function change(fields: { displayName?: string | null; avatar?: string | null }): Promise<string | null> {
  try {
    const result: UserProfile = await client().request({ type: 'profile', ...fields });
    applyResult('profile', result);
    return null;
  } catch (err) {
    return describeError(toWireError(err));
  }
}
