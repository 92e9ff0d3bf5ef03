// Host mode with the real bundled server: start on chosen (here: free) ports, accept a
// sign-in from the users file next to its data, report addresses, refuse a taken port,
// and stop cleanly.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Advertisement } from '../../../main/discovery';
import { HostController, lanAddresses } from '../../../main/host';
import { ServerTrust } from '../../../main/server-trust';
import { wsSocketFactory } from '../../../main/connection';
import { ChatSession } from '../../../server/client';
import { pinningTrust } from '../../../server/client/node';
import { ErrorCode } from '../../../server/protocol';
import { startServer, startServerHoldingDataDir } from '../../../server/index';
import { USERS, writeUsersFile } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';

let dataDir: string;
let host: HostController;
const advertised: Advertisement[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-host-'));
  await writeUsersFile(path.join(dataDir, 'users.txt'));
  host = new HostController({
    startServer,
    dataDir,
    webRoot: null,
    serverOptions: { host: '127.0.0.1', hashCost: 4, minPasswordLength: 6, logLevel: 'silent' },
    advertiser: {
      start: (ad) => {
        advertised.push(ad);
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
    },
    networkInterfaces: () => ({
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '00:00:00:00:00:00', cidr: '127.0.0.1/8' }],
      eth0: [
        { address: '192.168.1.20', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '02:00:00:00:00:01', cidr: '192.168.1.20/24' },
        { address: 'fe80::1', family: 'IPv6', internal: false, netmask: 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:01', cidr: 'fe80::1/64', scopeid: 2 },
      ],
    }),
  });
});

afterEach(async () => {
  await host.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('HostController', () => {
  it('starts the server, which accepts sign-ins, and stops it', async () => {
    expect(host.status()).toEqual({ running: false, tcpPort: null, wsPort: null, addresses: [], advertisedAs: null, tlsFingerprint: null });
    const status = await host.start({ port: 0, wsPort: 0 });
    expect(status).toMatchObject({ running: true, tcpPort: expect.any(Number), wsPort: expect.any(Number), addresses: ['192.168.1.20'] });
    // Asking again for "any port" keeps the running server.
    expect(await host.start({ port: 0, wsPort: 0 })).toEqual(status);

    const session = new ChatSession({
      createSocket: wsSocketFactory(undefined, pinningTrust({ pinFor: () => status.tlsFingerprint })),
      backoff: { initialMs: 60_000 },
    });
    try {
      await session.signIn({ url: `wss://127.0.0.1:${status.wsPort}/ws`, username: 'alice', password: USERS.alice });
      expect(session.state.state).toBe('online');
      const stopped = await host.stop();
      expect(stopped).toEqual({ running: false, tcpPort: null, wsPort: null, addresses: [], advertisedAs: null, tlsFingerprint: null });
      // The server said goodbye: the client is trying to come back.
      await waitUntil(() => session.state.state === 'reconnecting', 'the client to notice the stop');
    } finally {
      session.close();
    }
  });

  it('serves TLS only, with a self-signed certificate made on the first start and kept, and announces its fingerprint', async () => {
    const status = await host.start({ port: 0, wsPort: 0 });
    const certPem = await readFile(path.join(dataDir, 'tls', 'cert.pem'), 'utf8');
    const fingerprint = new X509Certificate(certPem).fingerprint256;
    expect(status.tlsFingerprint).toBe(fingerprint);
    expect((await stat(path.join(dataDir, 'tls', 'key.pem'))).mode & 0o077).toBe(0);
    expect(advertised.at(-1)).toMatchObject({ tlsFingerprint: fingerprint, wsPort: status.wsPort });

    // Plain ws:// gets nowhere; the app's own trust (the host's fingerprint for loopback) gets in.
    const plain = new ChatSession({ createSocket: wsSocketFactory(), backoff: { initialMs: 60_000 } });
    await expect(plain.signIn({ url: `ws://127.0.0.1:${status.wsPort}/ws`, username: 'alice', password: USERS.alice })).rejects.toMatchObject({
      code: ErrorCode.UNREACHABLE,
    });
    plain.close();
    const trust = new ServerTrust({ dir: dataDir, hostFingerprint: () => host.status().tlsFingerprint });
    const session = new ChatSession({ createSocket: wsSocketFactory(undefined, trust.trust), backoff: { initialMs: 60_000 } });
    await session.signIn({ url: `wss://localhost:${status.wsPort}/ws`, username: 'alice', password: USERS.alice });
    session.close();

    // Same certificate after a stop and a start on other ports.
    await host.stop();
    const again = await host.start({ port: 0, wsPort: 0 });
    expect(again.tlsFingerprint).toBe(fingerprint);
  });

  it('the app pins a fingerprint announced on the LAN and refuses another certificate at that address', async () => {
    const status = await host.start({ port: 0, wsPort: 0 });
    const trust = new ServerTrust({ dir: dataDir, hostFingerprint: () => null });
    const address = `127.0.0.1:${status.wsPort}`;
    trust.announce([{ address, tlsFingerprint: 'AB:'.repeat(31) + 'AB' }]);
    const session = new ChatSession({ createSocket: wsSocketFactory(undefined, trust.trust), backoff: { initialMs: 60_000 } });
    await expect(session.signIn({ url: `wss://${address}/ws`, username: 'alice', password: USERS.alice })).rejects.toMatchObject({
      code: ErrorCode.CERTIFICATE_CHANGED,
    });
    expect(trust.accepts('127.0.0.1', status.tlsFingerprint!)).toBe(false);
    trust.announce([{ address, tlsFingerprint: status.tlsFingerprint }]);
    expect(trust.accepts('127.0.0.1', status.tlsFingerprint!)).toBe(true);
    await session.signIn({ url: `wss://${address}/ws`, username: 'alice', password: USERS.alice });
    session.close();
  });

  it('refuses a port that is in use with a readable BAD_REQUEST', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(host.start({ port: 0, wsPort: taken })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining(String(taken)) });
      expect(host.status().running).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('refuses a data directory another live server holds, naming it and the pid, and takes it once that server is gone', async () => {
    // The app's own server, started as the app does it (holding the data directory).
    const holding = new HostController({
      startServer: startServerHoldingDataDir,
      dataDir,
      webRoot: null,
      serverOptions: { host: '127.0.0.1', hashCost: 4, minPasswordLength: 6, logLevel: 'silent' },
    });
    // Another live process (the test runner's parent) holds it.
    await writeFile(path.join(dataDir, 'server.pid'), `${process.ppid}\n`);
    await expect(holding.start({ port: 0, wsPort: 0 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `another server (pid ${process.ppid}) is using ${dataDir}`,
    });
    expect(holding.status().running).toBe(false);
    // A pid no process has (beyond pid_max): the lock is stale and taken over, then given back at the stop.
    await writeFile(path.join(dataDir, 'server.pid'), '99999999\n');
    expect((await holding.start({ port: 0, wsPort: 0 })).running).toBe(true);
    expect((await readFile(path.join(dataDir, 'server.pid'), 'utf8')).trim()).toBe(String(process.pid));
    await holding.stop();
    await expect(stat(path.join(dataDir, 'server.pid'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('lists non-internal IPv4 addresses only', () => {
    expect(
      lanAddresses({
        lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '', mac: '', cidr: null }],
        wlan0: [{ address: '10.0.0.7', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null }],
        eth0: [{ address: '10.0.0.3', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null }],
      }),
    ).toEqual(['10.0.0.3', '10.0.0.7']);
  });
});
