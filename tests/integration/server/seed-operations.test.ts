// README's table of the seed's commands as WebSocket operations, held to the
// server: each row's TCP command reads as exactly its WebSocket request (one
// command core), and each request, sent in the table's order on a real
// server, succeeds and answers exactly the listed result keys.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand, parseTextCommand, type Command } from '../../../server/protocol';
import { backends } from '../../helpers/backends';
import { useBackend } from './harness';

interface Row {
  tcp: string;
  request: Command;
  keys: string[];
}

/** The rows of the table under "The seed's commands as operations". */
function readTable(): Row[] {
  const readme = readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
  const start = readme.indexOf("The seed's commands as operations");
  expect(start).toBeGreaterThan(0);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('| TCP command'));
  const rows: Row[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    const [tcp, request, keys] = line
      .split(' | ')
      .map((cell) => cell.replace(/^\| |\s*\|$/g, ''))
      .map((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    rows.push({
      tcp: tcp![0]!,
      // The protocol's own validation: a request README shows that the server would refuse fails here.
      request: parseCommand(JSON.parse(request![0]!)),
      // Plain names are keys; `{...}` cells describe what a key holds.
      keys: keys!.filter((k) => /^[A-Za-z]+$/.test(k)),
    });
  }
  return rows;
}

const ROWS = readTable();

for (const backend of backends) {
  describe(`README's seed operations [${backend.name}]`, () => {
    const h = useBackend(backend);

    it('each TCP command reads as its WebSocket request', () => {
      expect(ROWS.length).toBeGreaterThanOrEqual(19);
      for (const row of ROWS) expect(parseTextCommand(row.tcp), row.tcp).toEqual(row.request);
    });

    it('each request succeeds in order and answers exactly the listed keys', async () => {
      await h.wsUser(1, 'bob');
      const alice = await h.wsUser(0, 'alice');
      for (const row of ROWS) {
        const reply = await alice.send(row.request);
        expect(reply, row.tcp).toMatchObject({ ok: true });
        if (!reply.ok) continue;
        expect(Object.keys(reply.result as object).sort(), row.tcp).toEqual([...row.keys].sort());
      }
      expect((await alice.waitClosed()).reason).toBe('logout');
    });
  });
}
