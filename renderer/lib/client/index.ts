// Picks the ChatClient for this host at startup: the Electron preload exposes
// `window.chat`; without it we are the web client and talk WebSocket ourselves.
import type { ChatBridge } from '../../../main/ipc/contract';
import type { ChatClient } from './client';
import { createBrowserClient } from './browser';
import { createElectronClient } from './electron';

declare global {
  interface Window {
    chat?: ChatBridge;
  }
}

export function pickClient(): ChatClient {
  return window.chat ? createElectronClient(window.chat) : createBrowserClient();
}
