// Alerts for a message that arrives while its conversation is not on screen:
// a system notification and a short chime, each only when Settings allow it.
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

/** Alerts about an incoming message, as far as Settings (and the browser's permission) allow. */
export function alertIncoming(title: string, body: string): void {
  const { notifications, sound } = settings.current;
  if (notifications && notificationsSupported() && Notification.permission === 'granted') {
    try {
      new Notification(title, { body, tag: 'chat-message' });
    } catch {
      // Some hosts only allow notifications from a service worker; the in-app badge still shows.
    }
  }
  if (sound) chime();
}
