// Sign-in lifecycle: startup (pick up a remembered session), sign in, register,
// sign out, and keeping state in step with the connection and the outbox.
import { ErrorCode, type EventFrame, type WireError } from '../../../server/protocol';
import type { ChatClient, ConnectionState, OutboxItem, SignInRequest, SignInResult } from '../client/client';
import { toWireError } from '../client/errors';
import { handleEvent } from '../events';
import { blocks } from '../state/blocks.svelte';
import { connection } from '../state/connection.svelte';
import { compose } from '../state/compose.svelte';
import { conversations, keyOfCommand, localEntry } from '../state/conversations.svelte';
import { groups } from '../state/groups.svelte';
import { notices } from '../state/notices.svelte';
import { outbox } from '../state/outbox.svelte';
import { people } from '../state/people.svelte';
import { typing } from '../state/typing.svelte';
import { profiles } from '../state/profiles.svelte';
import { receipts } from '../state/receipts.svelte';
import { resetProfileLookups } from './profiles';
import { session } from '../state/session.svelte';
import { isNarrow, ui } from '../state/ui.svelte';
import { refreshLatest, openConversation } from './chat';
import { client, setClient } from './client-ref';
import { loadReceipts, refreshConversations } from './conversations';
import { describeError } from './describe-error';
import { refreshGroups } from './groups';
import { forgetWatched, refreshBlocks, refreshPeople } from './people';

/** Events that arrive before the sign-in reply is processed wait here (Electron pushes race the invoke reply). */
let early: EventFrame[] | null = null;
/** Set while the user signs out, so the resulting 'signed-out' state is not reported as a surprise. */
let signingOut = false;

function onEvent(event: EventFrame): void {
  if (early && session.username === null && event.event !== 'hello') early.push(event);
  else handleEvent(event);
}

function onState(state: ConnectionState): void {
  const previous = connection.current.state;
  const wasOnline = connection.wasOnline;
  connection.set(state);
  // Screen readers hear each change of the connection once, here; the banner (whose
  // countdown ticks every second) is not a live region.
  if (session.username !== null && state.state !== previous) {
    if ((state.state === 'reconnecting' || state.state === 'connecting') && previous === 'online') notices.announce('Connection lost. Reconnecting…');
    else if (state.state === 'offline') notices.announce(`You are offline. ${state.lastError}`);
  }
  if (state.state === 'online' && previous !== 'online' && wasOnline && session.username !== null) {
    notices.announce('Connected again.');
    // A new session on the server: it starts with no watch list.
    forgetWatched();
    void refreshPeople();
  }
  if (state.state === 'signed-out' && session.username !== null && !early && !signingOut) {
    // The client ended the session on its own (for example a revoked token).
    resetAll();
    notices.error('You were signed out.');
  }
}

/** Refusals reported by onOutboxFailure, by localId, read once the removal is processed. */
const refused = new Map<string, WireError>();

function onOutboxFailure(item: OutboxItem, error: WireError): void {
  refused.set(item.localId, error);
}

function onOutbox(items: OutboxItem[]): void {
  const previous = outbox.items;
  outbox.items = items;
  const me = session.username;
  if (me === null || signingOut || connection.current.state !== 'online') return;
  const left = previous.filter((p) => !items.some((i) => i.localId === p.localId));
  if (left.length === 0) return;
  // The client reports a refusal right after the removal; wait for it before
  // deciding whether an item that left the outbox was sent or refused.
  queueMicrotask(() => {
    const touched = new Set<string>();
    for (const item of left) {
      const key = keyOfCommand(item.command);
      const error = refused.get(item.localId);
      refused.delete(item.localId);
      if (error) {
        const text = describeError(error);
        // Shown once: in the message row; screen readers hear it.
        conversations.ensure(key).merge([localEntry(me, item.command.text ?? '', error.code === ErrorCode.BLOCKED ? 'blocked' : 'failed', text)]);
        notices.alert(text);
        continue;
      }
      // Sent: show it at once, then fetch the newest page so it gets its real id and time.
      conversations.ensure(key).merge([localEntry(me, item.command.text ?? '', 'sent', 'Sent when the connection came back')]);
      touched.add(key);
    }
    for (const key of touched) {
      const c = conversations.get(key);
      if (c) void refreshLatest(c);
    }
  });
}

function resetAll(): void {
  session.reset();
  conversations.reset();
  receipts.on = null;
  people.reset();
  typing.reset();
  profiles.reset();
  resetProfileLookups();
  groups.reset();
  blocks.reset();
  ui.reset();
  compose.reset();
}

/** Wires the client to state and tries a remembered session. Call once at startup. */
export async function start(chatClient: ChatClient): Promise<void> {
  setClient(chatClient);
  chatClient.onEvent(onEvent);
  chatClient.onState(onState);
  chatClient.onOutbox(onOutbox);
  chatClient.onOutboxFailure(onOutboxFailure);
  session.server = chatClient.defaultServer();
  session.restoring = true;
  early = [];
  try {
    const result = await chatClient.resume();
    if (result) await afterSignIn(result);
  } catch (err) {
    notices.error(`Could not restore your session: ${describeError(toWireError(err))}`);
  } finally {
    early = null;
    session.restoring = false;
  }
}

async function afterSignIn(result: SignInResult): Promise<void> {
  const pending = early ?? [];
  resetAll();
  session.username = result.username;
  session.server = result.server;
  session.offlineCount = result.offlineCount;
  if (result.profile) profiles.apply([result.profile]);
  early = null;
  for (const event of pending) handleEvent(event);
  if (result.offlineCount > 0) {
    notices.info(`${result.offlineCount} message${result.offlineCount === 1 ? '' : 's'} arrived while you were offline.`);
  }
  forgetWatched();
  await Promise.allSettled([refreshPeople(), refreshGroups(), refreshBlocks(), refreshConversations(), loadReceipts()]);
  // Wide windows open the conversation and put the cursor in its composer; narrow
  // ones start on the conversation list, with focus on the open conversation.
  const narrow = isNarrow();
  if (narrow) ui.focusSidebar = `conv:${conversations.activeKey}`;
  await openConversation(conversations.activeKey, { reveal: !narrow });
}

/** Signs in; rejects with the ProtocolError so the form can show it (and the lock countdown). */
export async function signIn(request: SignInRequest): Promise<void> {
  early = [];
  try {
    await afterSignIn(await client().signIn(request));
  } finally {
    early = null;
  }
}

/** Creates an account and signs in. Rejects like signIn. */
export async function register(request: SignInRequest): Promise<void> {
  const doRegister = client().register;
  if (!doRegister) throw new Error('This app cannot create accounts');
  early = [];
  try {
    await afterSignIn(await doRegister(request));
  } finally {
    early = null;
  }
}

export async function signOut(forget: boolean): Promise<void> {
  signingOut = true;
  try {
    await client().signOut(forget);
  } finally {
    signingOut = false;
  }
  resetAll();
  connection.set({ state: 'signed-out' });
}

export async function retryNow(): Promise<void> {
  try {
    await client().retry();
  } catch (err) {
    notices.error(describeError(toWireError(err)));
  }
}
