// The desktop app keeps the rotated sign-in token: main's Connection with the
// keychain behind the keytar seam, against a scripted server (one fake socket
// per connection) that answers each token sign-in with the next token. Every
// start and every silent reconnect must store the newest token, in order, and
// a token the server refuses on a reconnect is forgotten.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Connection } from '../../../main/connection';
import { createCredentialStore, KEYCHAIN_SERVICE, type CredentialStore } from '../../../main/credentials';
import type { SocketEvents, SocketHandle } from '../../../server/client';
import type { Command } from '../../../server/protocol';
import { waitUntil } from '../../helpers/wait';
import { FakeKeytar, FakeNotifications, FakeSafeStorage } from './fakes';

const SERVER = '127.0.0.1:4001';

/** One connection to the scripted server: says hello, answers `login` with `answer`. */
class ScriptedSocket implements SocketHandle {
  open = false;
  readonly logins: Array<Command & { type: 'login' }> = [];
  constructor(
    private readonly events: SocketEvents,
    private readonly answer: (login: Command & { type: 'login' }) => { token: string } | { error: string },
  ) {
    queueMicrotask(() => {
      this.open = true;
      this.deliver({ type: 'event', event: 'hello', server: 'scripted', protocol: 1, allowRegister: false, maxFrameBytes: 65536 });
    });
  }
  send(text: string): void {
    const frame = JSON.parse(text) as { id: number } & Command;
    if (frame.type !== 'login') return this.deliver({ type: 'reply', id: frame.id, ok: true, result: {} });
    this.logins.push(frame);
    const outcome = this.answer(frame);
    if ('error' in outcome) return this.deliver({ type: 'reply', id: frame.id, ok: false, error: { code: outcome.error, message: 'refused' } });
    const result = { username: 'alice', token: outcome.token, tokenExpiresAt: Date.now() + 86_400_000, resumeFrom: 0, lastSeq: 0, offlineCount: 0 };
    this.deliver({ type: 'reply', id: frame.id, ok: true, result });
  }
  close(code = 1000): void {
    if (!this.open) return;
    this.open = false;
    queueMicrotask(() => this.events.close(code, ''));
  }
  /** The network fails: the socket closes without a goodbye. */
  drop(): void {
    this.open = false;
    this.events.close(1006, '');
  }
  private deliver(frame: unknown): void {
    this.events.message(JSON.stringify(frame));
  }
}

/** A keychain whose writes take a while (a slow OS keychain): a later write must still win. */
class SlowKeytar extends FakeKeytar {
  override async setPassword(service: string, account: string, password: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 30));
    await super.setPassword(service, account, password);
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-rotate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function desktop(credentials: CredentialStore, answer: (login: Command & { type: 'login' }) => { token: string } | { error: string }) {
  const sockets: ScriptedSocket[] = [];
  const connection = new Connection({
    credentials,
    notifications: new FakeNotifications(),
    push: () => undefined,
    isWindowFocused: () => true,
    revealWindow: () => undefined,
    session: {
      createSocket: (_url, events) => {
        const socket = new ScriptedSocket(events, answer);
        sockets.push(socket);
        return socket;
      },
      backoff: { initialMs: 10, maxMs: 20, jitter: 0 },
      requestTimeoutMs: 2000,
    },
  });
  return { connection, sockets, logins: () => sockets.flatMap((s) => s.logins) };
}

describe('the desktop app keeps the rotated token', () => {
  it('stores the new token at start and at each silent reconnect, signs in with the newest, and forgets a refused one', async () => {
    const keytar = new SlowKeytar();
    const credentials = await createCredentialStore({ dir, loadKeytar: async () => keytar, safeStorage: new FakeSafeStorage() });
    expect(credentials.backend).toBe('keytar');
    await credentials.save({ server: SERVER, username: 'alice', token: 'token-0-abcdefghijkl' });

    let issued = 0;
    let refuse = false;
    const d = desktop(credentials, () => (refuse ? { error: 'INVALID_TOKEN' } : { token: `token-${++issued}-abcdefghijkl` }));
    expect(await d.connection.resume()).toMatchObject({ username: 'alice', server: SERVER });
    expect(d.logins()[0]).toMatchObject({ username: 'alice', token: 'token-0-abcdefghijkl' });
    expect((await credentials.load())?.token).toBe('token-1-abcdefghijkl');

    // Two drops in a row: each reconnect signs in with the token the previous one got.
    for (const n of [2, 3]) {
      d.sockets.at(-1)!.drop();
      await waitUntil(() => d.connection.session.state.state === 'online' && d.logins().length === n, `reconnect ${n - 1}`);
      expect(d.logins().at(-1)).toMatchObject({ token: `token-${n - 1}-abcdefghijkl` });
      await waitUntil(async () => (await credentials.load())?.token === `token-${n}-abcdefghijkl`, `token ${n} to be stored`);
    }
    // Only the newest is in the keychain (one account entry), never an older one last.
    expect([...keytar.items.entries()]).toEqual([[`${KEYCHAIN_SERVICE}/alice@${SERVER}`, 'token-3-abcdefghijkl']]);

    // The server refuses the token on the next reconnect (revoked elsewhere): it is forgotten.
    refuse = true;
    d.sockets.at(-1)!.drop();
    await waitUntil(() => d.connection.session.state.state === 'offline', 'the refused reconnect');
    await waitUntil(async () => (await credentials.load()) === null, 'the refused token to be forgotten');
    d.connection.session.close();
  });
});
