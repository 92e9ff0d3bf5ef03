// The client library over wss:// against a real TLS server with self-signed
// certificates: trust on first use (remembered in a known-hosts file), an
// explicit pin, and a changed certificate refused before anything is sent.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatSession, withServer } from '../../../server/client';
import { KnownHosts, pinningTrust, wsSocketFactory, type CertificateTrust } from '../../../server/client/node';
import { ErrorCode, ProtocolError } from '../../../server/protocol';
import { startTestServer, type TestServer } from '../../helpers/test-server';
import { makeTestCert, type TestCert } from '../../helpers/tls';
import { passwordOf } from '../../helpers/users';
import { waitUntil } from '../../helpers/wait';

let dir: string;
let first: TestCert;
let second: TestCert;
let server: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-pin-'));
  first = await makeTestCert(dir, 'first');
  second = await makeTestCert(dir, 'second');
  server = await startTestServer({ tlsCert: first.certFile, tlsKey: first.keyFile });
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const wssUrl = () => `wss://127.0.0.1:${server.wsPort}/ws`;

async function signIn(trust: CertificateTrust | null, url = wssUrl()): Promise<ChatSession> {
  const session = new ChatSession({ createSocket: wsSocketFactory(5_000, trust), requestTimeoutMs: 5_000 });
  await session.signIn({ url, username: 'alice', password: passwordOf('alice') });
  return session;
}

async function refusal(promise: Promise<unknown>): Promise<ProtocolError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProtocolError);
  return err as ProtocolError;
}

describe('certificate pinning in the client library', () => {
  it('refuses a self-signed certificate without a trust policy (as a browser would)', async () => {
    const err = await refusal(signIn(null));
    expect(err.code).toBe(ErrorCode.UNREACHABLE);
  });

  it('trusts a self-signed certificate on first use, remembers it, and accepts it again', async () => {
    const known = new KnownHosts(path.join(dir, 'tofu', 'known_hosts'));
    const firstUse: string[] = [];
    const trust = pinningTrust({ knownHosts: known, onFirstUse: (address, fingerprint) => firstUse.push(`${address} ${fingerprint}`) });
    const session = await signIn(trust);
    expect(session.state.state).toBe('online');
    expect(firstUse).toEqual([`127.0.0.1:${server.wsPort} ${first.fingerprint}`]);
    await waitUntil(async () => (await readFile(known.file, 'utf8').catch(() => '')).includes(first.fingerprint), 'the known-hosts entry');
    await session.signOut();
    // A fresh client reading the same file: no first use this time.
    const again = pinningTrust({ knownHosts: new KnownHosts(known.file), onFirstUse: () => firstUse.push('again') });
    const second = await signIn(again);
    await second.signOut();
    expect(firstUse).toHaveLength(1);
  });

  it('refuses a changed certificate with CERTIFICATE_CHANGED naming both fingerprints, and keeps refusing', async () => {
    const known = new KnownHosts(path.join(dir, 'changed', 'known_hosts'));
    await known.remember(`127.0.0.1:${server.wsPort}`, second.fingerprint);
    const trust = pinningTrust({ knownHosts: known });
    const err = await refusal(signIn(trust));
    expect(err.code).toBe(ErrorCode.CERTIFICATE_CHANGED);
    expect(err.message).toContain(first.fingerprint);
    expect(err.message).toContain(second.fingerprint);
    expect(err.message).toMatch(/nothing was sent/);
    // The remembered entry is not replaced by the new certificate.
    expect(new KnownHosts(known.file).lookup(`127.0.0.1:${server.wsPort}`)).toBe(second.fingerprint);
    // The one-shot exchanges (hello, registration) are refused the same way.
    const oneShot = await refusal(withServer(wssUrl(), { createSocket: wsSocketFactory(5_000, trust) }, async (x) => x.hello));
    expect(oneShot.code).toBe(ErrorCode.CERTIFICATE_CHANGED);
  });

  it('a line written by hand pins as well: lower case, colons left out', async () => {
    const file = path.join(dir, 'by-hand', 'known_hosts');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `127.0.0.1:${server.wsPort} ${second.fingerprint.replace(/:/g, '').toLowerCase()}\n`);
    const firstUse: string[] = [];
    const err = await refusal(signIn(pinningTrust({ knownHosts: new KnownHosts(file), onFirstUse: (address) => firstUse.push(address) })));
    expect(err.code).toBe(ErrorCode.CERTIFICATE_CHANGED);
    expect(firstUse).toEqual([]);
  });

  it('checks an explicit pin (a flag, a LAN announcement) before anything else', async () => {
    const ok = await signIn(pinningTrust({ pinFor: () => first.fingerprint }));
    await ok.signOut();
    const err = await refusal(signIn(pinningTrust({ pinFor: () => second.fingerprint })));
    expect(err.code).toBe(ErrorCode.CERTIFICATE_CHANGED);
  });

  it('sends no byte to a server whose certificate is refused', async () => {
    // A bare TLS server with the second certificate, counting what arrives after the handshake.
    let received = 0;
    let connections = 0;
    let closed = 0;
    const impostor = tls.createServer({ cert: await readFile(second.certFile), key: await readFile(second.keyFile) }, (socket) => {
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('error', () => undefined);
    });
    impostor.on('tlsClientError', () => undefined);
    impostor.on('connection', (raw: net.Socket) => {
      connections++;
      raw.on('close', () => closed++);
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const port = (impostor.address() as { port: number }).port;
    try {
      const trust = pinningTrust({ pinFor: () => first.fingerprint });
      const err = await refusal(signIn(trust, `wss://127.0.0.1:${port}/ws`));
      expect(err.code).toBe(ErrorCode.CERTIFICATE_CHANGED);
      // The client hung up after the handshake, and no application data (the upgrade request) arrived.
      await waitUntil(() => connections === 1 && closed === 1, 'the impostor to see the connection end');
      expect(received).toBe(0);
    } finally {
      await new Promise<void>((resolve) => impostor.close(() => resolve()));
    }
  });

  it('goes offline instead of reconnecting when the certificate changes under a live session', async () => {
    const known = new KnownHosts(path.join(dir, 'live', 'known_hosts'));
    const session = new ChatSession({
      createSocket: wsSocketFactory(5_000, pinningTrust({ knownHosts: known })),
      requestTimeoutMs: 5_000,
      backoff: { initialMs: 50, maxMs: 200, jitter: 0 },
    });
    await session.signIn({ url: wssUrl(), username: 'bob', password: passwordOf('bob') });
    await server.restart({ tlsCert: second.certFile, tlsKey: second.keyFile });
    try {
      await waitUntil(() => session.state.state === 'offline', 'the session to stop reconnecting', 15_000);
      const state = session.state;
      expect(state.state === 'offline' && state.lastError).toMatch(/has changed/);
    } finally {
      session.close();
      await server.restart({ tlsCert: first.certFile, tlsKey: first.keyFile });
    }
  });
});
