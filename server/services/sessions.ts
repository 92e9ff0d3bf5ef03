// Starting and ending a signed-in session: the cluster-wide claim, the local
// registry, login time, presence announcements and the mailbox position the
// client resumes from.
import type { Bus } from '../bus/bus';
import type { Client } from '../connection';
import type { Logger } from '../log';
import { ErrorCode, ProtocolError } from '../protocol';
import type { AccountStore, MessageStore } from '../store/store';
import type { PresenceService } from './presence';
import type { SessionRegistry } from './registry';
import { Session } from './session';

export interface StartedSession {
  session: Session;
  resumeFrom: number;
  lastSeq: number;
  offlineCount: number;
}

export class SessionService {
  constructor(
    private readonly messages: MessageStore,
    private readonly accounts: AccountStore,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly presence: PresenceService,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Claims the user's single session and attaches it to the client. Throws
   * ALREADY_SIGNED_IN when the user has a session anywhere in the cluster.
   * The caller replies, then calls session.catchUp().
   */
  async start(client: Client, username: string, options: { resumeFrom?: number; wantsPresence: boolean }): Promise<StartedSession> {
    const startedAt = this.now();
    if (!(await this.bus.claimSession(username))) {
      throw new ProtocolError(ErrorCode.ALREADY_SIGNED_IN, `${username} is already signed in on another connection. Sign out there first.`);
    }
    try {
      const [lastSeq, lastAcked] = await Promise.all([this.messages.lastSeq(username), this.messages.lastAcked(username)]);
      const resumeFrom = Math.min(options.resumeFrom ?? lastAcked, lastSeq);
      const offlineCount = await this.messages.countOfflineAfter(username, resumeFrom);
      await this.accounts.recordLogin(username, this.now());
      if (client.closed) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Connection closed during sign-in');
      const session = new Session({
        username,
        connection: client.connection,
        store: this.messages,
        log: this.log,
        resumeFrom,
        wantsPresence: options.wantsPresence,
        startedAt,
      });
      client.session = session;
      this.registry.add(session);
      this.presence.announce(username, true);
      this.log.info({ conn: client.connection.id, user: username, transport: client.connection.kind }, 'signed in');
      return { session, resumeFrom, lastSeq, offlineCount };
    } catch (err) {
      await this.bus.releaseSession(username).catch(() => {});
      throw err;
    }
  }

  /** Ends the client's session (logout, disconnect or shutdown). Idempotent. */
  async end(client: Client, why: string): Promise<void> {
    const session = client.session;
    if (!session) return;
    client.session = null;
    this.registry.remove(session);
    await session.end();
    await this.bus.releaseSession(session.username).catch((err: unknown) => this.log.warn({ err }, 'could not release session'));
    this.presence.announce(session.username, false);
    this.log.info({ conn: client.connection.id, user: session.username, why }, 'signed out');
  }

  /**
   * Another node holds this user's session now (this one stalled past the
   * claim's TTL): forget ours without releasing the claim, which is not ours.
   */
  forget(client: Client): void {
    const session = client.session;
    if (!session) return;
    client.session = null;
    this.registry.remove(session);
    void session.end();
  }
}
