// The optional keytar package may be missing (its native build needs libsecret).
// Type checks must not depend on it: main's sources compile with keytar hidden.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function diagnosticsWithout(hidden: string | null): string[] {
  const configFile = path.join(root, 'main/tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!parsed) throw new Error('main/tsconfig.json could not be read');
  const host = ts.createCompilerHost(parsed.options);
  const hides = (file: string) => hidden !== null && file.split(path.sep).join('/').includes(`/node_modules/${hidden}/`);
  host.fileExists = (file) => !hides(file) && ts.sys.fileExists(file);
  host.directoryExists = (dir) => !hides(`${dir}/`) && (ts.sys.directoryExists?.(dir) ?? true);
  const program = ts.createProgram(
    [path.join(root, 'main/platform/keytar.ts'), path.join(root, 'server/client/node/keytar-module.d.ts')],
    parsed.options,
    host,
  );
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('optional native modules', () => {
  it('main/platform/keytar.ts type-checks when node_modules/keytar is absent', () => {
    expect(diagnosticsWithout('keytar')).toEqual([]);
  });
});
