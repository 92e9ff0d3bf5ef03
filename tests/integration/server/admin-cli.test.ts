// The admin CLI (users, sessions, groups, audit) run as an operator runs it, as a
// child process, against a server that is running: on one SQLite node (the CLI
// opens the same file) and on a two-node PostgreSQL + Redis cluster. The running
// nodes notice what the CLI did (ended sessions, locks, deleted groups) through
// the signals they poll. Also the audit trail of failed sign-ins and a lockout.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TIMEOUT_MS, runCli, SOURCE_CLI, type CliRun } from '../../helpers/cli';
import { startCluster, type Cluster } from '../../helpers/cluster';
import { spawnInPty } from '../../helpers/pty';
import { passwordOf } from '../../helpers/users';
import { describeWithServices } from '../../helpers/services';
import { TcpClient } from '../../helpers/tcp-client';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { waitUntil } from '../../helpers/wait';
import { WsClient } from '../../helpers/ws-client';

interface AuditLine {
  id: number;
  at: number;
  action: string;
  actor: string | null;
  username: string | null;
  address: string | null;
  detail: string | null;
}

const jsonLines = <T>(run: CliRun): T[] =>
  run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);

/** Runs an admin command against `storeArgs`; fails the test with what it printed unless it exits 0. */
async function ok(storeArgs: string[], args: string[], stdin?: string): Promise<CliRun> {
  const run = await runCli([...args, ...storeArgs, '--hash-cost', '4'], stdin === undefined ? {} : { stdin });
  expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
  return run;
}

/** A TCP sign-in attempt that is expected to fail; returns the server's line. */
async function failedTcpSignIn(port: number, username: string, password: string): Promise<string> {
  const c = await TcpClient.connect(port);
  await c.waitPrompt('Username: ');
  c.send(username);
  await c.waitPrompt('Password: ');
  c.send(password);
  const line = await c.waitLine(/error|locked|Invalid/i);
  c.close();
  return line;
}

describe('admin CLI against a running SQLite node', () => {
  let srv: TestServer;
  let store: string[];
  beforeAll(async () => {
    srv = await startTestServer({ maxAttempts: 3, lockoutSeconds: 60 });
    store = ['--data', srv.dataDir];
  });
  afterAll(() => srv.stop());

  it('users list shows accounts, who is online and who is locked; sessions list and end', async () => {
    const alice = await TcpClient.connect(srv.tcpPort);
    await alice.login('alice', 'alice-pw');
    let sessions: { username: string; transport: string; address: string }[] = [];
    await waitUntil(
      async () => {
        sessions = jsonLines(await ok(store, ['sessions', 'list', '--json']));
        return sessions.some((s) => s.username === 'alice');
      },
      'the node to report alice',
      30_000,
      200,
    );
    expect(sessions.find((s) => s.username === 'alice')).toMatchObject({ transport: 'tcp', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });

    const users = jsonLines<{ username: string; online: unknown; locked: boolean }>(await ok(store, ['users', 'list', '--json']));
    expect(users.map((u) => u.username)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect(users[0]).toMatchObject({ username: 'alice', locked: false, online: { transport: 'tcp' } });
    expect(users[1]).toMatchObject({ username: 'bob', online: null });
    const table = await ok(store, ['users', 'list']);
    expect(table.stdout).toMatch(/^USER\s+CREATED\s+LAST SIGN-IN\s+STATE$/m);
    expect(table.stdout).toMatch(/^alice\s.*online \(tcp from 127\.0\.0\.1:\d+\)$/m);

    const end = await ok(store, ['sessions', 'end', 'alice']);
    expect(end.stdout).toContain('Saved sign-ins of alice revoked.');
    await alice.waitLine('Disconnected: your session was ended by an administrator.', 10_000);
    await alice.waitClosed();
  });

  it('users lock disconnects and refuses sign-ins until unlock', async () => {
    const bob = await WsClient.connect(srv.wsUrl);
    await bob.login('bob', 'bob-pw', { remember: true });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      bob.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const lock = await ok(store, ['users', 'lock', 'bob']);
    expect(lock.stdout).toContain('bob is locked until "users unlock bob"');
    expect(await closed).toEqual({ code: 1000, reason: 'your account was locked by an administrator' });

    const again = await WsClient.connect(srv.wsUrl);
    const refused = await again.expectError({ type: 'login', username: 'bob', password: 'bob-pw' });
    expect(refused).toMatchObject({ code: 'ACCOUNT_LOCKED', message: 'This account is locked by an administrator.' });
    const listed = jsonLines<{ username: string; locked: boolean; lockedUntil: unknown }>(await ok(store, ['users', 'list', '--json']));
    expect(listed.find((u) => u.username === 'bob')).toMatchObject({ locked: true, lockedUntil: 'admin' });

    await ok(store, ['users', 'unlock', 'bob']);
    await again.login('bob', 'bob-pw');
    again.close();
  });

  it('users add, passwd, rename and delete', async () => {
    expect((await ok(store, ['users', 'add', 'frank'], 'frank-pw\n')).stdout).toContain('User frank created.');
    expect((await ok(store, ['users', 'passwd', 'frank'], 'frank-new\n')).stdout).toContain('Password of frank changed');
    const frank = await WsClient.connect(srv.wsUrl);
    expect(await frank.expectError({ type: 'login', username: 'frank', password: 'frank-pw' })).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await frank.login('frank', 'frank-new');
    frank.close();

    await ok(store, ['users', 'rename', 'frank', 'franz']);
    const franz = await WsClient.connect(srv.wsUrl);
    await franz.login('franz', 'frank-new');
    franz.close();
    await ok(store, ['users', 'delete', 'franz']);
    const gone = await WsClient.connect(srv.wsUrl);
    expect(await gone.expectError({ type: 'login', username: 'franz', password: 'frank-new' })).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    gone.close();
  });

  it('says clearly what it cannot do', async () => {
    const missing = await runCli(['users', 'lock', 'nobody', ...store]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error: No user "nobody".');
    const taken = await runCli(['users', 'rename', 'carol', 'dave', ...store]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('error: The name "dave" is taken by a user or a group.');
    const bad = await runCli(['audit', '--since', 'yesterday-ish', ...store]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since yesterday-ish: give a date');
    // No password on stdin is a usage error like the others, not a crash.
    const noPassword = await runCli(['users', 'add', 'zoe', ...store], { stdin: '' });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('error: No password on standard input');
    // A misspelt action or a limit of no entries would read as "nothing happened".
    const action = await runCli(['audit', '--action', 'signin', ...store]);
    expect(action.code).toBe(2);
    expect(action.stderr).toContain('error: --action signin: not an audit action; one of sign-in, sign-in-failed,');
    for (const limit of ['0', '-1', 'x']) {
      const run = await runCli(['audit', '--limit', limit, ...store]);
      expect(run.code, limit).toBe(2);
      expect(run.stderr).toContain(`argument '${limit}' is invalid. must be a whole number >= 1`);
    }
  });

  it("refuses a group's name, in any case, for a new account before asking for a password", async () => {
    const erin = await WsClient.connect(srv.wsUrl);
    await erin.login('erin', passwordOf('erin'));
    await erin.request({ type: 'create-group', group: 'Night-Shift', members: [] });
    for (const args of [
      ['users', 'add', 'NIGHT-SHIFT'],
      ['adduser', 'night-shift'],
    ]) {
      // With nothing on stdin, a command that asked first would answer "No password on standard input".
      const taken = await runCli([...args, ...store], { stdin: '' });
      expect(taken.code, args.join(' ')).toBe(2);
      expect(taken.stderr, args.join(' ')).toContain(`error: The name "${args[2] ?? args[1]}" is taken`);
    }
    // Its last member leaving deletes the group: later tests list this node's groups.
    await erin.request({ type: 'group-leave', group: 'Night-Shift' });
    erin.close();
  }, 120_000);

  it('refuses an unknown or taken name before asking for a password', async () => {
    // With nothing on stdin, a command that asked first would answer "No password on standard input".
    const unknown = await runCli(['users', 'passwd', 'nobody', ...store], { stdin: '' });
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain('error: No user "nobody".');
    for (const args of [
      ['users', 'add', 'CAROL'],
      ['adduser', 'carol'],
    ]) {
      const taken = await runCli([...args, ...store], { stdin: '' });
      expect(taken.code, args.join(' ')).toBe(2);
      expect(taken.stderr, args.join(' ')).toContain('error: The name "');
      expect(taken.stderr, args.join(' ')).toContain('is taken');
    }
    const invalid = await runCli(['users', 'add', 'no spaces', ...store], { stdin: '' });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('error: Invalid username "no spaces"');

    // On a terminal: no password prompt at all, the error and exit status 2.
    const term = spawnInPty(['users', 'passwd', 'nobody', ...store], { entry: SOURCE_CLI });
    try {
      expect((await term.waitForExit(CLI_TIMEOUT_MS)).code).toBe(2);
      await term.waitFor('error: No user "nobody".');
      expect(term.raw).not.toContain('Password');
    } finally {
      term.dispose();
    }
    // A known name typed in another case: the prompt names the account as registered.
    const known = spawnInPty(['users', 'passwd', 'CAROL', ...store, '--hash-cost', '4'], { entry: SOURCE_CLI });
    try {
      await known.waitFor('Password for carol:');
      known.type(`${passwordOf('carol')}\r`);
      await known.waitFor('Repeat the password:');
      known.type(`${passwordOf('carol')}\r`);
      expect((await known.waitForExit(CLI_TIMEOUT_MS)).code).toBe(0);
      await known.waitFor('Password of carol changed');
    } finally {
      known.dispose();
    }
  }, 120_000);

  it('a --data without a database is named as a mistake, and nothing is created there', async () => {
    const typo = `${srv.dataDir}-typo`;
    for (const args of [['users', 'list'], ['users', 'lock', 'alice'], ['sessions', 'list'], ['groups', 'list'], ['audit']]) {
      const run = await runCli([...args, '--data', typo]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain(`error: No database at ${path.join(typo, 'chat.db')}: is --data right? Nothing was created.`);
      expect(existsSync(typo), args.join(' ')).toBe(false);
    }
  }, 90_000);

  it('groups list and delete; members signed in are told', async () => {
    const carol = await WsClient.connect(srv.wsUrl);
    await carol.login('carol', 'carol-pw');
    await carol.request({ type: 'create-group', group: 'ops-team', members: ['dave'] });
    const groups = jsonLines<{ name: string; owner: string; members: string[] }>(await ok(store, ['groups', 'list', '--json']));
    expect(groups).toEqual([expect.objectContaining({ name: 'ops-team', owner: 'carol', members: ['carol', 'dave'] })]);
    await ok(store, ['groups', 'delete', 'ops-team']);
    const event = await carol.waitEvent('group', (e) => e.change === 'deleted', 10_000);
    expect(event).toMatchObject({ name: 'ops-team', actor: 'server', group: null });
    expect((await ok(store, ['groups', 'list'])).stdout.trim()).toBe('No groups.');
    carol.close();
  });

  it('the audit trail of failed sign-ins and a lockout, with the address', async () => {
    for (let i = 0; i < 2; i++) expect(await failedTcpSignIn(srv.tcpPort, 'dave', 'wrong')).toMatch(/INVALID_CREDENTIALS|Invalid/);
    expect(await failedTcpSignIn(srv.tcpPort, 'dave', 'wrong')).toMatch(/locked/i);
    expect(await failedTcpSignIn(srv.tcpPort, 'dave', 'dave-pw')).toMatch(/locked/i);

    const trail = jsonLines<AuditLine>(await ok(store, ['audit', '--user', 'dave', '--json']));
    expect(trail.map((e) => e.action)).toEqual(['sign-in-refused', 'lockout', 'sign-in-failed', 'sign-in-failed', 'sign-in-failed']);
    for (const e of trail) {
      expect(e.username).toBe('dave');
      expect(e.address).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    expect(trail[1]!.detail).toMatch(/Too many failed attempts/);
    expect(trail[4]!.detail).toBe('tcp, password');

    // Admin actions are there too, with who ran them.
    await ok(store, ['users', 'unlock', 'dave']);
    const erin = await WsClient.connect(srv.wsUrl);
    await erin.login('erin', 'erin-pw');
    erin.close();
    const adminTrail = jsonLines<AuditLine>(await ok(store, ['audit', '--json', '--limit', '3']));
    expect(adminTrail.map((e) => [e.action, e.username])).toEqual([
      ['sign-in', 'erin'],
      ['user-unlocked', 'dave'],
      ['sign-in-refused', 'dave'],
    ]);
    expect(adminTrail[1]!.actor).toMatch(/^admin(:.+)?$/);
    expect(adminTrail[0]).toMatchObject({ actor: 'erin', detail: 'ws, password' });
    const lockouts = await ok(store, ['audit', '--action', 'lockout', '--since', '1h']);
    expect(lockouts.stdout).toMatch(/^\d+\s+\S+ \S+Z\s+lockout\s+dave\s/m);
  });
});

await describeWithServices('admin CLI against a running cluster (2 nodes, PostgreSQL + Redis)', ['postgres', 'redis'], ({ postgresUrl }) => {
  let cluster: Cluster;
  let store: string[];
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2 });
    store = ['--postgres', postgresUrl, '--postgres-schema', cluster.schema];
  }, 60_000);
  afterAll(() => cluster.close());

  it('sessions on both nodes are listed; a lock disconnects the user on the other node', async () => {
    const [a, b] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0]];
    const alice = await WsClient.connect(a.wsUrl);
    await alice.login('alice', 'alice-pw');
    const bob = await TcpClient.connect(b.tcpPort);
    await bob.login('bob', 'bob-pw');
    await waitUntil(
      async () => {
        const names = jsonLines<{ username: string }>(await ok(store, ['sessions', 'list', '--json'])).map((s) => s.username);
        return names.includes('alice') && names.includes('bob');
      },
      'both nodes to report their sessions',
      30_000,
      200,
    );
    await ok(store, ['users', 'lock', 'bob']);
    await bob.waitLine('Disconnected: your account was locked by an administrator.', 10_000);
    const again = await WsClient.connect(a.wsUrl);
    expect(await again.expectError({ type: 'login', username: 'bob', password: 'bob-pw' })).toMatchObject({ code: 'ACCOUNT_LOCKED' });
    await ok(store, ['users', 'unlock', 'bob']);
    await again.login('bob', 'bob-pw');
    again.close();
    alice.close();
  });

  it('the audit trail of failed sign-ins on both nodes and the lockout is read through the store', async () => {
    const [a, b] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0]];
    expect(await failedTcpSignIn(a.tcpPort, 'erin', 'wrong')).toMatch(/Invalid/);
    expect(await failedTcpSignIn(b.tcpPort, 'erin', 'wrong')).toMatch(/Invalid/);
    expect(await failedTcpSignIn(a.tcpPort, 'erin', 'wrong')).toMatch(/locked/i);
    const trail = jsonLines<AuditLine>(await ok(store, ['audit', '--user', 'erin', '--json']));
    expect(trail.map((e) => e.action)).toEqual(['lockout', 'sign-in-failed', 'sign-in-failed', 'sign-in-failed']);
    for (const e of trail) expect(e).toMatchObject({ username: 'erin', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
  });

  it('users and groups on the cluster', async () => {
    const [a, b] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0]];
    await ok(store, ['users', 'add', 'gina'], 'gina-pw\n');
    const gina = await WsClient.connect(b.wsUrl);
    await gina.login('gina', 'gina-pw');
    const carol = await WsClient.connect(a.wsUrl);
    await carol.login('carol', 'carol-pw');
    await carol.request({ type: 'create-group', group: 'cluster-team', members: ['gina'] });
    const groups = jsonLines<{ name: string; members: string[] }>(await ok(store, ['groups', 'list', '--json']));
    expect(groups).toEqual([expect.objectContaining({ name: 'cluster-team', members: ['carol', 'gina'] })]);
    // A group's name in another case is no new account's, refused before a password is asked for.
    const taken = await runCli(['users', 'add', 'Cluster-Team', ...store], { stdin: '' });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('error: The name "Cluster-Team" is taken');
    await ok(store, ['groups', 'delete', 'cluster-team']);
    expect(await gina.waitEvent('group', (e) => e.change === 'deleted', 10_000)).toMatchObject({ name: 'cluster-team', actor: 'server' });
    gina.close();
    carol.close();
    await ok(store, ['users', 'rename', 'gina', 'gina2']);
    const users = jsonLines<{ username: string }>(await ok(store, ['users', 'list', '--json'])).map((u) => u.username);
    expect(users).toContain('gina2');
    expect(users).not.toContain('gina');
    await ok(store, ['users', 'delete', 'gina2']);
  });

  it('passwd and sessions end reach a session on either node', async () => {
    const [a, b] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0]];
    const dave = await TcpClient.connect(b.tcpPort);
    await dave.login('dave', 'dave-pw');
    await waitUntil(
      async () =>
        jsonLines<{ username: string; online: unknown }>(await ok(store, ['users', 'list', '--json'])).some((u) => u.username === 'dave' && u.online !== null),
      'users list to show dave online',
      30_000,
      200,
    );
    await ok(store, ['users', 'passwd', 'dave'], 'dave-new\n');
    // Two watchers end it, whichever polls first: the admin signal, or every node's check of password changes.
    await dave.waitLine(/^Disconnected: (your password was changed by an administrator|password changed: sign in again)\.$/, 10_000);
    const again = await WsClient.connect(a.wsUrl);
    await again.login('dave', 'dave-new');
    await waitUntil(
      async () => jsonLines<{ username: string }>(await ok(store, ['sessions', 'list', '--json'])).some((s) => s.username === 'dave'),
      'sessions list to show dave on the other node',
      30_000,
      200,
    );
    const closed = new Promise<string>((resolve) => again.ws.once('close', (_code, reason) => resolve(reason.toString())));
    await ok(store, ['sessions', 'end', 'dave']);
    expect(await closed).toBe('your session was ended by an administrator');
  });
});
