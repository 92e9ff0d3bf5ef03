// A redis-server of a test's own (without persistence) on a free loopback
// port, for tests that stop and restart Redis under running nodes; the shared
// Redis of CHAT_TEST_REDIS_URL must never be stopped. Needs `redis-server` on
// the PATH (Debian: apt-get install redis-server).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { waitUntil } from './wait';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts redis-server on `port` and resolves once it accepts connections. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitUntil(
    () =>
      new Promise<boolean>((resolve) => {
        const probe = net.connect(port, '127.0.0.1', () => {
          probe.destroy();
          resolve(true);
        });
        probe.on('error', () => resolve(false));
      }),
    `redis-server on ${port}`,
    10_000,
  );
  return child;
}

/** Kills it with SIGKILL (an outage, not a shutdown) and waits for the exit. */
export async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
