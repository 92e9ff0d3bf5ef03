// Tells the other side of a conversation that I am typing: at most one notice
// per conversation every TYPING_SEND_EVERY_MS while I keep typing (the server
// refuses faster ones). Best effort: a notice that fails is dropped, except one
// the server found too early, which goes again once when it allows.
import { ErrorCode, TYPING_INTERVAL_MS } from '../../../server/protocol';
import { toWireError } from '../client/errors';
import type { Conversation } from '../state/conversations.svelte';
import { client } from './client-ref';

/** How often the composer renews "I am typing" (the server allows one per 2 s; receivers show it for 5 s). */
export const TYPING_SEND_EVERY_MS = 3000;

const lastSent = new Map<string, number>();
/** Conversations where I sent a message since the last notice: receivers dropped my typing line then. */
const restarted = new Set<string>();
/** A notice waiting for the server's interval to pass (one per conversation). */
const pending = new Map<string, ReturnType<typeof setTimeout>>();

function sendLater(c: Conversation, wait: number): void {
  pending.set(
    c.key,
    setTimeout(() => {
      pending.delete(c.key);
      if (!c.closed) send(c, Date.now());
    }, wait),
  );
}

function send(c: Conversation, now: number): void {
  lastSent.set(c.key, now);
  restarted.delete(c.key);
  const command = c.kind === 'group' ? { type: 'typing' as const, with: c.name, group: true } : { type: 'typing' as const, with: c.name };
  client()
    .request(command)
    .catch((err: unknown) => {
      const error = toWireError(err);
      // The server counts its interval from when the last notice reached it, a little after we sent it.
      if (error.code === ErrorCode.RATE_LIMITED && !pending.has(c.key)) sendLater(c, (error.retryAfter ?? 1) * 1000);
    });
}

export function notifyTyping(c: Conversation, now = Date.now()): void {
  if (c.kind === 'everyone' || c.closed || pending.has(c.key)) return;
  const last = lastSent.get(c.key);
  if (last === undefined || now - last >= TYPING_SEND_EVERY_MS) return send(c, now);
  if (!restarted.has(c.key)) return;
  // Typing again right after sending: a new start, announced as soon as the server takes it.
  const wait = last + TYPING_INTERVAL_MS - now;
  if (wait <= 0) send(c, now);
  else sendLater(c, wait);
}

/** My message went out: the other side cleared my typing line, so the next keystroke starts anew. */
export function typingEnded(c: Conversation): void {
  restarted.add(c.key);
  const timer = pending.get(c.key);
  if (timer !== undefined) clearTimeout(timer);
  pending.delete(c.key);
}
