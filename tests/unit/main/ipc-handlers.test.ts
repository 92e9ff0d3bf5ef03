// The IPC boundary: every contract channel is registered through the one helper, only
// the app's own page may call, arguments are validated, and nothing throws across IPC.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { INVOKE_CHANNELS, type Invoke, type InvokeChannel, type SettingsSnapshot } from '../../../main/ipc/contract';
import { createSenderCheck, registerIpcHandlers, type IpcRoutes } from '../../../main/ipc/handlers';
import { FakeIpc } from './fakes';

const INDEX = path.resolve('/opt/chat/resources/app.asar/dist/renderer/index.html');
const APP_URL = 'app://chat/index.html';
const SETTINGS: SettingsSnapshot = {
  settings: {
    closeToTray: true,
    startAtLogin: false,
    notifications: { enabled: true, sound: true, preview: true, muted: [] },
    updates: { enabled: false, url: '' },
  },
  capabilities: { tray: true, startAtLogin: true, updates: false },
};

/** Routes that record what reached them; chat:request echoes, session:sign-in can throw. */
function recordingRoutes() {
  const calls: Array<{ channel: InvokeChannel; arg: unknown }> = [];
  const rec =
    <C extends InvokeChannel>(channel: C, result: Invoke[C][1]) =>
    (arg: Invoke[C][0]) => {
      calls.push({ channel, arg });
      return result;
    };
  const routes: IpcRoutes = {
    'app:info': rec('app:info', { version: '1', platform: 'linux', credentialStore: 'none' }),
    'app:set-unread': rec('app:set-unread', undefined),
    'session:sign-in': () => {
      throw new Error('database exploded: /home/alice/secret/path');
    },
    'session:resume': rec('session:resume', null),
    'session:sign-out': rec('session:sign-out', undefined),
    'session:retry': rec('session:retry', undefined),
    'chat:request': rec('chat:request', { users: ['bob'] }),
    'chat:send': rec('chat:send', { sent: false, queued: { localId: 'l1', command: { type: 'broadcast', text: 'x' }, createdAt: 1 }, why: 'offline' }),
    'host:start': rec('host:start', { running: true, tcpPort: 4000, wsPort: 4001, addresses: [], advertisedAs: null, tlsFingerprint: null }),
    'host:stop': rec('host:stop', { running: false, tcpPort: null, wsPort: null, addresses: [], advertisedAs: null, tlsFingerprint: null }),
    'host:status': rec('host:status', { running: false, tcpPort: null, wsPort: null, addresses: [], advertisedAs: null, tlsFingerprint: null }),
    'settings:get': rec('settings:get', SETTINGS),
    'settings:set': rec('settings:set', SETTINGS),
    'links:take': rec('links:take', [{ kind: 'open', user: 'bob' }]),
    'discovery:start': rec('discovery:start', []),
    'discovery:stop': rec('discovery:stop', undefined),
    'updates:status': rec('updates:status', { state: 'disabled', reason: 'off' }),
    'updates:check': rec('updates:check', { state: 'checking' }),
    'updates:install': rec('updates:install', undefined),
    'file:save-as': rec('file:save-as', true),
  };
  return { routes, calls };
}

let ipc: FakeIpc;
let calls: Array<{ channel: InvokeChannel; arg: unknown }>;
let errors: Array<{ channel: string; err: unknown }>;

beforeEach(() => {
  ipc = new FakeIpc();
  const r = recordingRoutes();
  calls = r.calls;
  errors = [];
  registerIpcHandlers(ipc, r.routes, {
    isTrustedSender: createSenderCheck({ devServerUrl: null }),
    onError: (channel, err) => errors.push({ channel, err }),
  });
});

const call = (channel: string, arg?: unknown, from: string | null = APP_URL) => ipc.invoke(channel, arg, from);

describe('registration', () => {
  it('registers exactly the contract channels; anything else has no handler', async () => {
    expect([...ipc.handlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    await expect(call('chat:eval', 'process.exit()')).rejects.toThrow(/No handler/);
    await expect(call('session:sign-in-as-admin', {})).rejects.toThrow(/No handler/);
  });

  it('the returned function removes every handler', () => {
    const other = new FakeIpc();
    const off = registerIpcHandlers(other, recordingRoutes().routes, { isTrustedSender: () => true });
    off();
    expect(other.handlers.size).toBe(0);
  });
});

describe('sender check', () => {
  it.each([
    ['a remote page', 'https://evil.example/index.html'],
    ['another local file', pathToFileURL('/tmp/evil.html').href],
    ['the built page loaded from file://', pathToFileURL(INDEX).href],
    ['another page of the app scheme', 'app://chat/other.html'],
    ['another host of the app scheme', 'app://evil/index.html'],
    ['the app scheme with a port', 'app://chat:8080/index.html'],
    ['the app scheme with credentials', 'app://x:y@chat/index.html'],
    ['a lookalike scheme', 'apps://chat/index.html'],
    ['no frame (destroyed)', null],
    ['a data: URL', 'data:text/html,<script>1</script>'],
    ['garbage', 'not a url'],
  ])('refuses %s without running the route', async (_name, from) => {
    const result = await call('app:info', undefined, from);
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('not the app') } });
    expect(calls).toEqual([]);
  });

  it("accepts the app's page with a hash or query, and the dev server only when configured", async () => {
    expect(await call('app:info', undefined, `${APP_URL}#/chat/bob`)).toMatchObject({ ok: true });
    const check = createSenderCheck({ devServerUrl: 'http://localhost:5173/' });
    expect(check('http://localhost:5173/some/route')).toBe(true);
    expect(check('http://localhost:5174/')).toBe(false);
    expect(check('https://localhost:5173/')).toBe(false);
    expect(createSenderCheck({ devServerUrl: null })('http://localhost:5173/')).toBe(false);
  });
});

describe('argument validation', () => {
  it.each<[string, unknown]>([
    ['app:set-unread', { count: -1 }],
    ['app:set-unread', { count: 1.5 }],
    ['app:set-unread', { count: 3, extra: true }],
    ['app:set-unread', '3'],
    ['app:info', { sneaky: 1 }],
    ['session:sign-in', { server: 'h:1', username: 'alice', password: 'pw', remember: 'yes' }],
    ['session:sign-in', { server: 'h:1', username: 'al ice', password: 'pw', remember: true }],
    ['session:sign-in', { server: '', username: 'alice', password: 'pw', remember: true }],
    ['session:sign-in', { server: 'h:1', username: 'alice', password: 'a\nb', remember: true }],
    ['session:sign-out', {}],
    ['chat:request', null],
    ['chat:request', { type: 'message', to: 'bob' }],
    ['chat:request', { type: 'ping', user: 'bob', extra: 1 }],
    ['chat:send', { type: 'message', to: 'bob', text: '   ' }],
    ['chat:send', { type: 'whoelse' }],
    ['host:start', { port: 70000, wsPort: 4001 }],
    ['host:start', { port: '4000', wsPort: 4001 }],
    ['settings:set', { closeToTray: 'yes' }],
    ['settings:set', { theme: 'dark' }],
    ['settings:set', { notifications: { enabled: true, volume: 3 } }],
    ['settings:set', { updates: { url: 'http://updates.example.org/chat/' } }],
    ['settings:set', { updates: { url: 'https://user:pw@updates.example.org/' } }],
    ['settings:set', { updates: { url: 'file:///tmp/feed' } }],
    ['settings:set', null],
    ['links:take', { all: true }],
    ['discovery:start', 1],
    ['updates:install', { force: true }],
    ['file:save-as', { url: 'file:///etc/passwd', name: 'passwd' }],
    ['file:save-as', { url: 'https://evil.example/anything', name: 'x' }],
    ['file:save-as', { url: 'http://h:4001/api/files/AAAAAAAAAAAAAAAAAAAAAA', name: '' }],
  ])('%s refuses %j with BAD_REQUEST', async (channel, arg) => {
    const result = await call(channel, arg);
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(calls).toEqual([]);
  });

  it('unknown command types are UNKNOWN_COMMAND', async () => {
    expect(await call('chat:request', { type: 'format-disk' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_COMMAND' } });
  });

  it.each(['login', 'register', 'logout'])('chat:request refuses %s: it belongs to session:*', async (type) => {
    const arg = type === 'logout' ? { type } : { type, username: 'alice', password: 'pw1', remember: true };
    const result = await call('chat:request', arg);
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('session:') } });
    expect(calls).toEqual([]);
  });

  it('passes validated values to the route and wraps the result', async () => {
    expect(await call('chat:request', { type: 'whoelse' })).toEqual({ ok: true, value: { users: ['bob'] } });
    expect(await call('app:set-unread', { count: 4 })).toEqual({ ok: true, value: undefined });
    expect(await call('host:start', { port: 0, wsPort: 0 })).toMatchObject({ ok: true, value: { running: true } });
    expect(await call('settings:set', { notifications: { sound: false }, updates: { url: ' https://updates.example.org/chat/ ' } })).toEqual({
      ok: true,
      value: SETTINGS,
    });
    expect(await call('links:take')).toEqual({ ok: true, value: [{ kind: 'open', user: 'bob' }] });
    expect(calls).toEqual([
      { channel: 'chat:request', arg: { type: 'whoelse' } },
      { channel: 'app:set-unread', arg: { count: 4 } },
      { channel: 'host:start', arg: { port: 0, wsPort: 0 } },
      // The URL arrives trimmed; nothing else is added.
      { channel: 'settings:set', arg: { notifications: { sound: false }, updates: { url: 'https://updates.example.org/chat/' } } },
      { channel: 'links:take', arg: undefined },
    ]);
  });
});

describe('errors never cross IPC as exceptions', () => {
  it('an unexpected exception becomes INTERNAL without leaking its message, and is logged', async () => {
    const result = await call('session:sign-in', { server: 'h:1', username: 'alice', password: 'pw1', remember: false });
    expect(result).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'session:sign-in failed inside the app' } });
    expect(errors).toHaveLength(1);
    expect(String(errors[0]!.err)).toContain('database exploded');
  });

  it('a ProtocolError from the route keeps its code and retryAfter', async () => {
    const other = new FakeIpc();
    const { routes } = recordingRoutes();
    const { ProtocolError } = await import('../../../server/protocol');
    routes['session:sign-in'] = () => {
      throw new ProtocolError('ACCOUNT_LOCKED', 'Too many attempts', 30);
    };
    registerIpcHandlers(other, routes, { isTrustedSender: () => true });
    expect(await other.invoke('session:sign-in', { server: 'h:1', username: 'alice', password: 'x', remember: false }, APP_URL)).toEqual({
      ok: false,
      error: { code: 'ACCOUNT_LOCKED', message: 'Too many attempts', retryAfter: 30 },
    });
  });
});
