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
  /** Position after which the catch-up starts. */
  resumeFrom: number;
  /** The stream's head at sign-in. */
  lastSeq: number;
  offlineCount: number;
}

/**
 * How long a sign-in keeps trying to claim a user whose session is ending
 * (a logout just sent, perhaps on another node) before ALREADY_SIGNED_IN.
 */
const CLAIM_RETRY_MS = 1_500;
const CLAIM_POLL_MS = 25;

export class SessionService {
  /** Sessions of this node being ended (logout, disconnect), by user: a sign-in waits for them. */
  private readonly ending = new Map<string, Promise<void>>();

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
    if (!(await this.claim(username))) {
      throw new ProtocolError(ErrorCode.ALREADY_SIGNED_IN, `${username} is already signed in on another connection. Sign out there first.`);
    }
    try {
      const { head, acked, away, previousAway } = await this.messages.signIn(username);
      const resumeFrom = Math.min(options.resumeFrom ?? acked, head);
      // Offline: what arrived in the away window that the client has not seen yet.
      const offlineCount = await this.messages.countMailbox({ username, after: Math.max(resumeFrom, away.from), upTo: away.to, away });
      await this.accounts.recordLogin(username, this.now());
      if (client.closed) throw new ProtocolError(ErrorCode.BAD_REQUEST, 'Connection closed during sign-in');
      const session = new Session({
        username,
        connection: client.connection,
        store: this.messages,
        log: this.log,
        resumeFrom,
        acked,
        away,
        previousAway,
        liveInOrder: this.bus.singleNode,
        wantsPresence: options.wantsPresence,
        startedAt,
      });
      client.session = session;
      this.registry.add(session);
      this.presence.announce(username, true);
      this.log.info({ conn: client.connection.id, user: username, transport: client.connection.kind }, 'signed in');
      return { session, resumeFrom, lastSeq: head, offlineCount };
    } catch (err) {
      await this.bus.releaseSession(username).catch(() => {});
      throw err;
    }
  }

  /**
   * Claims the user's session cluster-wide. A sign-in right after a logout
   * must work even when the client did not wait for the logout's reply: while
   * this node is ending the user's session it waits for that, and a claim
   * still held elsewhere (a logout in progress on another node) is retried for
   * up to CLAIM_RETRY_MS before the caller answers ALREADY_SIGNED_IN.
   */
  private async claim(username: string): Promise<boolean> {
    const deadline = Date.now() + CLAIM_RETRY_MS;
    for (;;) {
      await this.ending.get(username);
      if (await this.bus.claimSession(username)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
    }
  }

  /** Ends the client's session (logout, disconnect or shutdown): the claim is released when this resolves. Idempotent. */
  async end(client: Client, why: string): Promise<void> {
    const session = client.session;
    if (!session) return;
    client.session = null;
    this.registry.remove(session);
    this.presence.unwatchAll(session.username);
    const ended = (async () => {
      // The last acknowledgement is stored before the claim goes, so the next sign-in resumes after it.
      await session.end();
      await this.bus.releaseSession(session.username).catch((err: unknown) => this.log.warn({ err }, 'could not release session'));
    })();
    this.ending.set(session.username, ended);
    try {
      await ended;
    } finally {
      if (this.ending.get(session.username) === ended) this.ending.delete(session.username);
    }
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
    this.presence.unwatchAll(session.username);
    void session.end();
  }
}
