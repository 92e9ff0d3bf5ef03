// Desktop-only actions: load and change the app's settings, follow updates, browse the LAN
// for servers, and act on chat:// links (open a conversation once signed in; prefill the
// sign-in screen's server). A .svelte.ts module: links wait for sign-in in an $effect.root.
import type { DeepLink, DesktopSettingsPatch } from '../../../main/ipc/contract';
import { desktopBridge, type DesktopBridge } from '../client/desktop';
import { toWireError } from '../client/errors';
import { groupKey } from '../state/conversations.svelte';
import { desktop } from '../state/desktop.svelte';
import { notices } from '../state/notices.svelte';
import { session } from '../state/session.svelte';
import { openConversation, startDirectChat } from './chat';
import { describeError } from './describe-error';

let bridge: DesktopBridge | null = null;
/** A chat://open link that came while signed out: opened right after sign-in. */
let pendingOpen = $state<DeepLink | null>(null);

/** At startup (after the ChatClient): subscribe first, then read state and queued links. */
export async function startDesktop(): Promise<void> {
  bridge = desktopBridge();
  if (!bridge) return;
  bridge.on('settings:changed', (snapshot) => (desktop.settings = snapshot));
  bridge.on('updates:status', (status) => (desktop.update = status));
  bridge.on('discovery:servers', (servers) => (desktop.nearby = servers));
  bridge.on('link:open', (link) => applyDeepLink(link));
  $effect.root(() => {
    $effect(() => {
      if (session.username !== null && pendingOpen) {
        const link = pendingOpen;
        pendingOpen = null;
        applyDeepLink(link);
      }
    });
  });
  try {
    [desktop.settings, desktop.update] = await Promise.all([bridge.getSettings(), bridge.updateStatus()]);
    for (const link of await bridge.takeLinks()) applyDeepLink(link);
  } catch (err) {
    notices.error(describeError(toWireError(err)));
  }
}

export function isDesktop(): boolean {
  return bridge !== null;
}

/** Opens the conversation or fills in the server to join; waits for sign-in when needed. */
export function applyDeepLink(link: DeepLink): void {
  if (link.kind === 'join') {
    if (session.username === null) session.server = link.server;
    else if (link.server !== session.server) notices.info(`To join ${link.server}, sign out first.`);
    return;
  }
  if (session.username === null) {
    pendingOpen = link;
    return;
  }
  void ('user' in link ? startDirectChat(link.user) : openConversation(groupKey(link.group)));
}

/** Saves a change; the new settings arrive through settings:changed too. Errors become toasts. */
export async function changeSettings(patch: DesktopSettingsPatch): Promise<boolean> {
  if (!bridge) return false;
  try {
    desktop.settings = await bridge.setSettings(patch);
    return true;
  } catch (err) {
    notices.error(describeError(toWireError(err)));
    return false;
  }
}

export async function checkForUpdates(): Promise<void> {
  try {
    if (bridge) desktop.update = await bridge.checkForUpdates();
  } catch (err) {
    notices.error(describeError(toWireError(err)));
  }
}

export async function installUpdate(): Promise<void> {
  try {
    await bridge?.installUpdate();
  } catch (err) {
    notices.error(describeError(toWireError(err)));
  }
}

/** Browses the LAN while the caller (the sign-in screen) is shown. Returns the stop function. */
export function browseNearby(): () => void {
  if (!bridge) return () => undefined;
  const b = bridge;
  b.startDiscovery().then(
    (servers) => (desktop.nearby = servers),
    () => undefined,
  );
  return () => {
    desktop.nearby = [];
    void b.stopDiscovery().catch(() => undefined);
  };
}
