// Per-conversation mute. Kept with the other settings (localStorage); in the
// desktop app main gets the same list, so its notifications follow it too.
import { MAX_MUTED } from '../../../server/protocol';
import { notices } from '../state/notices.svelte';
import { settings } from '../state/settings.svelte';
import { changeSettings } from './desktop.svelte';

export function isMuted(key: string): boolean {
  return settings.current.muted.includes(key);
}

/** Mutes or unmutes the conversation `key` (`everyone`, `u:<user>`, `g:<group>`). */
export function setMuted(key: string, muted: boolean): void {
  const others = settings.current.muted.filter((k) => k !== key);
  if (muted && others.length >= MAX_MUTED) {
    notices.error(`At most ${MAX_MUTED} conversations can be muted.`);
    return;
  }
  const next = muted ? [...others, key] : others;
  settings.update({ muted: next });
  // No-op in the browser; in the desktop app main keeps its own copy for the notifications it shows.
  void changeSettings({ notifications: { muted: next } });
}
