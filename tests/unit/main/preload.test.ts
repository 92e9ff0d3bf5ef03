// The preload as shipped: bundled by esbuild to CommonJS exactly like build-main.mjs,
// then run against a fake `electron` (contextBridge + ipcRenderer, the Electron seam).
// Checks one named function per invoke channel, argument shapes, and onEvent cleanup.
import path from 'node:path';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { INVOKE_CHANNELS, PUSH_CHANNELS, type ChatBridge } from '../../../main/ipc/contract';

type Listener = (event: unknown, payload: unknown) => void;

class FakeIpcRenderer {
  invoked: Array<{ channel: string; arg: unknown }> = [];
  listeners = new Map<string, Set<Listener>>();
  async invoke(channel: string, arg: unknown): Promise<unknown> {
    this.invoked.push({ channel, arg });
    return { ok: true, value: channel };
  }
  on(channel: string, listener: Listener): void {
    const set = this.listeners.get(channel) ?? new Set();
    set.add(listener);
    this.listeners.set(channel, set);
  }
  removeListener(channel: string, listener: Listener): void {
    this.listeners.get(channel)?.delete(listener);
  }
  emit(channel: string, payload: unknown): void {
    for (const l of this.listeners.get(channel) ?? []) l({ sender: 'secret-ipc-object' }, payload);
  }
  count(): number {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }
}

let code: string;

beforeAll(async () => {
  const out = await esbuild.build({
    entryPoints: [path.resolve(__dirname, '../../../main/preload.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['electron'],
    write: false,
  });
  code = out.outputFiles[0]!.text;
});

function load() {
  const ipc = new FakeIpcRenderer();
  const exposed: Record<string, unknown> = {};
  const required: string[] = [];
  const electron = {
    ipcRenderer: ipc,
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  };
  const fakeRequire = (id: string) => {
    required.push(id);
    if (id !== 'electron') throw new Error(`preload required ${id}`);
    return electron;
  };
  const module = { exports: {} };
  // The bundle is CommonJS text built by esbuild above: running it is the point of this test.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  (new Function('require', 'module', 'exports', code) as (...args: unknown[]) => void)(fakeRequire, module, module.exports);
  return { ipc, bridge: exposed.chat as ChatBridge, exposedKeys: Object.keys(exposed), required };
}

describe('preload bridge', () => {
  it('exposes only window.chat and requires only electron', () => {
    const { exposedKeys, required } = load();
    expect(exposedKeys).toEqual(['chat']);
    expect(new Set(required)).toEqual(new Set(['electron']));
  });

  it('maps each named function to its invoke channel with the contract argument', async () => {
    const { bridge, ipc } = load();
    await bridge.appInfo();
    await bridge.setUnread(3);
    await bridge.signIn({ server: 'h:1', username: 'alice', password: 'pw', remember: true });
    await bridge.resume();
    await bridge.signOut(true);
    await bridge.retry();
    await bridge.request({ type: 'whoelse' });
    await bridge.send({ type: 'broadcast', text: 'hi' });
    await bridge.hostStart(4000, 4001);
    await bridge.hostStop();
    expect(await bridge.hostStatus()).toEqual({ ok: true, value: 'host:status' });
    await bridge.getSettings();
    await bridge.setSettings({ closeToTray: false, notifications: { sound: false } });
    await bridge.takeLinks();
    await bridge.startDiscovery();
    await bridge.stopDiscovery();
    await bridge.updateStatus();
    await bridge.checkForUpdates();
    await bridge.installUpdate();
    await bridge.saveFile({ url: 'http://h:1/api/files/AAAAAAAAAAAAAAAAAAAAAA', name: 'a.txt' });
    expect(ipc.invoked).toEqual([
      { channel: 'app:info', arg: undefined },
      { channel: 'app:set-unread', arg: { count: 3 } },
      { channel: 'session:sign-in', arg: { server: 'h:1', username: 'alice', password: 'pw', remember: true } },
      { channel: 'session:resume', arg: undefined },
      { channel: 'session:sign-out', arg: { forget: true } },
      { channel: 'session:retry', arg: undefined },
      { channel: 'chat:request', arg: { type: 'whoelse' } },
      { channel: 'chat:send', arg: { type: 'broadcast', text: 'hi' } },
      { channel: 'host:start', arg: { port: 4000, wsPort: 4001 } },
      { channel: 'host:stop', arg: undefined },
      { channel: 'host:status', arg: undefined },
      { channel: 'settings:get', arg: undefined },
      { channel: 'settings:set', arg: { closeToTray: false, notifications: { sound: false } } },
      { channel: 'links:take', arg: undefined },
      { channel: 'discovery:start', arg: undefined },
      { channel: 'discovery:stop', arg: undefined },
      { channel: 'updates:status', arg: undefined },
      { channel: 'updates:check', arg: undefined },
      { channel: 'updates:install', arg: undefined },
      { channel: 'file:save-as', arg: { url: 'http://h:1/api/files/AAAAAAAAAAAAAAAAAAAAAA', name: 'a.txt' } },
    ]);
    expect(new Set(ipc.invoked.map((i) => i.channel))).toEqual(new Set(INVOKE_CHANNELS));
  });

  it('onEvent delivers every push channel without the IPC event, and unsubscribes fully', () => {
    const { bridge, ipc } = load();
    const got: unknown[][] = [];
    const off = bridge.onEvent((channel, payload) => got.push([channel, payload]));
    expect(ipc.count()).toBe(PUSH_CHANNELS.length);
    ipc.emit('connection:state', { state: 'signed-out' });
    ipc.emit('outbox:changed', []);
    ipc.emit('server:event', { type: 'event', event: 'shutdown', reason: 'bye' });
    const refused = {
      item: { localId: 'l1', command: { type: 'message', to: 'bob', text: 'hi' }, createdAt: 1 },
      error: { code: 'BLOCKED', message: 'blocked' },
    };
    ipc.emit('outbox:failed', refused);
    const answered = { item: refused.item, reply: { message: { id: 42, kind: 'private', from: 'alice', to: 'bob', text: 'hi', ts: 5 }, queued: false } };
    ipc.emit('outbox:sent', answered);
    ipc.emit('link:open', { kind: 'join', server: 'chat.lan:4001' });
    ipc.emit('discovery:servers', []);
    ipc.emit('updates:status', { state: 'checking' });
    expect(got).toEqual([
      ['connection:state', { state: 'signed-out' }],
      ['outbox:changed', []],
      ['server:event', { type: 'event', event: 'shutdown', reason: 'bye' }],
      ['outbox:failed', refused],
      ['outbox:sent', answered],
      ['link:open', { kind: 'join', server: 'chat.lan:4001' }],
      ['discovery:servers', []],
      ['updates:status', { state: 'checking' }],
    ]);
    off();
    expect(ipc.count()).toBe(0);
    ipc.emit('connection:state', { state: 'signed-out' });
    expect(got).toHaveLength(8);
  });
});
