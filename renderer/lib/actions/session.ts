// Sign-in lifecycle: startup (pick up a remembered session), sign in, register,
// sign out, and keeping state in step with the connection and the outbox.
import { ErrorCode, type EventFrame, type WireError } from '../../../server/protocol';
import type { ChatClient, ChatReply, ConnectionState, OutboxItem, SignInRequest, SignInResult } from '../client/client';
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
import { describeSent, openConversation } from './chat';
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

/** True while outbox reports concern the signed-in user (not a sign-out clearing it). */
function outboxReportsApply(): boolean {
  return session.username !== null && !signingOut;
}

/** The outbox's items as they stand; what left it is reported by onOutboxSent / onOutboxFailure. */
function onOutbox(items: OutboxItem[]): void {
  outbox.items = items;
}

/**
 * A message from the outbox that the server accepted: its "waiting" row became
 * this stored message. Merged by message id, so a resend whose first reply was
 * lost (the server answers with the message it stored then) shows once, even if
 * that message is already on screen (a history page brought it).
 */
function onOutboxSent(item: OutboxItem, reply: ChatReply): void {
  if (!outboxReportsApply()) return;
  conversations.ensure(keyOfCommand(item.command)).merge([describeSent(item.command, reply)]);
}

/** A message from the outbox that the server refused: shown once, in its row; screen readers hear it. */
function onOutboxFailure(item: OutboxItem, error: WireError): void {
  const me = session.username;
  if (me === null || !outboxReportsApply()) return;
  const text = describeError(error);
  const state = error.code === ErrorCode.BLOCKED ? 'blocked' : 'failed';
  conversations.ensure(keyOfCommand(item.command)).merge([localEntry(me, item.command.text ?? '', state, text)]);
  notices.alert(text);
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
  chatClient.onOutboxSent(onOutboxSent);
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
