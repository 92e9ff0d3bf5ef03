// `edited`, `deleted` and `reaction` events: a message I can see changed.
// Updates its entry where it is loaded; a conversation not loaded yet reads
// the final state with its history.
import type { EventOf } from '../../../server/protocol';
import { conversations, keyOfMessage } from '../state/conversations.svelte';
import { compose } from '../state/compose.svelte';
import { session } from '../state/session.svelte';

type ChangeEvent = EventOf<'edited'> | EventOf<'deleted'> | EventOf<'reaction'>;

export function handleMessageChange(event: ChangeEvent): void {
  const me = session.username;
  if (me === null) return;
  const conversation = conversations.get(keyOfMessage({ ...event, text: '', ts: 0 }, me));
  if (!conversation) return;
  switch (event.event) {
    case 'edited':
      conversation.patch(event.id, (e) => ({ ...e, text: event.text, editedAt: event.editedAt }));
      conversation.patchListed(event.id, (last) => ({ ...last, text: event.text }));
      break;
    case 'deleted': {
      conversation.patch(event.id, ({ attachments: _files, reactions: _reactions, editedAt: _edited, ...e }) => ({ ...e, text: '', deleted: true }));
      conversation.patchListed(event.id, (last) => ({ ...last, text: '', deleted: true, files: 0 }));
      if (compose.editing === event.id) compose.editing = null;
      if (compose.replyTo?.entry.id === event.id) compose.replyTo = null;
      break;
    }
    case 'reaction':
      conversation.patch(event.id, (e) => ({ ...e, reactions: event.reactions }));
      break;
  }
  // Replies quoting the changed message show its new text (or that it was deleted).
  for (const e of conversation.entries) {
    if (e.replyTo?.id !== event.id || event.event === 'reaction' || e.id === null) continue;
    const quote =
      event.event === 'edited' ? { id: event.id, from: event.from, text: event.text } : { id: event.id, from: event.from, text: '', deleted: true as const };
    conversation.patch(e.id, (entry) => ({ ...entry, replyTo: quote }));
  }
}
