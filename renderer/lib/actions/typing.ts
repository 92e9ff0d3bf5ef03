// Tells the other side of a conversation that I am typing: at most one notice
// per conversation every TYPING_SEND_EVERY_MS while I keep typing (the server
// refuses faster ones). Best effort: a notice that fails is simply dropped.
import type { Conversation } from '../state/conversations.svelte';
import { client } from './client-ref';

/** How often the composer renews "I am typing" (the server allows one per 2 s; receivers show it for 5 s). */
export const TYPING_SEND_EVERY_MS = 3000;

const lastSent = new Map<string, number>();

export function notifyTyping(c: Conversation, now = Date.now()): void {
  if (c.kind === 'everyone' || c.closed) return;
  const last = lastSent.get(c.key);
  if (last !== undefined && now - last < TYPING_SEND_EVERY_MS) return;
  lastSent.set(c.key, now);
  const command = c.kind === 'group' ? { type: 'typing' as const, with: c.name, group: true } : { type: 'typing' as const, with: c.name };
  client()
    .request(command)
    .catch(() => {});
}
