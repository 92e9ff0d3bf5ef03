// Files the server creates are private to its user: the data directory 0700,
// chat.db and its -wal/-shm 0600. A --users file that others can read (it holds
// passwords in clear) gets a warning in the log and on stderr.
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type ServerOptions } from '../../../server/index';
import { openSqliteStore } from '../../../server/store/sqlite/index';
import { spawnCliServer } from '../../helpers/cli';
import { captureLog } from '../../helpers/log-capture';

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-modes-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = (extra: Partial<ServerOptions>): ServerOptions => ({
  host: '127.0.0.1',
  port: 0,
  wsPort: 0,
  hashCost: 4,
  // The shared test accounts' passwords are short ("alice-pw").
  minPasswordLength: 6,
  logLevel: 'silent',
  webRoot: null,
  ...extra,
});

describe.skipIf(process.platform === 'win32')('file permissions', () => {
  it('creates the data directory 0700 and chat.db, -wal and -shm 0600, whatever the umask allows', async () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const umask = process.umask(0o022);
    try {
      const server = await startServer(base({ dataDir }));
      try {
        expect(await modeOf(dataDir)).toBe(0o700);
        for (const name of ['chat.db', 'chat.db-wal', 'chat.db-shm']) expect(await modeOf(path.join(dataDir, name)), name).toBe(0o600);
      } finally {
        await server.close();
      }
    } finally {
      process.umask(umask);
    }
  });

  it('takes group and other access away from an existing chat.db and its -wal', async () => {
    const dataDir = path.join(dir, 'data');
    const store = await openSqliteStore({ dataDir });
    await store.close();
    const db = path.join(dataDir, 'chat.db');
    await chmod(db, 0o644);
    await writeFile(`${db}-wal`, '');
    await chmod(`${db}-wal`, 0o666);
    const again = await openSqliteStore({ dataDir });
    try {
      expect(await modeOf(db)).toBe(0o600);
      expect(await modeOf(`${db}-wal`)).toBe(0o600);
    } finally {
      await again.close();
    }
  });

  it('a --users file readable by others gets a warning in the log and in the notices; a private one does not', async () => {
    const users = path.join(dir, 'clients.txt');
    await writeFile(users, 'alice alice-pw\n');
    await chmod(users, 0o644);
    const captured = captureLog('warn');
    const server = await startServer(base({ dataDir: path.join(dir, 'data'), usersFile: users }), captured.log);
    await server.close();
    expect(server.notices.map((n) => n.code)).toEqual(['USERS_FILE_READABLE']);
    const warning = captured.entries.find((e) => e.notice === 'USERS_FILE_READABLE');
    expect(warning).toMatchObject({ level: 40 });
    expect(String(warning!.msg)).toContain(`${users} holds passwords in clear and is readable by other users (mode 0644). Restrict it: chmod 600 ${users}`);

    await chmod(users, 0o600);
    const quiet = captureLog('warn');
    const again = await startServer(base({ dataDir: path.join(dir, 'data'), usersFile: users }), quiet.log);
    await again.close();
    expect(again.notices).toEqual([]);
    expect(quiet.entries.filter((e) => e.notice)).toEqual([]);
  });

  it('the CLI prints that warning on stderr', async () => {
    const users = path.join(dir, 'clients.txt');
    await writeFile(users, 'alice alice-pw\n');
    await chmod(users, 0o640);
    const data = path.join(dir, 'data');
    const server = await spawnCliServer([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--no-ws-port',
      '--data',
      data,
      '--users',
      users,
      '--hash-cost',
      '4',
      '--log-level',
      'silent',
    ]);
    expect(await server.stop()).toBe(0);
    expect(server.stderr).toContain(`warning: ${users} holds passwords in clear and is readable by other users (mode 0640)`);
  });
});
