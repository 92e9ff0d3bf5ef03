// What deserves a person's attention: `@name` mentions in a message's text
// (outside code), and the conversation key that per-conversation mute lists
// hold. Clients highlight mentions and notify the person mentioned in a group
// or broadcast even when that conversation is muted. In the contract so the
// web client and the desktop app's main process read messages the same way.
import { NAME_PATTERN } from './limits';
import type { ChatMessage } from './models';

/** A conversation as mute lists name it: `everyone`, `u:<user>` or `g:<group>`. */
export const CONVERSATION_KEY_PATTERN = /^(everyone|[ug]:[A-Za-z0-9][A-Za-z0-9_.-]{0,31})$/;

/** Most conversations a mute list holds. */
export const MAX_MUTED = 1000;

/** The conversation `message` belongs to, as `me` sees it. */
export function conversationKeyOf(message: ChatMessage, me: string): string {
  if (message.kind === 'broadcast') return 'everyone';
  if (message.kind === 'group') return `g:${message.group ?? ''}`;
  return `u:${message.from === me ? (message.to ?? message.from) : message.from}`;
}

/**
 * Whether to alert `me` about `message` given the muted conversation keys:
 * never for my own messages or muted conversations, except a group message or
 * broadcast that mentions me. Returns why, or null for no alert.
 */
export function alertReason(message: ChatMessage, me: string, muted: readonly string[]): 'message' | 'mention' | null {
  if (message.from === me) return null;
  if (message.kind !== 'private' && mentions(message.text, me)) return 'mention';
  return muted.includes(conversationKeyOf(message, me)) ? null : 'message';
}

/** Code the way clients show it: fenced blocks, then inline `code`. Mentions inside do not count. */
const CODE = /```[\s\S]*?(?:```|$)|`[^`\n]+`/g;
/** `@` not glued to a word or e-mail address, then a name. */
const MENTION = /(?<![\p{L}\p{N}_.@-])@([A-Za-z0-9][A-Za-z0-9_.-]{0,31})/gu;

/** The names `text` mentions, each once, in order of first mention. A trailing `.` or `-` ends a sentence, not the name. */
export function mentionedNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.replace(CODE, ' ').matchAll(MENTION)) {
    const name = (m[1] ?? '').replace(/[.-]+$/, '');
    if (NAME_PATTERN.test(name) && !names.includes(name)) names.push(name);
  }
  return names;
}

/** True when `text` mentions `username` (names compare exactly, as usernames do). */
export function mentions(text: string, username: string): boolean {
  return mentionedNames(text).includes(username);
}
