// `edited`, `deleted` and `reaction` events: a message I can see changed.
// Updates its entry where it is loaded; a conversation not loaded yet reads
// the final state with its history.
import type { EventOf } from '../../../server/protocol';
import { conversations, keyOfMessage } from '../state/conversations.svelte';
import { applyDeleted, applyEdited } from '../state/message-changes';
import { session } from '../state/session.svelte';

type ChangeEvent = EventOf<'edited'> | EventOf<'deleted'> | EventOf<'reaction'>;

export function handleMessageChange(event: ChangeEvent): void {
  const me = session.username;
  if (me === null) return;
  const conversation = conversations.get(keyOfMessage({ ...event, text: '', ts: 0 }, me));
  if (!conversation) return;
  switch (event.event) {
    case 'edited':
      applyEdited(conversation, event.id, event.text, event.editedAt);
      break;
    case 'deleted':
      applyDeleted(conversation, event.id);
      break;
    case 'reaction':
      conversation.patch(event.id, (e) => ({ ...e, reactions: event.reactions }));
      break;
  }
}
