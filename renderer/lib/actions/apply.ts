// Applies a successful reply to state, so a result has the same effect whether
// it came from a button or from the command bar.
import type { CommandType, ResultOf } from '../../../server/protocol';
import { blocks } from '../state/blocks.svelte';
import { conversations, groupKey } from '../state/conversations.svelte';
import { groups } from '../state/groups.svelte';
import { people } from '../state/people.svelte';
import { profiles } from '../state/profiles.svelte';

export function applyResult<K extends CommandType>(type: K, result: ResultOf<K>): void {
  const r = result as ResultOf<CommandType>;
  switch (type) {
    case 'whoelse':
      people.setOnline((r as ResultOf<'whoelse'>).users);
      profiles.apply((r as ResultOf<'whoelse'>).profiles ?? []);
      break;
    case 'wholasthr':
      people.setLastHour((r as ResultOf<'wholasthr'>).users);
      profiles.apply((r as ResultOf<'wholasthr'>).users);
      break;
    case 'users':
      profiles.apply((r as ResultOf<'users'>).users);
      break;
    case 'profile':
      profiles.apply([r as ResultOf<'profile'>]);
      break;
    case 'profiles':
      profiles.apply((r as ResultOf<'profiles'>).users);
      break;
    case 'ping': {
      const p = r as ResultOf<'ping'>;
      people.pings = { ...people.pings, [p.user]: { ...p, at: Date.now() } };
      if (p.online) people.setOnline([...people.online, p.user]);
      else people.setOnline(people.online.filter((n) => n !== p.user));
      if (p.blockedByMe) blocks.add(p.user);
      else blocks.remove(p.user);
      break;
    }
    case 'block':
      blocks.add((r as ResultOf<'block'>).user);
      break;
    case 'unblock':
      blocks.remove((r as ResultOf<'unblock'>).user);
      break;
    case 'blocklist':
      blocks.set((r as ResultOf<'blocklist'>).users);
      break;
    case 'grouplist':
      groups.setAll((r as ResultOf<'grouplist'>).groups);
      for (const g of groups.list) conversations.ensure(groupKey(g.name)).closed = false;
      break;
    case 'create-group':
    case 'group-add':
    case 'group-remove': {
      const { group } = r as ResultOf<'create-group'>;
      groups.upsert(group);
      conversations.ensure(groupKey(group.name)).closed = false;
      break;
    }
    case 'group-leave': {
      const name = (r as ResultOf<'group-leave'>).group;
      groups.remove(name);
      const c = conversations.get(groupKey(name));
      if (c) c.closed = true;
      break;
    }
    default:
      break;
  }
}
