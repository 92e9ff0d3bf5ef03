// `group` event: membership changed in a group I am (or was) in. `group` is
// null once the group no longer includes me, which closes its conversation.
import type { EventOf } from '../../../server/protocol';
import { conversations, groupKey } from '../state/conversations.svelte';
import { groups } from '../state/groups.svelte';
import { notices } from '../state/notices.svelte';
import { profiles } from '../state/profiles.svelte';
import { session } from '../state/session.svelte';

/** The notice for a change someone else made, naming people by display name. */
function describe(event: EventOf<'group'>): string {
  const who = event.members.map((m) => profiles.displayName(m)).join(', ');
  const actor = profiles.displayName(event.actor);
  switch (event.change) {
    case 'created':
      return `${actor} added you to the new group ${event.name}`;
    case 'added':
      return `${actor} added ${who} to ${event.name}`;
    case 'removed':
      return `${actor} removed ${who} from ${event.name}`;
    case 'left':
      return `${actor} left ${event.name}`;
    case 'deleted':
      return `Group ${event.name} was deleted`;
  }
}

export function handleGroup(event: EventOf<'group'>): void {
  const key = groupKey(event.name);
  if (event.group) {
    groups.upsert(event.group);
    conversations.ensure(key).closed = false;
  } else {
    groups.remove(event.name);
    const conversation = conversations.get(key);
    if (conversation) conversation.closed = true;
  }
  if (event.actor !== session.username) notices.info(describe(event));
}
