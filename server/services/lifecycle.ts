// Starting and ending a signed-in session: the cluster-wide claim, the local
// registry, login time, presence announcements and the mailbox catch-up.
import { ErrorCode, ProtocolError } from '../protocol';
import type { Client, Services } from '../commands/types';
import { Session } from './session';

export interface StartedSession {
  session: Session;
  resumeFrom: number;
  lastSeq: number;
  offlineCount: number;
}

/**
 * Claims the user's single session and attaches it to the client. Throws
 * ALREADY_SIGNED_IN when the user has a session anywhere in the cluster.
 * The caller replies, then calls session.catchUp().
 */
export async function startSession(
  services: Services,
  client: Client,
  username: string,
  options: { resumeFrom?: number; wantsPresence: boolean },
): Promise<StartedSession> {
  const { bus, store, registry, presence, log } = services;
  if (!(await bus.claimSession(username))) {
    throw new ProtocolError(ErrorCode.ALREADY_SIGNED_IN, `${username} is already signed in on another connection. Sign out there first.`);
  }
  try {
    const [lastSeq, lastAcked] = await Promise.all([store.lastSeq(username), store.lastAcked(username)]);
    const resumeFrom = Math.min(options.resumeFrom ?? lastAcked, lastSeq);
    const offlineCount = await store.countOfflineAfter(username, resumeFrom);
    await store.recordLogin(username, services.now());
    if (client.closed) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Connection closed during sign-in');
    const session = new Session({ username, connection: client.connection, store, log, resumeFrom, wantsPresence: options.wantsPresence });
    client.session = session;
    registry.add(session);
    presence.announce(username, true);
    log.info({ conn: client.connection.id, user: username, transport: client.connection.kind }, 'signed in');
    return { session, resumeFrom, lastSeq, offlineCount };
  } catch (err) {
    await bus.releaseSession(username).catch(() => {});
    throw err;
  }
}

/** Ends the client's session (logout, disconnect or shutdown). Idempotent. */
export async function endSession(services: Services, client: Client, why: string): Promise<void> {
  const session = client.session;
  if (!session) return;
  client.session = null;
  services.registry.remove(session);
  await session.end();
  await services.bus.releaseSession(session.username).catch((err: unknown) => services.log.warn({ err }, 'could not release session'));
  services.presence.announce(session.username, false);
  services.log.info({ conn: client.connection.id, user: session.username, why }, 'signed out');
}
