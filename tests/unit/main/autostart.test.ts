// Start at login on Linux: the XDG autostart entry is written with a correctly quoted Exec
// line, read back (respecting a desktop's "disabled" flags) and removed, in a real directory.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HIDDEN_ARG, autostartEntry, quoteExecArg, xdgAutostart } from '../../../main/autostart';

let configHome: string;

beforeEach(async () => {
  configHome = await mkdtemp(path.join(os.tmpdir(), 'chat-autostart-'));
});

afterEach(async () => {
  await rm(configHome, { recursive: true, force: true });
});

describe('XDG autostart', () => {
  it('writes, reads and removes ~/.config/autostart/<id>.desktop', async () => {
    const items = xdgAutostart({ id: 'chat-desktop', name: 'Chat', command: ['/opt/Chat/chat-desktop', HIDDEN_ARG], configHome });
    expect(items.supported).toBe(true);
    expect(items.file).toBe(path.join(configHome, 'autostart', 'chat-desktop.desktop'));
    expect(items.isEnabled()).toBe(false);
    items.setEnabled(true);
    expect(items.isEnabled()).toBe(true);
    expect(await readFile(items.file, 'utf8')).toBe(
      '[Desktop Entry]\nType=Application\nName=Chat\nExec=/opt/Chat/chat-desktop --hidden\nTerminal=false\nX-GNOME-Autostart-enabled=true\n',
    );
    items.setEnabled(false);
    expect(items.isEnabled()).toBe(false);
    items.setEnabled(false); // already gone: no error
  });

  it('an entry switched off in the desktop settings counts as off', async () => {
    const items = xdgAutostart({ id: 'chat-desktop', name: 'Chat', command: ['/usr/bin/chat'], configHome });
    items.setEnabled(true);
    await writeFile(items.file, (await readFile(items.file, 'utf8')).replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    expect(items.isEnabled()).toBe(false);
    await writeFile(items.file, '[Desktop Entry]\nExec=/usr/bin/chat\nHidden=true\n');
    expect(items.isEnabled()).toBe(false);
  });

  it('quotes Exec arguments as the Desktop Entry spec asks', () => {
    expect(quoteExecArg('/usr/bin/chat')).toBe('/usr/bin/chat');
    expect(quoteExecArg('/home/al ice/Chat.AppImage')).toBe('"/home/al ice/Chat.AppImage"');
    expect(quoteExecArg('a"b$c`d\\e')).toBe('"a\\"b\\$c\\`d\\\\e"');
    expect(quoteExecArg('')).toBe('""');
    expect(autostartEntry('Chat', ['/opt/50%/chat'])).toContain('Exec=/opt/50%%/chat\n');
  });
});
