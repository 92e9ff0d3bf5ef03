// `group` event: membership changed in a group I am (or was) in. `group` is
// null once the group no longer includes me, which closes its conversation.
import type { EventOf } from '../../../server/protocol';
import { conversations, groupKey } from '../state/conversations.svelte';
import { groups } from '../state/groups.svelte';
import { notices } from '../state/notices.svelte';
import { session } from '../state/session.svelte';

function describe(event: EventOf<'group'>): string {
  const who = event.members.join(', ');
  switch (event.change) {
    case 'created':
      return `${event.actor} added you to the new group ${event.name}`;
    case 'added':
      return `${event.actor} added ${who} to ${event.name}`;
    case 'removed':
      return `${event.actor} removed ${who} from ${event.name}`;
    case 'left':
      return `${event.actor} left ${event.name}`;
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
