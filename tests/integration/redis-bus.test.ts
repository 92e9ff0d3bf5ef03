// RedisBus against a real Redis: two in-process "nodes" plus, where a node must
// die without cleaning up, a third one in a child process killed with SIGKILL.
// Needs CHAT_TEST_REDIS_URL; every test uses its own random key prefix.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../server/bus/bus';
import { RedisBus, type RedisBusOptions } from '../../server/bus/redis';
import { createTestKeyPrefix, describeWithServices } from '../helpers/services';

const FIXTURE = fileURLToPath(new URL('./cluster/fixtures/redis-bus-node.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Short TTLs keep the expiry tests quick; the heartbeat stays well under the TTL.
const TTL_MS = 600;
const HEARTBEAT_MS = 150;

/** Polls `check` every 25 ms until it returns a value other than undefined; fails after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

await describeWithServices('RedisBus (two nodes, real Redis)', ['redis'], ({ redisUrl }) => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    // Reverse order: buses and children first, then the keys they used.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A fresh key prefix and `count` started buses sharing it. */
  async function nodes(count: number, options: Partial<RedisBusOptions> = {}): Promise<{ prefix: string; buses: RedisBus[] }> {
    const keys = createTestKeyPrefix(redisUrl);
    cleanups.push(() => keys.clear());
    const buses: RedisBus[] = [];
    for (let i = 0; i < count; i++) {
      const bus = new RedisBus({ url: redisUrl, keyPrefix: keys.prefix, sessionTtlMs: TTL_MS, heartbeatMs: HEARTBEAT_MS, ...options });
      await bus.start();
      cleanups.push(() => bus.close());
      buses.push(bus);
    }
    return { prefix: keys.prefix, buses };
  }

  /** A bus in a child process that has claimed `users`; kill it with SIGKILL to simulate a crash. */
  async function childNode(prefix: string, users: string[]): Promise<{ child: ChildProcess; nodeId: string; claimed: Record<string, boolean> }> {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: REPO_ROOT,
      env: { ...process.env, REDIS_URL: redisUrl, KEY_PREFIX: prefix, TTL_MS: String(TTL_MS), HEARTBEAT_MS: String(HEARTBEAT_MS), CLAIM: users.join(',') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const lines = createInterface({ input: child.stdout });
    const first = await Promise.race([
      new Promise<string>((resolve) => lines.once('line', resolve)),
      new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`bus node exited early (${code})`)))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('bus node did not start within 15 s')), 15_000)),
    ]);
    const ready = JSON.parse(first) as { nodeId: string; claimed: Record<string, boolean> };
    return { child, ...ready };
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  it('of many concurrent claims for one user across two nodes, exactly one wins', async () => {
    const { buses } = await nodes(2);
    for (const user of ['alice', 'bob', 'carol']) {
      const attempts = Array.from({ length: 40 }, (_, i) => buses[i % 2]!.claimSession(user));
      const results = await Promise.all(attempts);
      expect(results.filter(Boolean)).toHaveLength(1);
    }
    expect(await buses[0]!.onlineUsers()).toEqual(['alice', 'bob', 'carol']);
  });

  it('releases a claim only on the node that holds it', async () => {
    const [a, b] = (await nodes(2)).buses as [RedisBus, RedisBus];
    expect(await a.claimSession('alice')).toBe(true);
    await b.releaseSession('alice'); // not b's claim: must be a no-op
    expect(await b.isOnline('alice')).toBe(true);
    expect(await b.claimSession('alice')).toBe(false);
    await a.releaseSession('alice');
    expect(await b.isOnline('alice')).toBe(false);
    expect(await a.onlineUsers()).toEqual([]);
    expect(await b.claimSession('alice')).toBe(true);
  });

  it('lists online users of every node, sorted, on every node', async () => {
    const [a, b] = (await nodes(2)).buses as [RedisBus, RedisBus];
    expect(await a.claimSession('zoe')).toBe(true);
    expect(await b.claimSession('bob')).toBe(true);
    expect(await a.claimSession('mia')).toBe(true);
    for (const bus of [a, b]) {
      expect(await bus.onlineUsers()).toEqual(['bob', 'mia', 'zoe']);
      expect(await bus.isOnline('bob')).toBe(true);
      expect(await bus.isOnline('nobody')).toBe(false);
    }
  });

  it('keeps claims alive past the TTL while the node heartbeats, and frees them on close', async () => {
    const { buses } = await nodes(2);
    const [a, b] = buses as [RedisBus, RedisBus];
    expect(await a.claimSession('alice')).toBe(true);
    await new Promise((r) => setTimeout(r, TTL_MS * 3));
    expect(await b.claimSession('alice')).toBe(false);
    expect(await b.onlineUsers()).toEqual(['alice']);
    await a.close();
    expect(await b.claimSession('alice')).toBe(true);
  });

  it('delivers published events to the other node only', async () => {
    const [a, b] = (await nodes(2)).buses as [RedisBus, RedisBus];
    const seenByA: BusEvent[] = [];
    const seenByB: BusEvent[] = [];
    a.subscribe((e) => seenByA.push(e));
    b.subscribe((e) => seenByB.push(e));
    const event: BusEvent = {
      kind: 'deliver',
      message: { id: 9, kind: 'private', from: 'alice', to: 'bob', text: 'hi', ts: 1 },
      users: ['bob'],
      skip: [],
    };
    await a.publish(event);
    await waitFor('the event on node B', () => (seenByB.length > 0 ? true : undefined));
    expect(seenByB).toEqual([event]);
    // Pub/sub keeps publish order per channel: once A sees B's marker, its own
    // earlier event would already have arrived had it not been skipped.
    const marker: BusEvent = { kind: 'blocks-changed', user: 'marker' };
    await b.publish(marker);
    await waitFor('the marker on node A', () => (seenByA.length > 0 ? true : undefined));
    expect(seenByA).toEqual([marker]);
    expect(seenByB).toEqual([event]);
  });

  it('ignores malformed messages on the channel and reports them', async () => {
    const errors: string[] = [];
    const { prefix, buses } = await nodes(1, { onError: (_err, context) => errors.push(context) });
    const seen: BusEvent[] = [];
    buses[0]!.subscribe((e) => seen.push(e));
    const raw = new Redis(redisUrl);
    cleanups.push(async () => void (await raw.quit()));
    await raw.publish(`${prefix}events`, 'not json');
    await raw.publish(`${prefix}events`, JSON.stringify({ origin: 'x', event: { kind: 'deliver', deliveries: 'nope' } }));
    const good: BusEvent = { kind: 'presence', user: 'alice', online: true, at: 5 };
    await raw.publish(`${prefix}events`, JSON.stringify({ origin: 'x', event: good }));
    await waitFor('the valid event', () => (seen.length > 0 ? true : undefined));
    expect(seen).toEqual([good]);
    expect(errors).toEqual(['bus message', 'bus message']);
  });

  it('tells the node that lost a claim while it stalled, so it can end its own session', async () => {
    const { prefix, buses } = await nodes(2);
    const [a, b] = buses as [RedisBus, RedisBus];
    const lost: string[] = [];
    a.onClaimLost((user) => lost.push(user));
    expect(await a.claimSession('alice')).toBe(true);
    // As if node a stalled past the TTL and node b signed alice in meanwhile.
    const raw = new Redis(redisUrl);
    cleanups.push(async () => void (await raw.quit()));
    await raw.del(`${prefix}session:alice`);
    expect(await b.claimSession('alice')).toBe(true);
    await waitFor('node a to notice the lost claim', async () => (lost.length > 0 ? true : undefined));
    expect(lost).toEqual(['alice']);
    // b keeps the session; a releasing it afterwards must not take it from b.
    await a.releaseSession('alice');
    expect(await b.isOnline('alice')).toBe(true);
    expect(await a.claimSession('alice')).toBe(false);
  });

  it('frees the claims of a node killed with SIGKILL within the TTL', async () => {
    const { prefix, buses } = await nodes(1);
    const a = buses[0]!;
    const node = await childNode(prefix, ['carol', 'dan']);
    expect(node.claimed).toEqual({ carol: true, dan: true });
    expect(await a.claimSession('carol')).toBe(false);
    // The child keeps refreshing: still held after several TTLs.
    await new Promise((r) => setTimeout(r, TTL_MS * 2));
    expect(await a.claimSession('carol')).toBe(false);
    expect(await a.onlineUsers()).toEqual(['carol', 'dan']);
    await kill(node.child);
    await waitFor('carol to be claimable', async () => ((await a.claimSession('carol')) ? true : undefined));
    expect(await a.onlineUsers()).toEqual(['carol']);
    expect(await a.isOnline('dan')).toBe(false);
  });

  it('announces the users of a dead node as offline, once, to every node', async () => {
    const { prefix, buses } = await nodes(2);
    const [a, b] = buses as [RedisBus, RedisBus];
    const seenByA: BusEvent[] = [];
    const seenByB: BusEvent[] = [];
    a.subscribe((e) => seenByA.push(e));
    b.subscribe((e) => seenByB.push(e));
    expect(await a.claimSession('alice')).toBe(true);
    const node = await childNode(prefix, ['erin', 'finn']);
    expect(node.claimed).toEqual({ erin: true, finn: true });
    await kill(node.child);
    const offline = (events: BusEvent[]) =>
      events
        .filter((e): e is Extract<BusEvent, { kind: 'presence' }> => e.kind === 'presence' && !e.online)
        .map((e) => e.user)
        .sort();
    await waitFor('offline announcements on both nodes', () => (offline(seenByA).length >= 2 && offline(seenByB).length >= 2 ? true : undefined));
    // A few more sweeps must not announce them again, nor touch live users.
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 4));
    expect(offline(seenByA)).toEqual(['erin', 'finn']);
    expect(offline(seenByB)).toEqual(['erin', 'finn']);
    expect(await b.onlineUsers()).toEqual(['alice']);
  });
});

describe('RedisBus start-up', () => {
  it('an unreachable Redis is named in the error, without the password of its URL', async () => {
    const bus = new RedisBus({ url: 'redis://:s3cret@127.0.0.1:1' });
    const err = await bus.start().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^Redis at 127\.0\.0\.1:1: /);
    expect(err?.message).not.toContain('s3cret');
  });
});
