import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { TcpClient } from '../../helpers/tcp-client';
import { WsClient } from '../../helpers/ws-client';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.stop();
});

describe('smoke', () => {
  it('delivers a private message from a TCP user to a WebSocket user', async () => {
    const bob = await WsClient.connect(srv.wsUrl);
    await bob.login('bob', 'bob-pw');
    const alice = await TcpClient.connect(srv.tcpPort);
    await alice.login('alice', 'alice-pw');
    alice.send('message bob hello bob');
    await alice.waitLine('Sent to bob.');
    const [m] = await bob.waitMessages(1);
    expect(m!.message).toMatchObject({ kind: 'private', from: 'alice', to: 'bob', text: 'hello bob' });
    expect(m!.seq).toBe(1);
    await bob.request({ type: 'message', to: 'alice', text: 'hi alice' });
    // seq is the position in the one stream: the second message is #2 for whoever receives it.
    await alice.waitLine(/^#2 \[\d\d:\d\d\] bob \(private\): hi alice$/);
    alice.close();
    bob.close();
  });
});
