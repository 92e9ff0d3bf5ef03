// `typing` event: someone is typing to me or in one of my groups.
import type { EventOf } from '../../../server/protocol';
import { directKey, groupKey } from '../state/conversations.svelte';
import { session } from '../state/session.svelte';
import { typing } from '../state/typing.svelte';

export function handleTyping(event: EventOf<'typing'>): void {
  if (event.from === session.username) return;
  typing.show(event.group === undefined ? directKey(event.from) : groupKey(event.group), event.from);
}
