// A password change ends that user's live sessions on every node, not only
// their saved sign-ins, also when `adduser --update` runs as a separate process
// against the same database (SQLite file, or the cluster's PostgreSQL).
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli';
import { startCluster, type Cluster } from '../../helpers/cluster';
import { describeWithServices } from '../../helpers/services';
import { TcpClient } from '../../helpers/tcp-client';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { WsClient } from '../../helpers/ws-client';

/** The server checks for password changes every 2 s; allow generous margin on a loaded machine. */
const ENDED_WITHIN_MS = 10_000;

const open: { kill(): void }[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.kill();
});

function track<T extends { kill(): void }>(c: T): T {
  open.push(c);
  return c;
}

describe('password change ends live sessions [sqlite]', () => {
  let srv: TestServer | undefined;
  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
  });

  it('adduser --update in another process ends the WebSocket and TCP sessions of that user only', async () => {
    srv = await startTestServer();
    const alice = track(await WsClient.connect(srv.wsUrl));
    await alice.login('alice', 'alice-pw', { remember: true });
    const bob = track(await TcpClient.connect(srv.tcpPort));
    await bob.login('bob', 'bob-pw');
    const carol = track(await WsClient.connect(srv.wsUrl));
    await carol.login('carol', 'carol-pw');

    const data = ['--data', srv.dataDir, '--hash-cost', '4'];
    expect(await runCli(['adduser', 'alice', '--update', ...data], { stdin: 'alice-new-password\n' })).toMatchObject({ code: 0 });
    expect((await alice.waitClosed(ENDED_WITHIN_MS)).reason).toBe('password changed: sign in again');
    // Named in another case: the answer and the audit log name the account as registered.
    expect(await runCli(['adduser', 'BOB', '--update', ...data], { stdin: 'bob-new-password\n' })).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Password of bob updated.'),
    });
    await bob.waitClosed(ENDED_WITHIN_MS);
    const audit = await runCli(['audit', '--action', 'password-changed', '--limit', '1', '--json', '--data', srv.dataDir]);
    expect(JSON.parse(audit.stdout)).toMatchObject({ action: 'password-changed', username: 'bob' });

    // Others keep their sessions; the new password signs in, and the new session is not ended.
    expect((await carol.request({ type: 'whoelse' })).users).toEqual([]);
    const again = track(await WsClient.connect(srv.wsUrl));
    await again.login('alice', 'alice-new-password');
    await again.request({ type: 'message', to: 'carol', text: 'back' });
    await carol.waitMessages(1);
    expect(again.closed).toBeNull();
  });
});

await describeWithServices('password change ends live sessions [cluster]', ['postgres', 'redis'], ({ postgresUrl }) => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('adduser --update against the shared PostgreSQL ends the session on whichever node holds it', async () => {
    cluster = await startCluster({ nodes: 2 });
    const [a, b] = cluster.nodes as [(typeof cluster.nodes)[number], (typeof cluster.nodes)[number]];
    const alice = track(await WsClient.connect(a.wsUrl));
    await alice.login('alice', 'alice-pw');
    const bob = track(await WsClient.connect(b.wsUrl));
    await bob.login('bob', 'bob-pw');
    const run = await runCli(['adduser', 'bob', '--update', '--postgres', postgresUrl, '--postgres-schema', cluster.schema, '--hash-cost', '4'], {
      stdin: 'bob-new-password\n',
    });
    expect(run).toMatchObject({ code: 0 });
    expect((await bob.waitClosed(ENDED_WITHIN_MS)).reason).toBe('password changed: sign in again');
    expect(alice.closed).toBeNull();
    const again = track(await WsClient.connect(a.wsUrl));
    await again.login('bob', 'bob-new-password');
  });
});
