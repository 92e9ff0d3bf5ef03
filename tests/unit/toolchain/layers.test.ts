// The layering is enforced by `npm run lint`: an upward import or an import
// cycle fails ESLint. Each case lints the text of a real module with one import
// added, through the project's own eslint.config.js.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// Type information is irrelevant to import rules; without it the run takes a second, not a minute.
const eslint = new ESLint({ cwd: root, overrideConfig: [tseslint.configs.disableTypeChecked] });

/** The rule ids ESLint reports for `file` (a path from the repository root) with `line` added at the top. */
async function rulesFiredWith(file: string, line: string): Promise<string[]> {
  const text = `${line}\n${readFileSync(path.join(root, file), 'utf8')}`;
  const [result] = await eslint.lintText(text, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('lint enforces the layers', () => {
  it.each([
    ['server/store/rules.ts', "import '../services/index';"],
    ['server/store/sqlite/rows.ts', "import '../../commands/index';"],
    ['server/store/rules.ts', "import { ErrorCode } from '../protocol';"],
    ['server/bus/local.ts', "import '../store/store';"],
    ['server/services/blocks.ts', "import '../commands/index';"],
    ['server/services/blocks.ts', "import '../transport/tcp';"],
    ['server/commands/blocks.ts', "import '../store/store';"],
    ['server/commands/blocks.ts', "import '../core';"],
    ['server/transport/tcp.ts', "import '../services/index';"],
    ['server/transport/tcp.ts', "import '../commands/dispatcher';"],
    ['server/connection.ts', "import './services/session';"],
    ['server/protocol/limits.ts', "import '../connection';"],
    ['server/protocol/limits.ts', "import 'node:fs';"],
    ['server/client/link.ts', "import '../connection';"],
    ['server/client/link.ts', "import 'ws';"],
    ['server/client/link.ts', "import './node/ws-socket';"],
    ['server/client/node/credentials.ts', "import '../../store/store';"],
    ['server/client/node/credentials.ts', "import 'pg';"],
    ['server/terminal/client.ts', "import '../services/index';"],
    ['server/terminal/client.ts', "import '../transport/tcp';"],
    ['server/transport/tcp.ts', "import '../terminal/index';"],
    ['renderer/lib/format.ts', "import '../../server/client/node';"],
    ['renderer/lib/format.ts', "import '../../server/core';"],
    ['main/host.ts', "import '../server/services/index';"],
  ])('%s may not `%s`', async (file, line) => {
    expect(await rulesFiredWith(file, line)).toContain('no-restricted-imports');
  });

  it('an import cycle fails lint (import-x/no-cycle), even inside one layer', async () => {
    // text-codec.ts imports text.ts; importing it back closes a loop.
    expect(await rulesFiredWith('server/protocol/text.ts', "import './text-codec';")).toContain('import-x/no-cycle');
  });

  it('downward imports are fine', async () => {
    for (const [file, line] of [
      ['server/transport/tcp.ts', "import '../connection';"],
      ['server/commands/blocks.ts', "import '../services/index';"],
      ['server/services/blocks.ts', "import '../store/store';"],
      ['server/store/rules.ts', "import type { ChatMessage } from '../protocol';"],
      ['renderer/lib/format.ts', "import '../../server/client';"],
      ['server/terminal/client.ts', "import '../client/node';"],
      ['server/client/node/credentials.ts', "import '../../protocol';"],
      ['main/index.ts', "import '../server/terminal/index';"],
    ]) {
      expect(await rulesFiredWith(file!, line!), `${file}: ${line}`).toEqual([]);
    }
  });
});
