// An idle signed-in connection keeps no timer of its own: the sign-in timer
// ends at sign-in and TCP idleness is checked by one sweep per listener, so the
// process's timers do not grow with the number of connections.
import { createHook } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { TcpClient } from '../../helpers/tcp-client';
import { accounts, passwordOf } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';
import { WsClient } from '../../helpers/ws-client';

const PER_TRANSPORT = 10;
const names = Array.from({ length: 2 * PER_TRANSPORT }, (_, i) => `idle${i}`);
const users = accounts(...names);

// Timers pending in this process, unref'd ones included (the server's are unref'd).
const pending = new Set<number>();
const hook = createHook({
  init(id, type) {
    if (type === 'Timeout') pending.add(id);
  },
  destroy(id) {
    pending.delete(id);
  },
});
function timers(): number {
  return pending.size;
}

let srv: TestServer;
beforeAll(async () => {
  hook.enable();
  srv = await startTestServer({ users });
});
afterAll(async () => {
  await srv.stop();
  hook.disable();
});

describe('idle connections', () => {
  it('signed-in TCP and WebSocket connections hold no timer each', async () => {
    const before = timers();
    const tcp: TcpClient[] = [];
    const ws: WsClient[] = [];
    for (const name of names.slice(0, PER_TRANSPORT)) {
      const client = await TcpClient.connect(srv.tcpPort);
      await client.login(name, passwordOf(name));
      tcp.push(client);
    }
    for (const name of names.slice(PER_TRANSPORT)) {
      const client = await WsClient.connect(srv.wsUrl);
      await client.login(name, passwordOf(name));
      ws.push(client);
    }
    // Timers of the sign-ins themselves (replies, clients' waits) end shortly; per-connection ones would stay.
    await waitUntil(() => timers() < before + PER_TRANSPORT / 2, 'timers back to about where they were', 10_000);
    expect(timers() - before).toBeLessThan(PER_TRANSPORT / 2);
    for (const c of tcp) c.close();
    for (const c of ws) c.close();
  });
});
