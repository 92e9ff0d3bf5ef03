// The desktop app's settings: one JSON file in the app's data folder (userData/settings.json),
// validated field by field when loaded (a bad or missing field falls back to its default and
// the rest is kept), written atomically (temporary file + rename), one write at a time.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CONVERSATION_KEY_PATTERN, ErrorCode, MAX_MUTED, ProtocolError } from '../server/protocol';
import type { DesktopSettings, DesktopSettingsPatch } from './ipc/contract';
import type { Rect } from './platform/seams';

export const SETTINGS_FILE = 'settings.json';

/** Where the window was when it last closed (window-state.ts decides whether it still fits a display). */
export interface SavedWindowState {
  bounds: Rect;
  maximized: boolean;
}

/**
 * True for '' (no feed) and for https:// URLs without credentials; http:// only for a feed on
 * this computer. The generic provider fetches latest*.yml and the installer from there, so a
 * plain-http feed on the network would let anyone on the path swap the installer.
 */
export function isAcceptableUpdateUrl(url: string): boolean {
  if (url === '') return true;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username !== '' || parsed.password !== '') return false;
  if (parsed.protocol === 'https:') return true;
  return parsed.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
}

const UpdateUrl = z
  .string()
  .trim()
  .max(2000)
  .refine(isAcceptableUpdateUrl, 'must be an https:// URL without a user name or password (http:// only for localhost)');

/** Screen coordinates may be negative (displays left of / above the primary one). */
const Coordinate = z.number().int().min(-100_000).max(100_000);
const Extent = z.number().int().min(1).max(100_000);
const WindowStateSchema = z.strictObject({
  bounds: z.strictObject({ x: Coordinate, y: Coordinate, width: Extent, height: Extent }),
  maximized: z.boolean(),
});

/** Muted conversations (`everyone`, `u:<user>`, `g:<group>`), as the web client keeps them. */
const MutedList = z
  .array(z.string().regex(CONVERSATION_KEY_PATTERN, 'must be a conversation key: everyone, u:<user> or g:<group>'))
  .max(MAX_MUTED)
  .transform((keys) => [...new Set(keys)]);

/** The argument of settings:set: every field optional, nothing unknown. */
export const SettingsPatchSchema = z.strictObject({
  closeToTray: z.boolean().optional(),
  startAtLogin: z.boolean().optional(),
  notifications: z
    .strictObject({ enabled: z.boolean().optional(), sound: z.boolean().optional(), preview: z.boolean().optional(), muted: MutedList.optional() })
    .optional(),
  updates: z.strictObject({ enabled: z.boolean().optional(), url: UpdateUrl.optional() }).optional(),
});

/** The file's contents. `closeToTray` absent = the platform default (on where a tray exists). */
interface StoredSettings {
  closeToTray: boolean | null;
  startAtLogin: boolean;
  notifications: DesktopSettings['notifications'];
  updates: DesktopSettings['updates'];
  window: SavedWindowState | null;
}

const DEFAULTS: StoredSettings = {
  closeToTray: null,
  startAtLogin: false,
  notifications: { enabled: true, sound: true, preview: true, muted: [] },
  updates: { enabled: false, url: '' },
  window: null,
};

/**
 * Reads each known field with its own schema; what is missing or invalid takes the default
 * and is named in `problems`. Unknown fields are dropped. Never throws.
 */
export function parseStoredSettings(raw: unknown): { settings: StoredSettings; problems: string[] } {
  const problems: string[] = [];
  const source = isRecord(raw) ? raw : {};
  if (!isRecord(raw)) problems.push('the file does not hold a JSON object');
  const field = <T>(record: Record<string, unknown>, key: string, schema: z.ZodType<T>, fallback: T, name = key): T => {
    if (!(key in record) || record[key] === undefined) return fallback;
    const parsed = schema.safeParse(record[key]);
    if (parsed.success) return parsed.data;
    problems.push(name);
    return fallback;
  };
  const nested = (key: string): Record<string, unknown> => {
    const value = source[key];
    if (value === undefined) return {};
    if (isRecord(value)) return value;
    problems.push(key);
    return {};
  };
  const notifications = nested('notifications');
  const updates = nested('updates');
  const settings: StoredSettings = {
    closeToTray: field(source, 'closeToTray', z.boolean().nullable(), DEFAULTS.closeToTray),
    startAtLogin: field(source, 'startAtLogin', z.boolean(), DEFAULTS.startAtLogin),
    notifications: {
      enabled: field(notifications, 'enabled', z.boolean(), DEFAULTS.notifications.enabled, 'notifications.enabled'),
      sound: field(notifications, 'sound', z.boolean(), DEFAULTS.notifications.sound, 'notifications.sound'),
      preview: field(notifications, 'preview', z.boolean(), DEFAULTS.notifications.preview, 'notifications.preview'),
      muted: field(notifications, 'muted', MutedList, DEFAULTS.notifications.muted, 'notifications.muted'),
    },
    updates: {
      enabled: field(updates, 'enabled', z.boolean(), DEFAULTS.updates.enabled, 'updates.enabled'),
      url: field(updates, 'url', UpdateUrl, DEFAULTS.updates.url, 'updates.url'),
    },
    window: field(source, 'window', WindowStateSchema.nullable(), DEFAULTS.window),
  };
  // Checks without a feed would only ever fail: an enabled flag without a URL is off.
  if (settings.updates.enabled && settings.updates.url === '') {
    settings.updates.enabled = false;
    problems.push('updates.enabled (no updates.url)');
  }
  return { settings, problems };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface SettingsStoreOptions {
  /** The app's data folder (Electron's userData). */
  dir: string;
  /** Whether this desktop shows a tray icon: the default of closeToTray. */
  trayAvailable: boolean;
  /** A field replaced by its default at load, or a failed write. */
  onWarning?: (message: string, err?: unknown) => void;
}

export class SettingsStore {
  private stored: StoredSettings;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: SettingsStoreOptions,
    stored: StoredSettings,
  ) {
    this.stored = stored;
  }

  /** Loads (or starts from the defaults: a missing file is the first start). Never rejects on bad content. */
  static async open(options: SettingsStoreOptions): Promise<SettingsStore> {
    const file = path.join(options.dir, SETTINGS_FILE);
    let raw: unknown = {};
    try {
      raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') options.onWarning?.(`${file} is not readable JSON; using the default settings`, err);
    }
    const { settings, problems } = parseStoredSettings(raw);
    if (problems.length > 0) options.onWarning?.(`${file}: invalid ${problems.join(', ')}; using the defaults for those`);
    return new SettingsStore(options, settings);
  }

  /** The settings in effect. */
  get settings(): DesktopSettings {
    const s = this.stored;
    return {
      closeToTray: s.closeToTray ?? this.options.trayAvailable,
      startAtLogin: s.startAtLogin,
      notifications: { ...s.notifications, muted: [...s.notifications.muted] },
      updates: { ...s.updates },
    };
  }

  get window(): SavedWindowState | null {
    return this.stored.window;
  }

  /**
   * Applies a validated patch and saves. Enabling updates needs a URL (BAD_REQUEST without
   * one); clearing the URL turns updates off. Resolves once the file is written.
   */
  async update(patch: DesktopSettingsPatch): Promise<DesktopSettings> {
    const next: StoredSettings = {
      ...this.stored,
      closeToTray: patch.closeToTray ?? this.stored.closeToTray,
      startAtLogin: patch.startAtLogin ?? this.stored.startAtLogin,
      notifications: { ...this.stored.notifications, ...definedOnly(patch.notifications) },
      updates: { ...this.stored.updates, ...definedOnly(patch.updates) },
    };
    next.notifications.muted = [...new Set(next.notifications.muted)];
    if (patch.updates?.url === '' && patch.updates.enabled === undefined) next.updates.enabled = false;
    if (next.updates.enabled && next.updates.url === '') {
      throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Set an update URL before turning update checks on');
    }
    this.stored = next;
    await this.save();
    return this.settings;
  }

  /** Remembers the window's placement (saved with the settings). */
  async saveWindow(state: SavedWindowState): Promise<void> {
    this.stored = { ...this.stored, window: { bounds: { ...state.bounds }, maximized: state.maximized } };
    await this.save();
  }

  /** Writes the current state; writes queue behind each other so the last state always wins. */
  private save(): Promise<void> {
    const snapshot = JSON.stringify(this.toFile(), null, 2) + '\n';
    const file = path.join(this.options.dir, SETTINGS_FILE);
    const write = async () => {
      await mkdir(this.options.dir, { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, snapshot, { mode: 0o600 });
      await rename(temp, file);
    };
    const run = this.writing.then(write, write);
    this.writing = run.catch((err: unknown) => this.options.onWarning?.(`Could not save ${file}`, err));
    return run;
  }

  private toFile(): Record<string, unknown> {
    const { closeToTray, window, ...rest } = this.stored;
    return { ...(closeToTray === null ? {} : { closeToTray }), ...rest, ...(window ? { window } : {}) };
  }
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
