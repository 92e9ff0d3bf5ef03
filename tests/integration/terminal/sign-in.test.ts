// Signing in with the terminal client: "remember me" in a private file (0600,
// with a warning) or in the OS keychain, --forget, a saved token the server no
// longer accepts, registration at the Username prompt, piped (scripted) input,
// and the exit codes for a server that is not there and for bad arguments.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadKeytar, openKeychain, type KeychainPort } from '../../../server/client/node';
import { TERMINAL_KEYCHAIN_SERVICE } from '../../../server/terminal/credentials';
import { runCli } from '../../helpers/cli';
import { CLIENT_FROM_SOURCES, SGR, spawnInPty, type PtySession } from '../../helpers/pty';
import { clientArgs, runPipedClient, signInInput } from '../../helpers/terminal';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { accounts, passwordOf, USERS, writeUsersFile } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';

/** frank's password changes in one test (which revokes his tokens); nobody else uses him. */
const USERS_HERE = { ...USERS, ...accounts('frank', 'gina', 'hank') };
let server: TestServer;
let root: string;
const ptys: PtySession[] = [];

beforeAll(async () => {
  server = await startTestServer({ allowRegister: true, users: USERS_HERE });
  root = await mkdtemp(path.join(os.tmpdir(), 'chat-terminal-sign-in-'));
});

afterEach(() => {
  for (const p of ptys.splice(0)) p.dispose();
});

afterAll(async () => {
  await server.stop();
  await rm(root, { recursive: true, force: true });
});

async function configDir(): Promise<string> {
  return mkdtemp(path.join(root, 'cfg-'));
}

function terminal(dir: string, args: string[] = [], keychain = false): PtySession {
  const session = spawnInPty([server.wsUrl, '--config-dir', dir, ...(keychain ? [] : ['--no-keychain']), ...args], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  ptys.push(session);
  return session;
}

/** Runs the client with piped stdin and stdout (no terminal), to completion. */
const piped = (args: string[], input: string) => runPipedClient(args, input);

async function signInRemembering(term: PtySession, username: string): Promise<void> {
  await term.waitFor('Username:');
  term.type(`${username}\r`);
  await term.waitFor('Password:');
  term.type(`${passwordOf(username)}\r`);
  await term.waitFor('Remember me on this computer? [y/N]');
  term.type('y\r');
  await term.waitFor(`${username}>`);
}

/** The keychain, when keytar loads and a Secret Service answers; otherwise why not. */
async function keychain(): Promise<{ keytar: KeychainPort | null; reason: string | null }> {
  let reason: string | null = null;
  const keytar = await openKeychain(
    TERMINAL_KEYCHAIN_SERVICE,
    () => loadKeytar(),
    (why) => (reason = why),
  );
  if (keytar && !process.env.DBUS_SESSION_BUS_ADDRESS) return { keytar: null, reason: 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset)' };
  return { keytar, reason };
}
const { keytar, reason: noKeychain } = await keychain();
const keychainRequired = process.env.CHAT_TEST_REQUIRE_KEYCHAIN === '1';
const skipKeychain = noKeychain !== null && !keychainRequired;

describe('terminal client sign-in', { timeout: 90_000 }, () => {
  it('remembers the sign-in in a file only the user can read (with a warning), signs in with it next time, and logout forgets it', async () => {
    const dir = await configDir();
    const file = path.join(dir, 'credentials.json');
    const first = terminal(dir);
    await signInRemembering(first, 'alice');
    await first.waitFor(`* No keychain (--no-keychain): your sign-in token is kept in ${file}, readable only by you.`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { server: string; username: string; token: string };
    expect(saved).toMatchObject({ server: server.wsUrl, username: 'alice' });
    expect(JSON.stringify(saved)).not.toContain(passwordOf('alice'));
    first.type('\x03');
    expect((await first.waitForExit()).code).toBe(0);

    // Ctrl+C kept the token: the next start signs in with it, without a prompt.
    const second = terminal(dir);
    await second.waitFor('Welcome, alice!');
    await second.waitFor('alice>');
    expect(second.raw).not.toContain('Password:');
    // The token sign-in answered the token that replaces it, and the client saved it.
    const tokenNow = async () => (JSON.parse(await readFile(file, 'utf8')) as { token: string }).token;
    await waitUntil(async () => (await tokenNow()) !== saved.token, 'the rotated token to be saved');
    const rotated = await tokenNow();
    second.type('\x03');
    expect((await second.waitForExit()).code).toBe(0);

    // So the start after that signs in silently too.
    const again = terminal(dir);
    await again.waitFor('Welcome, alice!');
    await again.waitFor('alice>');
    expect(again.raw).not.toContain('Password:');
    await waitUntil(async () => (await tokenNow()) !== rotated, 'the next rotated token to be saved');
    again.type('logout\r');
    expect((await again.waitForExit()).code).toBe(0);
    expect(existsSync(file)).toBe(false);

    const third = terminal(dir);
    await third.waitFor('Username:');
  });

  it('--forget drops the saved sign-in; a saved token the server refuses is forgotten and the password asked', async () => {
    const dir = await configDir();
    const file = path.join(dir, 'credentials.json');
    const first = terminal(dir);
    await signInRemembering(first, 'bob');
    first.type('\x03');
    expect((await first.waitForExit()).code).toBe(0);

    const forgetting = terminal(dir, ['--forget']);
    await forgetting.waitFor(`* Forgot the saved sign-in of bob at ${server.wsUrl}.`);
    await forgetting.waitFor('Username:');
    expect(existsSync(file)).toBe(false);
    forgetting.type('\x03');
    expect((await forgetting.waitForExit()).code).toBe(1);

    await writeFile(file, JSON.stringify({ server: server.wsUrl, username: 'bob', token: 'x'.repeat(43) }), { mode: 0o644 });
    const refused = terminal(dir);
    await refused.waitFor(`${file} was readable by others; it is now readable only by you (mode 0600).`);
    await refused.waitFor('* The saved sign-in of bob is no longer valid; sign in with your password.');
    await refused.waitFor('Username:');
    expect(existsSync(file)).toBe(false);
  });

  it.skipIf(skipKeychain)(`remembers the sign-in in the OS keychain when there is one${skipKeychain ? ` — SKIPPED: ${noKeychain}` : ''}`, async () => {
    if (noKeychain !== null) throw new Error(`CHAT_TEST_REQUIRE_KEYCHAIN=1 but the keychain is unusable: ${noKeychain}`);
    const dir = await configDir();
    const account = `carol@${server.wsUrl}`;
    try {
      const first = terminal(dir, [], true);
      await signInRemembering(first, 'carol');
      expect(await first.text()).not.toContain('No keychain');
      expect(existsSync(path.join(dir, 'credentials.json'))).toBe(false);
      expect((await stat(path.join(dir, 'account.json'))).mode & 0o777).toBe(0o600);
      expect(await keytar!.getPassword(TERMINAL_KEYCHAIN_SERVICE, account)).toMatch(/^\S{16,}$/);
      first.type('\x03');
      expect((await first.waitForExit()).code).toBe(0);

      const second = terminal(dir, [], true);
      await second.waitFor('Welcome, carol!');
      expect(second.raw).not.toContain('Password:');
      second.type('logout\r');
      expect((await second.waitForExit()).code).toBe(0);
      expect(await keytar!.getPassword(TERMINAL_KEYCHAIN_SERVICE, account)).toBeNull();
    } finally {
      await keytar?.deletePassword(TERMINAL_KEYCHAIN_SERVICE, account).catch(() => false);
    }
  });

  it('reads piped input line by line: sign-in, commands, and the end of input logs out (plain text, exit 0)', async () => {
    const dir = await configDir();
    const run = await piped(clientArgs(server.wsUrl, dir), signInInput('dave', 'whoelse', 'message erin hello erin', 'bogus'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Username: dave\n');
    expect(run.stdout).toContain('Password: \n');
    expect(run.stdout).not.toContain(passwordOf('dave'));
    expect(run.stdout).toContain('Welcome, dave! Type "help" for commands.');
    expect(run.stdout).toMatch(/No one else is online\.|Online now/);
    expect(run.stdout).toContain('erin is offline; the message is queued and will be delivered when they sign in.');
    expect(run.stdout).toContain('error UNKNOWN_COMMAND: Unknown command "bogus". Type "help" for the list.');
    expect(run.stdout).toContain('Goodbye.');
    expect(run.stdout).not.toMatch(SGR);
  });

  it('piped input: a refused sign-in ends the run (exit 1); its next lines are never tried as passwords', async () => {
    const dir = await configDir();
    // Were the next lines read as passwords, these three would lock gina's account.
    const wrong = await piped(clientArgs(server.wsUrl, dir), 'gina\nnot-her-password\nwhoelse\nmessage dave secret plans\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('error INVALID_CREDENTIALS: Invalid username or password. 2 attempts left');
    expect(wrong.stdout.match(/Password: /g)).toHaveLength(1);
    expect(wrong.stdout).not.toContain('ACCOUNT_LOCKED');
    const invalidName = await piped(clientArgs(server.wsUrl, dir), 'not a name\ngina\n' + passwordOf('gina') + '\n');
    expect(invalidName.code).toBe(1);
    expect(invalidName.stdout).toContain('error BAD_REQUEST: Usernames are 1-32 letters');
    expect(invalidName.stdout).not.toContain('Welcome');
    const emptyPassword = await piped(clientArgs(server.wsUrl, dir), 'gina\n\nwhoelse\n');
    expect(emptyPassword.code).toBe(1);
    expect(emptyPassword.stdout).toContain('error BAD_REQUEST: The password line of the input is empty.');
    // The one wrong password did not lock her out.
    const right = await piped(clientArgs(server.wsUrl, dir), signInInput('gina', 'whoelse'));
    expect(right.code).toBe(0);
    expect(right.stdout).toContain('Welcome, gina!');
  });

  it('piped input: signed out by the server mid-run, it exits 1 instead of reading a command as the password', async () => {
    const child = spawn(process.execPath, [...CLIENT_FROM_SOURCES, ...clientArgs(server.wsUrl, await configDir())], { stdio: 'pipe' });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The client may end right after the sign-out notice (what this test expects), before
    // the line below reaches it: that write then fails with EPIPE, which is no failure here.
    child.stdin.on('error', () => {});
    try {
      child.stdin.write(`hank\n${passwordOf('hank')}\n`);
      await waitUntil(() => stdout.includes('Welcome, hank!'), 'the sign-in', 30_000);
      // An administrator changes the password: the session ends and its token is refused on reconnect.
      const passwd = await runCli(['users', 'passwd', 'hank', '--data', server.dataDir, '--hash-cost', '4'], { stdin: 'hank-new-password-7\n' });
      expect(passwd.code, passwd.stderr).toBe(0);
      await waitUntil(() => stdout.includes('* Signed out by the server ('), 'the sign-out notice', 30_000);
      child.stdin.write('message dave not a password\n');
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))])).toBe(1);
      expect(stdout).not.toMatch(/Signed out by the server[\s\S]*Password: /);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('"register" at the Username prompt creates an account where the server allows it', async () => {
    const dir = await configDir();
    const name = `new${randomUUID().slice(0, 8)}`;
    const run = await piped(clientArgs(server.wsUrl, dir), `register\n${name}\ncorrect-horse-battery-staple-91\nlogout\n`);
    expect(run.stdout).toContain('New here? Type "register" at the username prompt to create an account.');
    expect(run.stdout).toContain(`Welcome, ${name}! Type "help" for commands.`);
    expect(run.code).toBe(0);
  });

  it('exits 1 when nothing answers at the address and 2 on bad arguments', async () => {
    const closed = await piped(['127.0.0.1:1', '--no-keychain', '--config-dir', await configDir()], '');
    expect(closed.code).toBe(1);
    expect(closed.stdout).toContain('Cannot reach the chat server at ws://127.0.0.1:1/ws: connection refused.\n');
    expect(closed.stdout).not.toContain('Cannot reach ws://');

    // Another machine's address without a scheme means TLS; a server without it gets the way there.
    // (An IPv4-mapped address is not a loopback name, but reaches this test's server.)
    const plain = await piped([`[::ffff:127.0.0.1]:${server.wsPort}`, '--no-keychain', '--config-dir', await configDir()], '');
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain(`If that server has no TLS, type ws://[::ffff:127.0.0.1]:${server.wsPort} instead.`);

    // Input that ends at a prompt: not signed in, and the prompt's line is ended.
    const noInput = await piped(clientArgs(server.wsUrl, await configDir()), '');
    expect(noInput.code).toBe(1);
    expect(noInput.stdout).toMatch(/Username: \n$/);
    const noPassword = await piped(clientArgs(server.wsUrl, await configDir()), 'gina\n');
    expect(noPassword.code).toBe(1);
    expect(noPassword.stdout).toMatch(/Password: \n$/);

    const badScheme = await piped(['ftp://example.invalid'], '');
    expect(badScheme.code).toBe(2);
    expect(badScheme.stderr).toContain('unsupported scheme ftp:');

    const badFlag = await piped(['--bogus'], '');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("unknown option '--bogus'");

    const help = await piped(['--help'], '');
    expect(help.code).toBe(0);
    for (const flag of ['--user', '--remember', '--no-remember', '--forget', '--no-keychain', '--no-color', '--config-dir'])
      expect(help.stdout).toContain(flag);
  });

  it("asks for the password again when the server no longer accepts the session's token", async () => {
    const term = terminal(await configDir(), ['--user', 'frank', '--no-remember']);
    await term.waitFor('Password:');
    term.type(`${passwordOf('frank')}\r`);
    await term.waitFor('frank>');
    // A new password in the users file: the restarted server imports it and revokes frank's tokens.
    await writeUsersFile(path.join(server.dataDir, 'clients.txt'), { ...USERS_HERE, frank: 'frank-new-pw' });
    await server.restart();
    await term.waitFor('* Signed out by the server (', 'the session to be refused', 30_000);
    await term.waitUntil((rows) => rows.filter((r) => r.startsWith('Password:')).length === 2, 'the password prompt again');
    term.type('frank-new-pw\r');
    await term.waitUntil((rows) => rows[rows.length - 1] === 'frank>', 'the chat prompt again');
    term.type('ping frank\r');
    await term.waitFor('frank is online.');
    term.type('\x03');
    expect((await term.waitForExit()).code).toBe(0);
  });
});
