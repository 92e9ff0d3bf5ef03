// `profile` event: someone changed their display name or picture; every list,
// avatar and message header showing them follows.
import type { EventOf } from '../../../server/protocol';
import { profiles } from '../state/profiles.svelte';

export function handleProfile(event: EventOf<'profile'>): void {
  profiles.apply([{ username: event.username, displayName: event.displayName, avatarUrl: event.avatarUrl }]);
}
