// The terminal client over wss:// to a server with a self-signed certificate:
// trusted on first use and remembered in <config>/known_hosts, a changed
// certificate refused with a warning, --fingerprint pinning a new one.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { makeTestCert, type TestCert } from '../../helpers/tls';
import { clientArgs, runPipedClient, signInInput } from '../../helpers/terminal';

let root: string;
let first: TestCert;
let second: TestCert;
let server: TestServer;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'chat-terminal-tls-'));
  first = await makeTestCert(root, 'first');
  second = await makeTestCert(root, 'second');
  server = await startTestServer({ tlsCert: first.certFile, tlsKey: first.keyFile });
});
afterAll(async () => {
  await server.stop();
  await rm(root, { recursive: true, force: true });
});

const piped = (args: string[], input: string) => runPipedClient(args, input, { noColor: true });

describe('terminal client and TLS', () => {
  it('trusts a first certificate, refuses a changed one, and accepts a new one given with --fingerprint', async () => {
    const configDir = await mkdtemp(path.join(root, 'cfg-'));
    const url = `wss://127.0.0.1:${server.wsPort}/ws`;
    const args = clientArgs(url, configDir);
    const signIn = signInInput('alice', 'whoelse');

    const firstRun = await piped(args, signIn);
    expect(firstRun.stdout).toContain(`First TLS connection to 127.0.0.1:${server.wsPort}`);
    expect(firstRun.stdout).toContain(first.fingerprint);
    expect(firstRun.stdout).toContain('Welcome, alice!');
    expect(firstRun.code).toBe(0);
    expect(await readFile(path.join(configDir, 'known_hosts'), 'utf8')).toContain(`127.0.0.1:${server.wsPort} ${first.fingerprint}`);

    await server.restart({ tlsCert: second.certFile, tlsKey: second.keyFile });
    const changed = await piped(args, signIn);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain(`WARNING: refusing ${url}.`);
    expect(changed.stdout).toContain('has changed');
    expect(changed.stdout).toContain(second.fingerprint);
    expect(changed.stdout).not.toContain('Username:');

    const pinned = await piped([...args, '--fingerprint', second.fingerprint.toLowerCase()], signIn);
    expect(pinned.stdout).toContain('Welcome, alice!');
    expect(pinned.code).toBe(0);
    // The pinned certificate replaces the remembered one.
    expect(await readFile(path.join(configDir, 'known_hosts'), 'utf8')).toContain(second.fingerprint);
  });

  it("says to type wss:// when this machine's address (ws:// by default) reaches a TLS server", async () => {
    const run = await piped([`127.0.0.1:${server.wsPort}`, '--no-keychain', '--config-dir', await mkdtemp(path.join(root, 'cfg-'))], '');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `Cannot reach the chat server at ws://127.0.0.1:${server.wsPort}/ws: the server closed the connection during the handshake. If that server has TLS, type wss://127.0.0.1:${server.wsPort} instead.`,
    );
  });
});
