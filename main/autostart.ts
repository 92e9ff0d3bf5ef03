// "Start at login" on Linux: an XDG autostart entry (~/.config/autostart/<id>.desktop),
// which GNOME, KDE, Xfce and most other desktops run at login. macOS and Windows use
// app.setLoginItemSettings instead (main/platform/electron.ts).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoginItemsPort } from './platform/seams';

/** The argument the login item starts the app with: open in the tray, without a window. */
export const HIDDEN_ARG = '--hidden';

/** Quotes one Exec argument as the Desktop Entry spec asks (only when needed). */
export function quoteExecArg(arg: string): string {
  if (arg !== '' && !/[\s"'\\`$<>|;&*?#()~]/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

/** The .desktop file's text for `command` (the executable first, then its arguments). */
export function autostartEntry(name: string, command: readonly string[]): string {
  // `%` is special in Exec (field codes); a literal one is written `%%`.
  const exec = command.map((a) => quoteExecArg(a).replace(/%/g, '%%')).join(' ');
  return ['[Desktop Entry]', 'Type=Application', `Name=${name}`, `Exec=${exec}`, 'Terminal=false', 'X-GNOME-Autostart-enabled=true', ''].join('\n');
}

export interface XdgAutostartOptions {
  /** File name without .desktop, e.g. "chat-desktop". */
  id: string;
  /** Shown in the desktop's list of startup applications. */
  name: string;
  /** What to run at login. */
  command: readonly string[];
  /** Default: $XDG_CONFIG_HOME or ~/.config. */
  configHome?: string;
}

export function xdgAutostart(options: XdgAutostartOptions): LoginItemsPort & { readonly file: string } {
  const configHome = options.configHome ?? (process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'));
  const file = path.join(configHome, 'autostart', `${options.id}.desktop`);
  return {
    supported: true,
    file,
    isEnabled() {
      if (!existsSync(file)) return false;
      // The person may have switched it off in their desktop's settings instead of deleting it.
      const text = readFileSync(file, 'utf8');
      return !/^Hidden\s*=\s*true\s*$/im.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/im.test(text);
    },
    setEnabled(enabled) {
      if (!enabled) {
        rmSync(file, { force: true });
        return;
      }
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, autostartEntry(options.name, options.command), { mode: 0o644 });
    },
  };
}
