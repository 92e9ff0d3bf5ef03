// The nginx example of the README ("Load balancer"), run as an operator would copy it:
// real nginx with that very block (only its TLS listener and upstream addresses made
// local) in front of a real node. What the node allows through its own port must pass
// the proxy too: WebSocket, the web client and uploads up to --max-upload-mib.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/index';
import { REPO_ROOT } from '../../helpers/cli';
import { describeWithNginx, freePort, startNginx, type RunningNginx } from '../../helpers/deploy';
import { WsClient } from '../../helpers/ws-client';

/** The nginx binary, set when the suites are declared (describeWithNginx found one). */
let nginx: string | undefined;

/** The first nginx example after `heading` in the README, listening on loopback without TLS, its upstream the given node. */
function readmeNginxConfig(heading: string, httpPort: number, nodeHttpPort: number): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const block = /```nginx\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (!block) throw new Error(`README.md has no nginx example under "${heading}"`);
  let first = true;
  const local = block
    .replace(/listen 443 ssl;/, `listen 127.0.0.1:${httpPort};`)
    .replace(/^\s*ssl_certificate(_key)? .*$/gm, '')
    .replace(/127\.0\.0\.1:4001/g, `127.0.0.1:${nodeHttpPort}`)
    .replace(/server 10\.0\.0\.\d+:4001;/g, () => {
      const line = first ? `server 127.0.0.1:${nodeHttpPort};` : '';
      first = false;
      return line;
    });
  // The TLS example uses the map of the "Load balancer" one ("map $http_upgrade, see ...").
  const map = /^\s*map \$http_upgrade/m.test(local) ? '' : "map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n";
  return `error_log stderr warn;\nevents {}\nhttp {\naccess_log off;\n${map}${local}\n}\n`;
}

/** One README example, run in front of a node. */
const body = (heading: string) => {
  let dir: string;
  let node: RunningServer;
  let proxy: RunningNginx;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'chat-readme-nginx-'));
    const users = path.join(dir, 'clients.txt');
    await writeFile(users, 'alice alice-pw\n', { mode: 0o600 });
    node = await startServer({
      host: '127.0.0.1',
      port: null,
      wsPort: 0,
      dataDir: path.join(dir, 'data'),
      usersFile: users,
      hashCost: 4,
      minPasswordLength: 6,
      logLevel: 'silent',
      webRoot: null,
    });
    const httpPort = await freePort();
    // No stream listener in this example: the "TCP" port to wait for is the HTTP one.
    proxy = await startNginx(nginx!, readmeNginxConfig(heading, httpPort, node.wsPort!), { httpPort, tcpPort: httpPort });
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await node?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a 2 MiB upload (the default limit is 25 MiB) passes the proxy, not only the node', async () => {
    const client = await WsClient.connect(`ws://127.0.0.1:${proxy.httpPort}/ws`);
    await client.login('alice', 'alice-pw');
    const { token } = (await client.request({ type: 'file-token' })) as { token: string };
    client.close();
    const res = await fetch(`http://127.0.0.1:${proxy.httpPort}/api/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'x-file-name': 'notes.bin' },
      body: Buffer.alloc(2 * 1024 * 1024, 7),
    });
    expect(res.status).toBe(201);
  });
};

const HEADINGS = ['### Load balancer', '### TLS at a reverse proxy'];
await describeWithNginx("the README's nginx examples", 'apt-get install nginx', (found) => {
  nginx = found;
  describe.each(HEADINGS)("the README's nginx example under %s, in front of a node", body);
});
