// The web client as users reach it in the compose deployment: through nginx with
// compose.yaml's own proxy configuration, in front of two server nodes sharing
// PostgreSQL and Redis. The page, its assets and its WebSocket all go through
// the proxy (the server field defaults to the page's host), and two people who
// land on different nodes chat with each other.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../server/index';
import { composeNginxConfigPath, findNginx, freePort, renderNginxConfig, startNginx, type RunningNginx } from '../helpers/deploy';
import { createTestKeyPrefix, createTestSchema } from '../helpers/isolation';
import { expect, messageWithText, openClient, openDirectChat, sendMessage, submitSignIn, test, USERS, webRoot, type ChatServer } from './fixtures';

const nginx = findNginx();
const postgresUrl = process.env.CHAT_TEST_POSTGRES_URL;
const redisUrl = process.env.CHAT_TEST_REDIS_URL;
const missing = !nginx
  ? 'nginx (apt-get install nginx libnginx-mod-stream)'
  : !postgresUrl || !redisUrl
    ? 'CHAT_TEST_POSTGRES_URL and CHAT_TEST_REDIS_URL'
    : null;
const required = process.env.CI === 'true' || process.env.CHAT_TEST_REQUIRE_SERVICES === '1';

test.describe('web client behind the compose proxy (nginx, two nodes)', () => {
  test.skip(missing !== null && !required, `skipped: needs ${missing}`);

  let dir: string;
  let nodes: RunningServer[] = [];
  let proxy: RunningNginx;
  let cleanup: (() => Promise<void>)[] = [];

  test.beforeAll(async () => {
    if (missing) throw new Error(`needs ${missing}`);
    dir = await mkdtemp(path.join(os.tmpdir(), 'chat-e2e-proxy-'));
    const users = path.join(dir, 'clients.txt');
    await writeFile(
      users,
      Object.entries(USERS)
        .map(([u, p]) => `${u} ${p}\n`)
        .join(''),
      { mode: 0o600 },
    );
    const schema = await createTestSchema(postgresUrl!);
    const keys = createTestKeyPrefix(redisUrl!);
    cleanup = [schema.drop, keys.clear];
    const options = {
      host: '127.0.0.1',
      port: 0,
      wsPort: 0,
      postgresUrl: postgresUrl!,
      postgresSchema: schema.schema,
      redisUrl: redisUrl!,
      redisKeyPrefix: keys.prefix,
      hashCost: 4,
      // The shared test accounts' passwords are short ("bob-pw").
      minPasswordLength: 6,
      logLevel: 'silent' as const,
      webRoot,
      dataDir: dir,
    };
    nodes.push(await startServer({ ...options, usersFile: users }));
    nodes.push(await startServer(options));
    const ports = { httpPort: await freePort(), tcpPort: await freePort() };
    const config = renderNginxConfig(readFileSync(composeNginxConfigPath(), 'utf8'), {
      ...ports,
      nodes: nodes.map((n) => ({ tcpPort: n.tcpPort!, wsPort: n.wsPort! })),
    });
    proxy = await startNginx(nginx!, config, ports);
  });

  test.afterAll(async () => {
    await proxy?.stop();
    await Promise.all(nodes.map((n) => n.close()));
    nodes = [];
    for (const step of cleanup) await step();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('two people on different nodes chat through the proxy', async ({ browser }) => {
    const viaProxy = { url: `http://127.0.0.1:${proxy.httpPort}/`, wsPort: proxy.httpPort } as ChatServer;
    const alice = await openClient(browser, viaProxy);
    await expect(alice.page.getByTestId('server')).toHaveValue(`127.0.0.1:${proxy.httpPort}`);
    await submitSignIn(alice.page, 'alice', USERS.alice);
    await expect(alice.page.getByTestId('me')).toHaveText('alice');
    const bob = await openClient(browser, viaProxy);
    await submitSignIn(bob.page, 'bob', USERS.bob);
    await expect(bob.page.getByTestId('me')).toHaveText('bob');
    // One session on each node: the conversation crosses Redis.
    const sessions = await Promise.all(
      nodes.map(async (n) => ((await (await fetch(`http://127.0.0.1:${n.wsPort}/healthz`)).json()) as { sessions: number }).sessions),
    );
    expect(sessions).toEqual([1, 1]);

    await openDirectChat(alice.page, 'bob');
    await sendMessage(alice.page, 'Hello through nginx');
    await expect(messageWithText(alice.page, 'Hello through nginx').getByTestId('delivery-state')).toHaveText(/^Delivered/);
    await openDirectChat(bob.page, 'alice');
    await expect(messageWithText(bob.page, 'Hello through nginx')).toBeVisible();
    await sendMessage(bob.page, 'Got it');
    await expect(messageWithText(alice.page, 'Got it')).toBeVisible();
    await alice.context.close();
    await bob.context.close();
  });
});
