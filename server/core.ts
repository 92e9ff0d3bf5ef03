// The transport-independent heart of a server node: builds the services, keeps
// the per-connection state, routes decoded commands to the dispatcher and
// events from other nodes to local sessions. Transports reach it only through
// the Inbound interface (connection.ts).
import type { Bus, BusEvent } from './bus/bus';
import { Dispatcher } from './commands/dispatcher';
import type { ServerConfig } from './config';
import { CloseReason, type Client, type Connection, type ConnectionInput, type Inbound, type Outcome } from './connection';
import type { Logger } from './log';
import { ErrorCode, type Command, type RequestId } from './protocol';
import { createServices, type Services } from './services/index';
import type { Store } from './store/store';

/** How often every node asks the store for password changes (the bound on ending a changed user's sessions). */
const PASSWORD_CHECK_MS = 2_000;
/** Each check looks this far before the previous one: commit delays and small clock differences between processes. */
const PASSWORD_CHECK_OVERLAP_MS = 10_000;

export class ChatCore implements Inbound {
  readonly services: Services;
  private readonly dispatcher: Dispatcher;
  private readonly clients = new Set<Client>();
  private stopping = false;
  private readonly passwordWatch: NodeJS.Timeout;
  private passwordsCheckedAt: number;
  private checkingPasswords = false;

  constructor(
    config: ServerConfig,
    private readonly store: Store,
    bus: Bus,
    log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.services = createServices(config, store, bus, log, now);
    this.dispatcher = new Dispatcher(this.services);
    bus.subscribe((event) => this.onBusEvent(event));
    bus.onClaimLost((username) => this.onClaimLost(username));
    this.passwordsCheckedAt = now();
    this.passwordWatch = setInterval(() => void this.endSessionsOfChangedPasswords(), PASSWORD_CHECK_MS);
    this.passwordWatch.unref();
  }

  /**
   * A password changed anywhere (on another node, or by `adduser --update` run
   * as a separate process against the same database) ends that user's live
   * session here if it began before the change. The store is the one channel
   * every writer shares, so this is a poll rather than a bus message.
   */
  private async endSessionsOfChangedPasswords(): Promise<void> {
    if (this.checkingPasswords || this.stopping) return;
    this.checkingPasswords = true;
    try {
      const since = this.passwordsCheckedAt - PASSWORD_CHECK_OVERLAP_MS;
      this.passwordsCheckedAt = this.now();
      const changed = await this.store.accounts.passwordsChangedSince(since);
      for (const { username, changedAt } of changed) {
        const session = this.services.registry.get(username);
        if (!session || session.startedAt > changedAt) continue;
        for (const client of this.clients) {
          if (client.session !== session) continue;
          this.services.log.info({ conn: client.connection.id, user: username }, 'password changed: ending the session');
          await this.services.sessions.end(client, 'password changed');
          client.connection.close(CloseReason.passwordChanged);
        }
      }
    } catch (err) {
      if (!this.stopping) this.services.log.warn({ err }, 'could not check for password changes');
    } finally {
      this.checkingPasswords = false;
    }
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  health(): { connections: number; sessions: number } {
    return { connections: this.clients.size, sessions: this.services.registry.size };
  }

  open(connection: Connection): ConnectionInput {
    const client: Client = { connection, session: null, signingIn: false, closed: false, token: null };
    this.clients.add(client);
    // Whatever the transport: a connection nobody signs in on is closed after the sign-in timeout.
    const signInTimer = setTimeout(() => {
      if (!client.session) connection.close('sign-in took too long');
    }, this.services.config.loginTimeoutSeconds * 1000);
    signInTimer.unref();
    return {
      submit: (id, command) => this.submit(client, id, command),
      reject: (id, error) => this.dispatcher.reject(client, id, error),
      closed: (why) => {
        clearTimeout(signInTimer);
        return this.close(client, why);
      },
    };
  }

  private submit(client: Client, id: RequestId | null, command: Command): Promise<Outcome> {
    if (this.stopping) {
      return Promise.resolve(this.dispatcher.refuse(client, id, { code: ErrorCode.SHUTTING_DOWN, message: 'The server is shutting down' }));
    }
    return this.dispatcher.submit(client, id, command);
  }

  /** The connection is gone (or going): end its session at once so everyone sees the user offline. */
  private async close(client: Client, why: string): Promise<void> {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    // A sign-in or logout may still be running; let it finish before ending the session.
    await this.dispatcher.drain(client).catch(() => {});
    await this.services.sessions.end(client, why).catch((err: unknown) => this.services.log.error({ err }, 'ending session failed'));
  }

  /** Another node holds this user's session now: end ours so there is only one. */
  private onClaimLost(username: string): void {
    for (const client of this.clients) {
      if (client.session?.username !== username) continue;
      this.services.log.warn({ conn: client.connection.id, user: username }, 'session taken over by another node; disconnecting');
      this.services.sessions.forget(client);
      client.connection.close('signed in elsewhere after this server stalled');
    }
  }

  private onBusEvent(event: BusEvent): void {
    const { delivery, presence, groups, blocks } = this.services;
    switch (event.kind) {
      case 'deliver':
        delivery.deliverFromBus(event.deliveries);
        break;
      case 'presence':
        presence.showLocally(event.user, event.online, event.at);
        break;
      case 'group':
        void groups.notifyLocal(event);
        break;
      case 'blocks-changed':
        blocks.invalidate(event.user);
        break;
    }
  }

  /** Tells every client the server is going away, then ends every session. */
  async shutdown(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.passwordWatch);
    const all = [...this.clients];
    for (const c of all) c.connection.event({ type: 'event', event: 'shutdown', reason });
    await Promise.all(all.map((c) => this.close(c, 'shutdown')));
    for (const c of all) c.connection.close(CloseReason.shutdown);
  }
}
