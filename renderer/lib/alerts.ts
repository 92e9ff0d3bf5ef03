// Alerts for a message that arrives while its conversation is not on screen:
// a short chime, and while the tab is hidden a system notification, each only
// when Settings allow it. Muted conversations stay silent, except a group
// message or broadcast that mentions me (see alertReason in the protocol).
import { settings } from './state/settings.svelte';

let audio: AudioContext | null = null;

/** True when this host can show system notifications at all. */
export function notificationsSupported(): boolean {
  return typeof Notification === 'function';
}

/** Asks for permission to notify (the browser shows its prompt once). Resolves whether it is granted. */
export async function askNotificationPermission(): Promise<boolean> {
  if (!notificationsSupported()) return false;
  if (Notification.permission === 'granted') return true;
  if (Notification.permission === 'denied') return false;
  return (await Notification.requestPermission()) === 'granted';
}

/** A soft two-note chime, synthesized (no audio file to ship or load under the CSP). */
function chime(): void {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.12);
      osc.stop(now + i * 0.12 + 0.3);
    }
  } catch {
    // No audio output (or blocked before any user gesture): stay silent.
  }
}

/**
 * Alerts about an incoming message whose conversation is not on screen, as far
 * as Settings (and the browser's permission) allow. `reason` comes from
 * alertReason(): null (muted) does nothing; 'mention' says so in the title.
 */
export function alertIncoming(title: string, body: string, reason: 'message' | 'mention' | null = 'message'): void {
  if (reason === null) return;
  const { notifications, sound } = settings.current;
  // Only while the tab is hidden: on a visible page the sidebar's unread count and the chime say it.
  const hidden = typeof document === 'undefined' || document.visibilityState === 'hidden';
  if (notifications && hidden && notificationsSupported() && Notification.permission === 'granted') {
    try {
      new Notification(reason === 'mention' ? `${title} (mentioned you)` : title, { body, tag: 'chat-message' });
    } catch {
      // Some hosts only allow notifications from a service worker; the in-app badge still shows.
    }
  }
  if (sound) chime();
}
