// Fairness under floods (README "Abuse limits"): while one connection of each
// kind pipelines input as fast as it can (TCP and WebSocket, before and after
// signing in), other users' messages and /healthz stay prompt. The goal is
// p99 < 100 ms on a 2-core machine (the `flood` benchmark prints the figure);
// this test asserts a bound a loaded machine meets too.
import { afterEach, expect, it } from 'vitest';
import { runFlood } from '../../bench/flood-load';
import { startTestServer, type TestServer } from '../../helpers/test-server';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

it("four flooders (TCP and WebSocket, before and after sign-in) leave others' message p99 and /healthz under 1 s", async () => {
  // The production rate limit (20 per second, bursts of 40).
  server = await startTestServer({ rateLimit: 20, rateBurst: 40 });
  const result = await runFlood(
    { tcpPort: server.tcpPort, wsUrl: server.wsUrl, httpUrl: server.httpUrl },
    {
      tcpFlooder: ['carol', 'carol-pw'],
      wsFlooder: ['dave', 'dave-pw'],
      sender: ['alice', 'alice-pw'],
      receiver: ['bob', 'bob-pw'],
      seconds: 4,
      intervalMs: 100,
    },
  );
  console.log(`flood: ${JSON.stringify(result)}`);
  // Every probe message arrives.
  expect(result.sent).toBeGreaterThanOrEqual(20);
  expect(result.messages).toBe(result.sent);
  expect(result.messageP99Ms).toBeLessThan(1000);
  expect(result.healthChecks).toBeGreaterThanOrEqual(10);
  expect(result.healthP99Ms).toBeLessThan(1000);
}, 60_000);
