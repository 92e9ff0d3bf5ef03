// Several server nodes sharing PostgreSQL and Redis, driven by real WebSocket
// clients: everything a user sees must not depend on which node they reached.
// Needs CHAT_TEST_POSTGRES_URL and CHAT_TEST_REDIS_URL.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../helpers/cluster';
import { TcpClient } from '../../helpers/tcp-client';
import { describeWithServices } from '../../helpers/services';
import { waitUntil } from '../../helpers/wait';
import { accounts } from '../../helpers/users';
import { WsClient } from '../../helpers/ws-client';

// Every test signs in its own users, so a session still closing from one test
// never collides with the next.
const NAMES = [
  'pm_a',
  'pm_b',
  'tcp_a',
  'tcp_b',
  'bc_a',
  'bc_b',
  'bc_c',
  'gr_a',
  'gr_b',
  'gr_c',
  'who_a',
  'who_b',
  'who_c',
  'dup_a',
  'lock_a',
  'off_a',
  'off_b',
  'res_a',
  'res_b',
  'stall_a',
  'stall_b',
];
const USERS = accounts(...NAMES);

await describeWithServices('Cluster: three nodes on PostgreSQL + Redis', ['postgres', 'redis'], () => {
  let cluster: Cluster;
  const clients: { close(): void }[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, users: USERS });
  });
  afterAll(async () => {
    await cluster?.close();
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  /** Connects to node `index` and signs `user` in. */
  async function signIn(index: number, user: string, extra: { resumeFrom?: number } = {}): Promise<WsClient> {
    const client = await WsClient.connect(cluster.nodes[index]!.wsUrl);
    clients.push(client);
    await client.login(user, USERS[user]!, extra);
    return client;
  }

  it('a node that lost a session claim while stalled disconnects its copy: one session per user', async () => {
    const first = await signIn(0, 'stall_a');
    // As if node 0 stalled past the claim's TTL: the claim expires and node 1 signs the user in.
    const raw = new Redis(cluster.redisUrl);
    try {
      await raw.del(`${cluster.keyPrefix}session:stall_a`);
    } finally {
      await raw.quit();
    }
    const second = await signIn(1, 'stall_a');
    // Node 0 notices at its next heartbeat (every 3 s) and closes the old connection.
    const closed = await first.waitClosed(10_000);
    expect(closed.reason).toMatch(/signed in elsewhere/);
    expect(await second.request({ type: 'whoelse' })).toBeDefined();
    const other = await signIn(2, 'stall_b');
    expect((await other.request({ type: 'ping', user: 'stall_a' })).online).toBe(true);
  });

  it('delivers a private message to a user on another node', async () => {
    const a = await signIn(0, 'pm_a');
    const b = await signIn(1, 'pm_b');
    const sent = await a.request({ type: 'message', to: 'pm_b', text: 'across nodes' });
    expect(sent.queued).toBe(false);
    const [m] = await b.waitMessages(1);
    expect(m).toMatchObject({ seq: sent.message.id, offline: false, message: { kind: 'private', from: 'pm_a', to: 'pm_b', text: 'across nodes' } });
    // And back the other way.
    await b.request({ type: 'message', to: 'pm_a', text: 'got it' });
    expect((await a.waitMessages(1))[0]!.message.text).toBe('got it');
  });

  it('connects a TCP (nc) user on one node with a WebSocket user on another', async () => {
    const tcp = await TcpClient.connect(cluster.nodes[0]!.tcpPort);
    clients.push(tcp);
    await tcp.login('tcp_a', USERS.tcp_a!);
    const ws = await signIn(2, 'tcp_b');
    tcp.send('message tcp_b hello from a terminal');
    await tcp.waitLine('Sent to tcp_b.');
    expect((await ws.waitMessages(1))[0]!.message).toMatchObject({ from: 'tcp_a', text: 'hello from a terminal' });
    await ws.request({ type: 'message', to: 'tcp_a', text: 'hello from a browser' });
    const reply = await ws.request({ type: 'message', to: 'tcp_a', text: 'hello again' });
    await tcp.waitLine(/^#\d+ \[\d\d:\d\d\] tcp_b \(private\): hello from a browser$/);
    await tcp.waitLine(new RegExp(`^#${reply.message.id} \\[\\d\\d:\\d\\d\\] tcp_b \\(private\\): hello again$`));
  });

  it('fans a broadcast out to users on every node', async () => {
    const a = await signIn(0, 'bc_a');
    const b = await signIn(1, 'bc_b');
    const c = await signIn(2, 'bc_c');
    const result = await b.request({ type: 'broadcast', text: 'hello everyone' });
    // Users of other tests may still be signed in; ours must be among the recipients.
    expect(result.delivered).toBeGreaterThanOrEqual(2);
    for (const client of [a, c]) {
      const [m] = await client.waitMessages(1);
      expect(m!.message).toMatchObject({ kind: 'broadcast', from: 'bc_b', text: 'hello everyone' });
    }
    expect(b.takeMessages()).toEqual([]);
  });

  it('creates a group and fans its messages out across nodes', async () => {
    const a = await signIn(0, 'gr_a');
    const b = await signIn(1, 'gr_b');
    const c = await signIn(2, 'gr_c');
    await a.request({ type: 'create-group', group: 'grteam', members: ['gr_b', 'gr_c'] });
    for (const client of [b, c]) {
      const event = await client.waitEvent('group', (e) => e.name === 'grteam');
      expect(event).toMatchObject({ change: 'created', actor: 'gr_a', group: { owner: 'gr_a', members: ['gr_a', 'gr_b', 'gr_c'] } });
    }
    // Group state written on node 0 is visible from node 2.
    expect((await c.request({ type: 'grouplist' })).groups.map((g) => g.name)).toEqual(['grteam']);
    const sent = await c.request({ type: 'message-group', group: 'grteam', text: 'team, assemble' });
    expect(sent.queued).toEqual([]);
    for (const client of [a, b]) {
      const [m] = await client.waitMessages(1);
      expect(m!.message).toMatchObject({ kind: 'group', group: 'grteam', from: 'gr_c', text: 'team, assemble' });
    }
  });

  it('whoelse, wholasthr and ping see users signed in on every node', async () => {
    const a = await signIn(0, 'who_a');
    await signIn(1, 'who_b');
    await signIn(2, 'who_c');
    for (const client of [a]) {
      const { users } = await client.request({ type: 'whoelse' });
      expect(users).toEqual(expect.arrayContaining(['who_b', 'who_c']));
      expect(users).not.toContain('who_a');
      const last = await client.request({ type: 'wholasthr' });
      const byName = new Map(last.users.map((u) => [u.username, u]));
      for (const name of ['who_b', 'who_c']) {
        expect(byName.get(name)).toMatchObject({ online: true });
        expect(byName.get(name)?.lastLoginAt).toEqual(expect.any(Number));
      }
    }
    expect(await a.request({ type: 'ping', user: 'who_c' })).toMatchObject({ user: 'who_c', online: true });
    expect(await a.request({ type: 'ping', user: 'off_b' })).toMatchObject({ user: 'off_b', online: false });
  });

  it('refuses a second sign-in of the same user on another node', async () => {
    await signIn(0, 'dup_a');
    const second = await WsClient.connect(cluster.nodes[1]!.wsUrl);
    clients.push(second);
    const error = await second.expectError({ type: 'login', username: 'dup_a', password: USERS.dup_a! });
    expect(error.code).toBe('ALREADY_SIGNED_IN');
  });

  it('locks an account after failures spread over several nodes, on every node', async () => {
    const attempt = async (index: number, password: string) => {
      const client = await WsClient.connect(cluster.nodes[index]!.wsUrl);
      clients.push(client);
      return client.send({ type: 'login', username: 'lock_a', password });
    };
    for (const index of [0, 0]) expect(await attempt(index, 'wrong')).toMatchObject({ ok: false, error: { code: 'INVALID_CREDENTIALS' } });
    // The third failure happens on another node and must lock the account.
    const third = await attempt(1, 'wrong');
    expect(third.ok).toBe(false);
    for (const index of [0, 1, 2]) {
      const reply = await attempt(index, USERS.lock_a!);
      expect(reply).toMatchObject({ ok: false, error: { code: 'ACCOUNT_LOCKED' } });
    }
  });

  it('queues a message for an offline user and hands it over on another node', async () => {
    const a = await signIn(0, 'off_a');
    const sent = await a.request({ type: 'message', to: 'off_b', text: 'while you were out' });
    expect(sent.queued).toBe(true);
    const b = await WsClient.connect(cluster.nodes[2]!.wsUrl);
    clients.push(b);
    const login = await b.login('off_b', USERS.off_b!);
    expect(login.offlineCount).toBe(1);
    const [m] = await b.waitMessages(1);
    expect(m).toMatchObject({ seq: sent.message.id, offline: true, message: { from: 'off_a', text: 'while you were out' } });
    const { messages } = await b.request({ type: 'offline' });
    expect(messages.map((d) => d.message.text)).toEqual(['while you were out']);
  });

  it('resumes from the last acknowledged seq when the user comes back on another node', async () => {
    const a = await signIn(0, 'res_a');
    let b = await signIn(1, 'res_b');
    const ids: number[] = [];
    for (const text of ['one', 'two', 'three']) ids.push((await a.request({ type: 'message', to: 'res_b', text })).message.id);
    const first = await b.waitMessages(3);
    expect(first.map((m) => m.seq)).toEqual(ids);
    await b.request({ type: 'ack', seq: ids[1]! });
    b.close();
    // a may still see res_b online for a moment; wait until node 0 knows it left.
    await waitUntil(async () => !(await a.request({ type: 'ping', user: 'res_b' })).online, 'res_b to go offline');
    const four = await a.request({ type: 'message', to: 'res_b', text: 'four' });
    b = await signIn(2, 'res_b');
    const replay = await b.waitMessages(2);
    expect(replay.map((m) => [m.seq, m.message.text])).toEqual([
      [ids[2], 'three'],
      [four.message.id, 'four'],
    ]);
  });
});
