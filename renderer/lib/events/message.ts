// `message` event: a delivery to me (live, resumed, or from my offline mailbox).
// Files it under its conversation and counts it unread unless it is on screen.
import { alertReason, type EventOf } from '../../../server/protocol';
import { markRead } from '../actions/conversations';
import { alertIncoming } from '../alerts';
import { conversations, entryFromMessage, gistOf, keyOfMessage } from '../state/conversations.svelte';
import { notices } from '../state/notices.svelte';
import { profiles } from '../state/profiles.svelte';
import { session } from '../state/session.svelte';
import { settings } from '../state/settings.svelte';
import { typing } from '../state/typing.svelte';
import { conversationInView } from '../state/ui.svelte';

export function handleMessage(event: EventOf<'message'>): void {
  const me = session.username;
  if (me === null) return;
  const { message, offline } = event;
  const key = keyOfMessage(message, me);
  const conversation = conversations.ensure(key);
  typing.stop(key, message.from);
  const before = conversation.entries.length;
  conversation.merge([entryFromMessage(message, me, offline)]);
  // A resumed delivery we already showed (same id) changes nothing.
  if (conversation.entries.length === before || message.from === me) return;
  const where = message.kind === 'group' ? ` in ${message.group}` : message.kind === 'broadcast' ? ' to everyone' : '';
  // A message with only files is spoken of as the sidebar's preview does ("A file").
  const gist = gistOf(message.text, message.attachments?.length ?? 0);
  const preview = gist.length > 140 ? `${gist.slice(0, 140)}…` : gist;
  // Named as everywhere else: by display name when they set one.
  const sender = profiles.displayName(message.from);
  if (conversationInView(key)) {
    // Read only if it comes on screen: not while the reader is up among older messages.
    void markRead(conversation);
  } else {
    // The server's count (at sign-in) already holds what it had stored by then.
    if (message.id > conversation.countedUpTo) conversation.unread += 1;
    // The mailbox replayed at sign-in is summed up in one toast instead.
    if (!offline) alertIncoming(`${sender}${where}`, preview, alertReason(message, me, settings.current.muted));
  }
  notices.announce(`${offline ? 'While you were offline, ' : ''}${sender}${where}: ${preview}`);
}
