// Host mode with the real bundled server: start on chosen (here: free) ports, accept a
// sign-in from the users file next to its data, report addresses, refuse a taken port,
// and stop cleanly.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostController, lanAddresses } from '../../../main/host';
import { wsSocketFactory } from '../../../main/connection';
import { ChatSession } from '../../../server/client';
import { startServer } from '../../../server/index';
import { USERS, writeUsersFile } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';

let dataDir: string;
let host: HostController;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'chat-host-'));
  await writeUsersFile(path.join(dataDir, 'users.txt'));
  host = new HostController({
    startServer,
    dataDir,
    webRoot: null,
    serverOptions: { host: '127.0.0.1', hashCost: 4, minPasswordLength: 6, logLevel: 'silent' },
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
    expect(host.status()).toEqual({ running: false, tcpPort: null, wsPort: null, addresses: [], advertisedAs: null });
    const status = await host.start({ port: 0, wsPort: 0 });
    expect(status).toMatchObject({ running: true, tcpPort: expect.any(Number), wsPort: expect.any(Number), addresses: ['192.168.1.20'] });
    // Asking again for "any port" keeps the running server.
    expect(await host.start({ port: 0, wsPort: 0 })).toEqual(status);

    const session = new ChatSession({ createSocket: wsSocketFactory(), backoff: { initialMs: 60_000 } });
    try {
      await session.signIn({ url: `ws://127.0.0.1:${status.wsPort}/ws`, username: 'alice', password: USERS.alice });
      expect(session.state.state).toBe('online');
      const stopped = await host.stop();
      expect(stopped).toEqual({ running: false, tcpPort: null, wsPort: null, addresses: [], advertisedAs: null });
      // The server said goodbye: the client is trying to come back.
      await waitUntil(() => session.state.state === 'reconnecting', 'the client to notice the stop');
    } finally {
      session.close();
    }
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
