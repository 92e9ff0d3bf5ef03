// The password policy (NIST SP 800-63B) wherever a password is set: registration,
// the --users import (with the line), adduser and adduser --update. Sign-in is
// not affected. These servers use the production minimum (8), not the test default.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PASSWORD_LENGTH } from '../../../server/protocol';
import { startServer } from '../../../server/index';
import { runCli, SOURCE_CLI } from '../../helpers/cli';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { WsClient } from '../../helpers/ws-client';

describe('password policy: registration', () => {
  let srv: TestServer;
  const clients: WsClient[] = [];
  beforeEach(async () => {
    srv = await startTestServer({ allowRegister: true, minPasswordLength: 8, users: { alice: 'alice-password' } });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.kill();
    await srv.stop();
  });
  const h = {
    async ws(): Promise<WsClient> {
      const c = await WsClient.connect(srv.wsUrl);
      clients.push(c);
      return c;
    },
  };

  it('refuses short, common and over-long passwords with coded errors; a long passphrase works', async () => {
    const ws = await h.ws();
    const short = await ws.expectError({ type: 'register', username: 'frank', password: 'seven-7' });
    expect(short).toMatchObject({ code: 'PASSWORD_TOO_SHORT' });
    expect(short.message).toContain('at least 8 characters');
    for (const common of ['sunshine', 'Password1', 'QWERTYUIOP', 'iloveyou']) {
      expect((await ws.expectError({ type: 'register', username: 'frank', password: common })).code).toBe('PASSWORD_TOO_COMMON');
    }
    expect((await ws.expectError({ type: 'register', username: 'frank', password: 'x'.repeat(MAX_PASSWORD_LENGTH + 1) })).code).toBe('BAD_REQUEST');
    // A taken name is reported as such, whatever the password.
    expect((await ws.expectError({ type: 'register', username: 'alice', password: 'sunshine' })).code).toBe('USERNAME_TAKEN');
    // The longest allowed password works, and signs in.
    const long = 'correct horse '.repeat(80).slice(0, MAX_PASSWORD_LENGTH);
    await ws.request({ type: 'register', username: 'frank', password: long });
    await ws.request({ type: 'logout' });
    await ws.waitClosed();
    const again = await h.ws();
    await again.login('frank', long);
    // Length counts characters, not bytes or UTF-16 units: eight accented letters are enough.
    const other = await h.ws();
    await other.request({ type: 'register', username: 'grace', password: 'éèêëàâäç' });
  });
});

describe('password policy: --users import and adduser', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'chat-pw-policy-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A server started from the users file `users`, in this test's folder. */
  const usersFileOptions = (users: string) =>
    ({
      host: '127.0.0.1',
      port: 0,
      wsPort: 0,
      dataDir: path.join(dir, 'data'),
      usersFile: users,
      hashCost: 4,
      logLevel: 'silent',
      webRoot: null,
    }) as const;

  it('a users file line with a refused password stops the start, naming the file and line', async () => {
    const users = path.join(dir, 'clients.txt');
    await writeFile(users, '# team\nalice wonderland-42\nbob builder\n', { mode: 0o600 });
    const options = usersFileOptions(users);
    await expect(startServer({ ...options, minPasswordLength: 8 })).rejects.toThrow(
      /clients\.txt:3: the password of "bob" is refused: The password is too short.*\(to accept shorter passwords, start with --min-password-length N\)$/,
    );
    // As the hint says, a lower minimum takes a file of short passwords.
    await writeFile(users, 'alice wonderland-42\nbob bob-pw1\n');
    await expect(startServer({ ...options, minPasswordLength: 8 })).rejects.toThrow(/--min-password-length N\)$/);
    const started = await startServer({ ...options, minPasswordLength: 6 });
    await started.close();
    await writeFile(users, 'alice wonderland-42\nbob password123\n');
    await expect(startServer({ ...options, minPasswordLength: 8 })).rejects.toMatchObject({
      code: 'PASSWORD_TOO_COMMON',
      message: expect.stringContaining('clients.txt:2:'),
    });
  });

  it('a users file line naming a reserved name or a group (in any case) stops the start, naming the file and line', async () => {
    const users = path.join(dir, 'clients.txt');
    const options = usersFileOptions(users);
    await writeFile(users, 'alice wonderland-42\nEveryone everyone-pw-1\n', { mode: 0o600 });
    await expect(startServer(options)).rejects.toMatchObject({
      code: 'USERNAME_TAKEN',
      message: 'clients.txt:2: "Everyone" is reserved'.replace('clients.txt', users),
    });
    await writeFile(users, 'alice wonderland-42\n');
    const started = await startServer(options);
    const ws = await WsClient.connect(`ws://127.0.0.1:${started.wsPort}/ws`);
    await ws.login('alice', 'wonderland-42');
    await ws.request({ type: 'create-group', group: 'team', members: [] });
    ws.close();
    await started.close();
    await writeFile(users, 'alice wonderland-42\n\nTEAM team-long-pw\n');
    await expect(startServer(options)).rejects.toMatchObject({ code: 'USERNAME_TAKEN', message: `${users}:3: The name "TEAM" is taken` });
  });

  it('adduser and adduser --update apply the policy; --min-password-length changes the minimum', async () => {
    const data = path.join(dir, 'data');
    const env = { ...process.env, CHAT_MIN_PASSWORD_LENGTH: '' };
    const base = ['adduser', 'frank', '--data', data, '--hash-cost', '4'];
    const short = await runCli([...base], { stdin: 'short\n', env, entry: SOURCE_CLI });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/error: The password is too short: use at least 8 characters/);
    const common = await runCli([...base], { stdin: 'baseball\n', env, entry: SOURCE_CLI });
    expect(common.code).toBe(2);
    expect(common.stderr).toMatch(/one of the most common passwords/);
    expect((await runCli([...base, '--min-password-length', '5'], { stdin: 'qz7-k\n', env, entry: SOURCE_CLI })).code).toBe(0);
    const update = await runCli([...base, '--update'], { stdin: 'football\n', env, entry: SOURCE_CLI });
    expect(update.code).toBe(2);
    expect(update.stderr).toMatch(/one of the most common passwords/);
    expect((await runCli([...base, '--update'], { stdin: 'a long enough passphrase\n', env, entry: SOURCE_CLI })).stdout).toContain(
      'Password of frank updated.',
    );
    // Named in another case, the account answers with its registered spelling.
    const upper = await runCli(['adduser', 'FRANK', '--data', data, '--hash-cost', '4', '--update'], {
      stdin: 'another long passphrase\n',
      env,
      entry: SOURCE_CLI,
    });
    expect(upper.stdout).toContain('Password of frank updated.');
  });
});
