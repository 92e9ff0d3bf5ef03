// `read` event: someone read my conversation with them (direct: "Seen") or a
// group I am in ("Seen by N"). Only sent while both sides have receipts on.
import type { EventOf } from '../../../server/protocol';
import { conversations, directKey, groupKey } from '../state/conversations.svelte';

export function handleRead(event: EventOf<'read'>): void {
  if (event.group) {
    const c = conversations.get(groupKey(event.with));
    if (c && (c.reads[event.by] ?? 0) < event.messageId) c.reads = { ...c.reads, [event.by]: event.messageId };
    return;
  }
  const c = conversations.get(directKey(event.with));
  if (c) c.peerRead = Math.max(c.peerRead, event.messageId);
}
