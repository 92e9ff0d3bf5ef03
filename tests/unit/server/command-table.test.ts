// The command table: every wire command has a handler, and only sign-in and
// help may run before signing in. The compiler enforces the same: the
// expected type errors below fail `npm run lint:types` if a command could
// lack its handler, parser or renderer.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../server/commands/index';
import type { CommandTable } from '../../../server/commands/types';
import { COMMAND_TYPES, resultSchemas } from '../../../server/protocol';
import { defineCommand } from '../../../server/protocol/command';

describe('command table', () => {
  it('has exactly one handler per CommandType', () => {
    expect(Object.keys(commands).sort()).toEqual([...COMMAND_TYPES].sort());
    for (const type of COMMAND_TYPES) expect(typeof commands[type].handle, type).toBe('function');
  });

  it('needs a session for everything but login, register and help', () => {
    const open = COMMAND_TYPES.filter((t) => !commands[t].needsAuth).sort();
    expect(open).toEqual(['help', 'login', 'register']);
  });

  it('every command has a result schema', () => {
    for (const type of COMMAND_TYPES) expect(resultSchemas[type], type).toBeDefined();
  });

  it('the compiler refuses a table without a handler, and a command without its text parts', () => {
    const { help: _help, ...withoutHelp } = commands;
    // @ts-expect-error a command of the protocol has no handler
    const incomplete: CommandTable = withoutHelp;
    const schema = z.strictObject({ type: z.literal('nap') });
    // @ts-expect-error no renderer
    const noRenderer = defineCommand({ schema, result: z.object({}), text: null });
    // @ts-expect-error text syntax without a parser
    const noParser = defineCommand({ schema, result: z.object({}), text: { words: ['nap'], usage: 'nap' }, render: () => [] });
    expect([incomplete, noRenderer, noParser].every((x) => typeof x === 'object')).toBe(true);
  });
});
