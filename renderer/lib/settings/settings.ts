// The user's preferences (theme, notifications, sound), how they are read back
// safely, and the small storage interface behind them: localStorage in the
// browser today (local-store.ts); the desktop app can back the same interface
// with main later. Pure TypeScript, unit-tested.
import { CONVERSATION_KEY_PATTERN, MAX_MUTED } from '../../../server/protocol';

export type Theme = 'system' | 'light' | 'dark';
export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

/**
 * Every preference with its type. Later options (read receipts, the desktop
 * app's close-to-tray and start-at-login) are added here with a default, and
 * older saved settings keep loading: missing keys take their defaults.
 */
export interface Settings {
  /** 'system' follows the operating system's light or dark mode. Default 'system'. */
  theme: Theme;
  /** A system notification for a message that arrives while its conversation is not on screen. Default false (the browser asks permission first). */
  notifications: boolean;
  /** A short sound for such a message. Default false. */
  sound: boolean;
  /**
   * Muted conversations (`everyone`, `u:<user>`, `g:<group>`): no notification
   * or sound for them, except a group message or broadcast that mentions me. Default [].
   */
  muted: string[];
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({ theme: 'system', notifications: false, sound: false, muted: [] as string[] });

/** Reads settings from anything (a stored JSON value): bad or missing fields take their defaults. */
export function parseSettings(raw: unknown): Settings {
  const r = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  return {
    theme: THEMES.includes(r.theme as Theme) ? (r.theme as Theme) : DEFAULT_SETTINGS.theme,
    notifications: typeof r.notifications === 'boolean' ? r.notifications : DEFAULT_SETTINGS.notifications,
    sound: typeof r.sound === 'boolean' ? r.sound : DEFAULT_SETTINGS.sound,
    muted: parseMuted(r.muted),
  };
}

/** Valid conversation keys only, each once, at most MAX_MUTED. */
function parseMuted(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const keys = raw.filter((k): k is string => typeof k === 'string' && CONVERSATION_KEY_PATTERN.test(k));
  return [...new Set(keys)].slice(0, MAX_MUTED);
}

/** Where settings live. Implementations never throw: storage that fails reads as "nothing saved". */
export interface SettingsStore {
  /** The saved value (not yet validated), or null when nothing is saved. Synchronous, so the theme applies before the first paint. */
  load(): unknown;
  /** Saves the whole set. */
  save(settings: Settings): void;
  /** Calls `listener` with the new saved value when it changes elsewhere (another tab, or main). Returns unsubscribe. */
  subscribe(listener: (raw: unknown) => void): () => void;
}
