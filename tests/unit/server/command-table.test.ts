// The command table: every wire command has a handler, and only sign-in and
// help may run before signing in.
import { describe, expect, it } from 'vitest';
import { commands } from '../../../server/commands/index';
import { COMMAND_TYPES } from '../../../server/protocol';

describe('command table', () => {
  it('has exactly one handler per CommandType', () => {
    expect(Object.keys(commands).sort()).toEqual([...COMMAND_TYPES].sort());
    for (const type of COMMAND_TYPES) expect(typeof commands[type].handle, type).toBe('function');
  });

  it('needs a session for everything but login, register and help', () => {
    const open = COMMAND_TYPES.filter((t) => !commands[t].needsAuth).sort();
    expect(open).toEqual(['help', 'login', 'register']);
  });
});
