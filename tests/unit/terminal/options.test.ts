// The terminal client's command line.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADDRESS, defaultConfigDir, parseTerminalArgs } from '../../../server/terminal/options';

describe('terminal client arguments', () => {
  it('defaults: the local server, ask for everything, keychain on, colours by terminal', () => {
    expect(parseTerminalArgs([], { HOME: '/home/al' })).toEqual({
      run: {
        address: DEFAULT_ADDRESS,
        user: null,
        remember: null,
        forget: false,
        keychain: true,
        color: null,
        configDir: defaultConfigDir({ HOME: '/home/al' }),
        fingerprint: null,
      },
    });
    expect(DEFAULT_ADDRESS).toBe('localhost:4001');
  });

  it('reads the address and every flag', () => {
    const parsed = parseTerminalArgs(
      [
        'wss://chat.example.com:443',
        '-u',
        'bob',
        '--remember',
        '--forget',
        '--no-keychain',
        '--no-color',
        '--config-dir',
        'cfg',
        '--fingerprint',
        `sha256:${'ab'.repeat(32)}`,
      ],
      {},
    );
    expect(parsed).toEqual({
      run: {
        address: 'wss://chat.example.com:443',
        user: 'bob',
        remember: true,
        forget: true,
        keychain: false,
        color: false,
        configDir: path.resolve('cfg'),
        fingerprint: Array(32).fill('AB').join(':'),
      },
    });
    expect(parseTerminalArgs(['--no-remember'], {})).toMatchObject({ run: { remember: false } });
  });

  it('the config folder follows XDG_CONFIG_HOME, else ~/.config/chat', () => {
    expect(defaultConfigDir({ XDG_CONFIG_HOME: '/x/conf' })).toBe(path.join('/x/conf', 'chat'));
    expect(defaultConfigDir({ XDG_CONFIG_HOME: 'relative' })).toMatch(/\.config[/\\]chat$/);
  });

  it('help exits 0; unknown flags and bad user names exit 2', () => {
    expect(parseTerminalArgs(['--help'], {})).toMatchObject({ exit: 0, stdout: expect.stringContaining('--config-dir <dir>') });
    expect(parseTerminalArgs(['--bogus'], {})).toMatchObject({ exit: 2, stderr: expect.stringContaining("unknown option '--bogus'") });
    expect(parseTerminalArgs(['--user', 'no way'], {})).toMatchObject({ exit: 2, stderr: expect.stringContaining('--user') });
    expect(parseTerminalArgs(['a', 'b'], {})).toMatchObject({ exit: 2 });
    expect(parseTerminalArgs(['--fingerprint', 'AB:CD'], {})).toMatchObject({ exit: 2, stderr: expect.stringContaining('--fingerprint: expected a SHA-256') });
  });
});
