// What can be done to a message already sent: reply to it, edit or delete it,
// react to it. The server checks who may; a refusal is shown as a toast.
import type { Conversation, Entry } from '../state/conversations.svelte';
import { compose } from '../state/compose.svelte';
import { applyDeleted, applyEdited } from '../state/message-changes';
import { notices } from '../state/notices.svelte';
import { ui } from '../state/ui.svelte';
import { toWireError } from '../client/errors';
import { client } from './client-ref';
import { describeError } from './describe-error';

/** The emojis the reaction picker offers. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const;

async function run(what: string, work: () => Promise<void>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (err) {
    notices.error(`Could not ${what}: ${describeError(toWireError(err))}`);
    return false;
  }
}

/** Shows the reply bar above the composer for `entry`, and focuses the composer. */
export function startReply(c: Conversation, entry: Entry): void {
  if (entry.id === null || entry.deleted) return;
  compose.editing = null;
  compose.replyTo = { key: c.key, entry };
  ui.focusComposer = true;
}

export function cancelReply(): void {
  compose.replyTo = null;
}

/** Opens the inline editor on one of my messages. */
export function startEdit(entry: Entry): void {
  if (entry.id === null || entry.deleted || !entry.mine) return;
  compose.editing = entry.id;
}

/** ↑ in an empty composer: edit my newest message in `c` (not deleted). Returns false when there is none. */
export function editLast(c: Conversation): boolean {
  const last = c.entries.findLast((e) => e.mine && e.id !== null && !e.deleted);
  if (!last) return false;
  startEdit(last);
  return true;
}

export function cancelEdit(): void {
  compose.editing = null;
  ui.focusComposer = true;
}

/** Saves an edit; the row shows the new text and "(edited)" once the server accepts it. */
export async function saveEdit(c: Conversation, id: number, text: string): Promise<boolean> {
  const current = c.entryOf(id);
  if (current && current.text === text) {
    cancelEdit();
    return true;
  }
  return run('edit the message', async () => {
    const { message } = await client().request({ type: 'edit', messageId: id, text });
    applyEdited(c, id, message.text, message.editedAt);
    cancelEdit();
  });
}

export async function deleteMessage(c: Conversation, id: number): Promise<boolean> {
  return run('delete the message', async () => {
    await client().request({ type: 'delete', messageId: id });
    applyDeleted(c, id);
  });
}

/** Adds my reaction `emoji`, or takes it back when it is there. */
export async function toggleReaction(c: Conversation, id: number, emoji: string): Promise<boolean> {
  return run('react', async () => {
    const { reactions } = await client().request({ type: 'react', messageId: id, emoji });
    c.patch(id, (e) => ({ ...e, reactions }));
  });
}
