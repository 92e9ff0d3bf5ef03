// LAN discovery between two machines: two network namespaces joined by a veth pair (their
// own link, so multicast never reaches a real network). Host mode in one advertises
// `_chat._tcp`; the browser in the other lists it with a reachable address, connects to it,
// and drops it when the host stops. Skips (with the reason) where `ip netns` is not permitted.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveredServer, HostStatus } from '../../../main/ipc/contract';
import { waitUntil } from '../../helpers/wait';

const root = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(__dirname, 'fixtures');
const id = randomBytes(3).toString('hex');
/** Our own namespaces and link; names carry a random id so parallel runs never collide. */
const NS_HOST = `chat-t${id}-h`;
const NS_PEER = `chat-t${id}-p`;
const VETH_HOST = `vch${id}`;
const VETH_PEER = `vcp${id}`;
/** A /24 that exists only on that link, inside the two namespaces. */
const SUBNET = `10.231.${randomBytes(1)[0]! % 250}`;
const HOST_ADDRESS = `${SUBNET}.1`;

function ip(...args: string[]): { ok: boolean; error: string } {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: result.status === 0, error: (result.stderr || result.error?.message || '').trim() };
}

/** Why this machine cannot run the test, or null when it can (probes with a throwaway namespace). */
function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces are Linux-only (this is ${process.platform})`;
  const probe = `chat-t${id}-probe`;
  const added = ip('netns', 'add', probe);
  if (!added.ok) return `\`ip netns add\` is not permitted here (${added.error || 'ip missing'})`;
  ip('netns', 'del', probe);
  return null;
}

const unavailable = netnsUnavailable();
const created: string[] = [];
const children: ChildProcess[] = [];

function mustIp(...args: string[]): void {
  const result = ip(...args);
  if (!result.ok) throw new Error(`ip ${args.join(' ')} failed: ${result.error}`);
}

function inNamespace(ns: string, script: string, args: string[] = []): { child: ChildProcess; lines: string[]; stderr: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', path.join(fixtures, script), ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.trim() !== ''));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, lines, stderr: () => stderr };
}

describe.skipIf(unavailable !== null)(`LAN discovery across network namespaces${unavailable ? ` — skipped: ${unavailable}` : ''}`, () => {
  beforeAll(() => {
    for (const ns of [NS_HOST, NS_PEER]) {
      mustIp('netns', 'add', ns);
      created.push(ns);
      mustIp('-n', ns, 'link', 'set', 'lo', 'up');
    }
    mustIp('link', 'add', VETH_HOST, 'netns', NS_HOST, 'type', 'veth', 'peer', 'name', VETH_PEER, 'netns', NS_PEER);
    for (const [ns, dev, address] of [
      [NS_HOST, VETH_HOST, HOST_ADDRESS],
      [NS_PEER, VETH_PEER, `${SUBNET}.2`],
    ] as const) {
      mustIp('-n', ns, 'addr', 'add', `${address}/24`, 'dev', dev);
      mustIp('-n', ns, 'link', 'set', dev, 'up', 'multicast', 'on');
      // mDNS goes to 224.0.0.251: route multicast over the link (there is no default route).
      mustIp('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
    }
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    // Deleting a namespace removes its end of the veth pair, and with it the other end.
    for (const ns of created) ip('netns', 'del', ns);
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(left).not.toContain(`chat-t${id}`);
  });

  it('the peer lists the hosted server with its address and ports, reaches it, and drops it when it stops', async () => {
    const host = inNamespace(NS_HOST, 'lan-host.ts', ['Chat on test-host']);
    await waitUntil(() => host.lines.length > 0 || host.child.exitCode !== null, 'host mode to start', 20_000);
    const status = JSON.parse(host.lines[0] ?? 'null') as HostStatus | null;
    if (!status) throw new Error(`host mode did not start: ${host.stderr()}`);
    expect(status).toMatchObject({ running: true, advertisedAs: 'Chat on test-host', addresses: [HOST_ADDRESS] });

    const peer = inNamespace(NS_PEER, 'lan-browse.ts');
    const lists = () => peer.lines.map((l) => JSON.parse(l) as { servers?: DiscoveredServer[]; hello?: string; from?: string }).filter((m) => m.servers);
    await waitUntil(() => lists().some((m) => m.servers!.length > 0), `the peer to find the server (stderr: ${peer.stderr()})`, 20_000);
    const found = lists().find((m) => m.servers!.length > 0)!.servers!;
    expect(found).toEqual([
      {
        id: expect.stringContaining('Chat on test-host'),
        name: 'Chat on test-host',
        address: `${HOST_ADDRESS}:${status.wsPort}`,
        tcpPort: status.tcpPort,
        tlsFingerprint: status.tlsFingerprint,
      },
    ]);
    expect(status.tlsFingerprint).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    // The advertised address is one the peer can actually use, over TLS pinned to the announced fingerprint.
    await waitUntil(() => peer.lines.some((l) => l.includes('"hello"') || l.includes('connectError')), 'the peer to connect', 10_000);
    expect(peer.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((m) => 'hello' in m || 'connectError' in m)).toEqual({
      hello: 'hello',
      from: `${HOST_ADDRESS}:${status.wsPort}`,
    });

    host.child.stdin!.write('stop\n');
    await waitUntil(() => host.lines.includes('stopped'), 'host mode to stop', 10_000);
    await waitUntil(() => lists().at(-1)?.servers?.length === 0, 'the peer to drop the server after its goodbye', 10_000);
  });
});
