// An edit or a deletion of a sent message, applied to a conversation's state
// in one place: whether the `edited`/`deleted` event told us (someone else's
// change) or the server accepted my own request (it sends me no event then).
import { compose } from './compose.svelte';
import type { Conversation } from './conversations.svelte';

/** Replies quoting message `id` show its new text, or that it was deleted. */
function requote(c: Conversation, id: number, text: string, deleted: boolean): void {
  for (const e of c.entries) {
    const quoted = e.replyTo;
    if (quoted?.id !== id || e.id === null) continue;
    const replyTo = deleted ? { id, from: quoted.from, text: '', deleted: true as const } : { id, from: quoted.from, text };
    c.patch(e.id, (entry) => ({ ...entry, replyTo }));
  }
}

/** Message `id` now reads `text` (edited at `editedAt`, ms, when known). */
export function applyEdited(c: Conversation, id: number, text: string, editedAt?: number): void {
  c.patch(id, (e) => ({ ...e, text, ...(editedAt !== undefined ? { editedAt } : {}) }));
  c.patchListed(id, (last) => ({ ...last, text }));
  requote(c, id, text, false);
}

/** Message `id` is deleted: its text, files, reactions and any edit or reply to it in progress go. */
export function applyDeleted(c: Conversation, id: number): void {
  c.patch(id, ({ attachments: _files, reactions: _reactions, editedAt: _edited, ...e }) => ({ ...e, text: '', deleted: true }));
  c.patchListed(id, (last) => ({ ...last, text: '', deleted: true, files: 0 }));
  if (compose.editing === id) compose.editing = null;
  if (compose.replyTo?.entry.id === id) compose.replyTo = null;
  requote(c, id, '', true);
}
