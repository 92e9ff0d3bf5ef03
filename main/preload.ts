// The renderer's only door to main: `window.chat`, one named function per invoke
// channel plus onEvent for pushes. Runs sandboxed, so it is bundled to CommonJS and
// may only require 'electron'; it never exposes ipcRenderer or a generic send.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { PUSH_CHANNELS, type ChatBridge, type Invoke, type InvokeChannel, type IpcResult, type Push, type PushChannel } from './ipc/contract';

function invoke<C extends InvokeChannel>(channel: C, arg?: Invoke[C][0]): Promise<IpcResult<Invoke[C][1]>> {
  return ipcRenderer.invoke(channel, arg) as Promise<IpcResult<Invoke[C][1]>>;
}

const bridge: ChatBridge = {
  appInfo: () => invoke('app:info'),
  setUnread: (count) => invoke('app:set-unread', { count }),
  signIn: (request) => invoke('session:sign-in', request),
  resume: () => invoke('session:resume'),
  signOut: (forget) => invoke('session:sign-out', { forget }),
  retry: () => invoke('session:retry'),
  request: (command) => invoke('chat:request', command),
  send: (command) => invoke('chat:send', command),
  hostStart: (port, wsPort) => invoke('host:start', { port, wsPort }),
  hostStop: () => invoke('host:stop'),
  hostStatus: () => invoke('host:status'),
  getSettings: () => invoke('settings:get'),
  setSettings: (patch) => invoke('settings:set', patch),
  takeLinks: () => invoke('links:take'),
  startDiscovery: () => invoke('discovery:start'),
  stopDiscovery: () => invoke('discovery:stop'),
  updateStatus: () => invoke('updates:status'),
  checkForUpdates: () => invoke('updates:check'),
  installUpdate: () => invoke('updates:install'),
  saveFile: (request) => invoke('file:save-as', request),
  onEvent(listener) {
    // One wrapper per channel, so the IpcRendererEvent (which carries `sender`) never
    // reaches page code and exactly these listeners are removed on unsubscribe.
    const wrappers = PUSH_CHANNELS.map((channel) => {
      const wrapper = (_event: IpcRendererEvent, payload: unknown) => listener(channel, payload as Push[PushChannel]);
      ipcRenderer.on(channel, wrapper);
      return [channel, wrapper] as const;
    });
    return () => {
      for (const [channel, wrapper] of wrappers) ipcRenderer.removeListener(channel, wrapper);
    };
  },
};

contextBridge.exposeInMainWorld('chat', bridge);
