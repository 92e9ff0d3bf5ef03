// An acknowledgement survives kill -9 (issue 10.1): the `ack` reply is sent only
// once the ack is on disk, and TCP's implicit ack (the kernel took the bytes) is
// on disk before the `logout` reply. Many rounds of: receive, acknowledge, kill
// the server with SIGKILL right after the reply, sign in again without
// `resumeFrom`: nothing acknowledged may come again. On SQLite (the real CLI in
// a child process) and on the cluster (a child node killed, a survivor resumes).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCliServer, type CliServer } from '../../helpers/cli';
import { startCluster, type Cluster } from '../../helpers/cluster';
import { describeWithServices } from '../../helpers/services';
import { TcpClient } from '../../helpers/tcp-client';
import { waitUntil } from '../../helpers/wait';
import { accounts, writeUsersFile } from '../../helpers/users';
import { WsClient } from '../../helpers/ws-client';

const ROUNDS = 6;
const PER_ROUND = 5;
const USERS = accounts('alice', 'bob', 'carol');

/** SIGKILL: no shutdown, no flush, as a crash. */
async function kill(server: CliServer): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGKILL');
  await exited;
}

/** Sends PER_ROUND messages `<tag>-<i>` from `from` to `to` and resolves with their texts. */
async function sendRound(from: WsClient, to: string, tag: string): Promise<string[]> {
  const texts = Array.from({ length: PER_ROUND }, (_, i) => `${tag}-${i}`);
  for (const text of texts) await from.request({ type: 'message', to, text });
  return texts;
}

/**
 * Reads `to`'s deliveries up to the round's last text and acknowledges the last one. Whatever
 * comes before this round's messages and was `seen` in an earlier round is a repeat of an
 * acknowledged one: returns how many, and adds this round's to `seen`.
 */
async function receiveAndAck(to: WsClient, texts: string[], seen: Set<number>): Promise<number> {
  let repeats = 0;
  const got: number[] = [];
  for (;;) {
    const [m] = await to.waitMessages(1, 10_000);
    if (seen.has(m!.seq)) repeats++;
    got.push(m!.seq);
    if (m!.message.text === texts.at(-1)) break;
  }
  for (const seq of got) seen.add(seq);
  expect(await to.request({ type: 'ack', seq: got.at(-1)! })).toEqual({ seq: got.at(-1) });
  return repeats;
}

describe('durable acknowledgements [sqlite, kill -9]', () => {
  let dir: string;
  let server: CliServer | null = null;
  let args: string[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chat-durable-ack-'));
    const users = path.join(dir, 'users.txt');
    await writeUsersFile(users, USERS);
    args = ['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--data', path.join(dir, 'data'), '--users', users, '--hash-cost', '4'];
    args.push('--no-web-root', '--log-level', 'silent');
  });

  afterAll(async () => {
    if (server) await kill(server).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it(`WS: after "ack" was answered and the server was killed, ${ROUNDS} rounds repeat nothing`, { timeout: 240_000 }, async () => {
    let repeats = 0;
    const seen = new Set<number>();
    for (let round = 0; round < ROUNDS; round++) {
      server = await spawnCliServer(args);
      const url = `ws://127.0.0.1:${server.wsPort}/ws`;
      const bob = await WsClient.connect(url);
      await bob.login('bob', USERS.bob);
      const alice = await WsClient.connect(url);
      await alice.login('alice', USERS.alice);
      const texts = await sendRound(alice, 'bob', `ws${round}`);
      repeats += await receiveAndAck(bob, texts, seen);
      // Killed right after the reply: the ack must already be on disk.
      await kill(server);
      server = null;
      alice.close();
      bob.close();
    }
    expect(repeats).toBe(0);
  });

  it(`TCP: after "logout" was answered and the server was killed, ${ROUNDS} rounds repeat nothing`, { timeout: 240_000 }, async () => {
    let repeats = 0;
    const seen = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      server = await spawnCliServer(args);
      const alice = await WsClient.connect(`ws://127.0.0.1:${server.wsPort}/ws`);
      await alice.login('alice', USERS.alice);
      // carol is offline: this round's messages wait in her mailbox with any unacknowledged ones.
      const texts = await sendRound(alice, 'carol', `tcp${round}`);
      const carol = await TcpClient.connect(server.tcpPort!);
      await carol.login('carol', USERS.carol);
      await waitUntil(() => carol.unread().some((line) => line.endsWith(`: ${texts.at(-1)}`)), 'the last message of the round', 10_000);
      const deliveries = carol.unread().filter((line) => /^#\d+ /.test(line));
      for (const line of deliveries) if (seen.has(line)) repeats++;
      for (const line of deliveries) seen.add(line);
      expect(deliveries.filter((line) => line.includes(`tcp${round}-`))).toHaveLength(PER_ROUND);
      carol.send('logout');
      await carol.waitLine('Goodbye.');
      await kill(server);
      server = null;
      alice.close();
    }
    expect(repeats).toBe(0);
  });
});

await describeWithServices('durable acknowledgements [cluster, kill -9 of a node]', ['postgres', 'redis'], () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 1, users: USERS });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('WS: an answered ack survives the death of the node that answered it', { timeout: 240_000 }, async () => {
    const survivor = cluster.nodes[0]!;
    const alice = await WsClient.connect(survivor.wsUrl);
    await alice.login('alice', USERS.alice);
    let repeats = 0;
    const seen = new Set<number>();
    for (let round = 0; round < 3; round++) {
      // bob retries his sign-in every 100 ms until the dead node's claim expires; each refusal counts
      // against the per-address sign-in budget (all clients here share 127.0.0.1), which is not under test.
      const victim = await cluster.spawnNode(['--sign-in-budget-per-address', '0']);
      const bob = await WsClient.connect(victim.wsUrl);
      // bob's claim on the previous victim expires within the session TTL.
      for (let attempt = 0; ; attempt++) {
        const reply = await bob.send({ type: 'login', username: 'bob', password: USERS.bob });
        if (reply.ok) break;
        expect(reply.error, reply.error.message).toMatchObject({ code: 'ALREADY_SIGNED_IN' });
        if (attempt > 150) throw new Error('bob could not sign in again');
        await new Promise((r) => setTimeout(r, 100));
      }
      const texts = await sendRound(alice, 'bob', `cl${round}`);
      repeats += await receiveAndAck(bob, texts, seen);
      await victim.kill();
      bob.close();
    }
    expect(repeats).toBe(0);
  });
});
