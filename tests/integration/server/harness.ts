// Per-test backend and client bookkeeping for the server behaviour suite: each
// test gets a fresh backend, and every client it opened is dropped afterwards.
import { afterEach, beforeEach } from 'vitest';
import type { ServerOptions } from '../../../server/index';
import type { Backend, RunningBackend } from '../../helpers/backends';
import { TcpClient } from '../../helpers/tcp-client';
import type { TestServerOptions } from '../../helpers/test-server';
import { passwordOf } from '../../helpers/users';
import { WsClient } from '../../helpers/ws-client';

export interface Harness {
  readonly backend: RunningBackend;
  /** A WebSocket client on node(k), after the hello event. */
  ws(k: number): Promise<WsClient>;
  /** A TCP client on node(k), before the username prompt. */
  tcp(k: number): Promise<TcpClient>;
  /** A WebSocket client on node(k) signed in as `user` (one of USERS). */
  wsUser(k: number, user: string, extra?: { resumeFrom?: number; presence?: boolean }): Promise<WsClient>;
  /** A TCP client on node(k) signed in as `user`. */
  tcpUser(k: number, user: string): Promise<TcpClient>;
  /** Replaces this test's backend with a fresh one started with `extra` options on top of the suite's. */
  startFresh(extra: Partial<ServerOptions>): Promise<void>;
}

/** Registers beforeEach/afterEach hooks that start `backend` with `options` (and `clock`) for every test. */
export function useBackend(backend: Backend, options: Partial<ServerOptions> = {}, clock?: TestServerOptions['clock']): Harness {
  let running: RunningBackend | null = null;
  const open: { kill(): void }[] = [];
  beforeEach(async () => {
    running = await backend.start(options, clock);
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.kill();
    await running?.close();
    running = null;
  });
  const h: Harness = {
    get backend() {
      if (!running) throw new Error('backend not started');
      return running;
    },
    async ws(k) {
      const c = await WsClient.connect(h.backend.node(k).wsUrl);
      open.push(c);
      return c;
    },
    async tcp(k) {
      const c = await TcpClient.connect(h.backend.node(k).tcpPort);
      open.push(c);
      return c;
    },
    async wsUser(k, user, extra = {}) {
      const c = await h.ws(k);
      await c.login(user, passwordOf(user), extra);
      return c;
    },
    async tcpUser(k, user) {
      const c = await h.tcp(k);
      await c.login(user, passwordOf(user));
      return c;
    },
    async startFresh(extra) {
      await running?.close();
      running = null;
      running = await backend.start({ ...options, ...extra }, clock);
    },
  };
  return h;
}
