// `presence` event: someone signed in or out; updates the presence dots.
import type { EventOf } from '../../../server/protocol';
import { people } from '../state/people.svelte';
import { session } from '../state/session.svelte';

export function handlePresence(event: EventOf<'presence'>): void {
  if (event.user === session.username) return;
  people.presence(event.user, event.online, event.at);
}
