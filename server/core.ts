// The transport-independent heart of a server node: builds the services, keeps
// the per-connection state, routes decoded commands to the dispatcher and
// events from other nodes to local sessions. Transports reach it only through
// the Inbound interface (connection.ts).
import type { Bus, BusEvent } from './bus/bus';
import { Dispatcher } from './commands/dispatcher';
import type { ServerConfig } from './config';
import { CloseReason, type Client, type Connection, type ConnectionInput, type FileEndpoints, type Inbound, type Outcome, type Readiness } from './connection';
import type { Logger } from './log';
import { Metrics } from './metrics';
import { ErrorCode, type Command, type RequestId, type WireError } from './protocol';
import { createServices, type Services } from './services/index';
import { hashQueueDepth } from './services/passwords';
import type { Store } from './store/store';

/** Who group events name as the actor of an administrator's change: a reserved name, so never a user's. */
const ADMIN_ACTOR = 'server';

/** How long /readyz waits for the store or the bus before calling it unreachable. */
const READY_TIMEOUT_MS = 2_000;
/** How often every node asks the store for password changes (the bound on ending a changed user's sessions). */
const PASSWORD_CHECK_MS = 2_000;
/** Each check looks this far before the previous one: commit delays and small clock differences between processes. */
const PASSWORD_CHECK_OVERLAP_MS = 10_000;

export class ChatCore implements Inbound {
  readonly services: Services;
  private readonly dispatcher: Dispatcher;
  readonly files: FileEndpoints;
  private readonly clients = new Set<Client>();
  /** Open and not-yet-signed-in connections per address, for the connection caps. */
  private readonly perAddress = new Map<string, { open: number; unauthenticated: number }>();
  /** Connections not signed in yet (each is counted once, until it signs in or closes). */
  private readonly unauthenticated = new Set<Client>();
  private stopping = false;
  private readonly gcTimer: NodeJS.Timeout;
  private accountsExist = true;
  private readonly passwordWatch: NodeJS.Timeout;
  private passwordsCheckedAt: number;
  private checkingPasswords = false;

  constructor(
    config: ServerConfig,
    private readonly store: Store,
    private readonly bus: Bus,
    log: Logger,
    private readonly now: () => number = Date.now,
    readonly metricsRegistry: Metrics = new Metrics(),
  ) {
    this.services = createServices(config, store, bus, log, metricsRegistry, now);
    metricsRegistry.setSources({
      connections: () => {
        const counts: Record<string, number> = {};
        for (const c of this.clients) counts[c.connection.kind] = (counts[c.connection.kind] ?? 0) + 1;
        return counts;
      },
      sessions: () => this.services.registry.size,
      hashQueue: hashQueueDepth,
    });
    this.dispatcher = new Dispatcher(this.services);
    bus.subscribe((event) => this.onBusEvent(event));
    bus.onClaimLost((username) => this.onClaimLost(username));
    // What other nodes announced while the bus was down never arrived here:
    // messages are re-read from the store, block caches dropped everywhere.
    bus.onResubscribed(() => {
      for (const session of this.services.registry.all()) session.resync();
      void this.services.blocks.resync();
    });
    const { files, accounts } = this.services;
    this.files = {
      maxUploadBytes: config.maxUploadBytes,
      userForToken: (token) => accounts.userForToken(token),
      quotaLeft: (user) => files.quotaLeft(user),
      upload: (user, name, body) => files.upload(user, name, body),
      open: (id, variant, access) => files.open(id, variant, access),
    };
    // Unsent uploads past their grace period go; every node may run this (deleting twice is harmless).
    this.gcTimer = setInterval(() => {
      files.collectGarbage().catch((err: unknown) => log.warn({ err }, 'file garbage collection failed'));
    }, config.fileGcMinutes * 60_000);
    this.gcTimer.unref();
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

  get hasAccounts(): boolean {
    return this.accountsExist;
  }

  /** Re-reads whether any account exists (at start, then from the control loop); keeps the last answer on a store error. */
  async refreshAccounts(): Promise<void> {
    this.accountsExist = await this.store.accounts.hasUsers().catch(() => this.accountsExist);
  }

  health(): { connections: number; sessions: number } {
    return { connections: this.clients.size, sessions: this.services.registry.size };
  }

  admit(address: string): WireError | null {
    const { maxConnectionsPerAddress, maxUnauthenticatedPerAddress, maxUnauthenticated } = this.services.config;
    const counts = this.perAddress.get(address);
    const refuse = (message: string): WireError => ({ code: ErrorCode.TOO_MANY_CONNECTIONS, message });
    if (maxConnectionsPerAddress > 0 && (counts?.open ?? 0) >= maxConnectionsPerAddress) {
      return refuse(`Too many connections from your address (at most ${maxConnectionsPerAddress}). Close one first.`);
    }
    if (maxUnauthenticatedPerAddress > 0 && (counts?.unauthenticated ?? 0) >= maxUnauthenticatedPerAddress) {
      return refuse(`Too many connections from your address that have not signed in (at most ${maxUnauthenticatedPerAddress}). Sign in on one first.`);
    }
    if (maxUnauthenticated > 0 && this.unauthenticated.size >= maxUnauthenticated) {
      return refuse('Too many connections are waiting to sign in. Try again shortly.');
    }
    return null;
  }

  /** Asks the store and the bus, each within READY_TIMEOUT_MS. A stopping node is never ready. */
  async readiness(): Promise<Readiness> {
    const checks: Record<string, string> = {};
    const check = async (name: string, probe: () => Promise<void>) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          probe(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
          }),
        ]);
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = (err as Error).message || String(err);
      } finally {
        clearTimeout(timer);
      }
    };
    await Promise.all([check('store', () => this.store.ping()), check('bus', () => this.bus.ping())]);
    if (this.stopping) checks.node = 'shutting down';
    return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
  }

  metrics(): Promise<{ contentType: string; body: string }> {
    return this.metricsRegistry.render();
  }

  open(connection: Connection): ConnectionInput {
    const client: Client = { connection, session: null, signingIn: false, closed: false, token: null };
    this.clients.add(client);
    this.unauthenticated.add(client);
    const counts = this.perAddress.get(connection.address) ?? { open: 0, unauthenticated: 0 };
    counts.open++;
    counts.unauthenticated++;
    this.perAddress.set(connection.address, counts);
    // Whatever the transport: a connection nobody signs in on is closed after the sign-in timeout.
    const input = new ClientInput(this, this.dispatcher, client);
    input.signInTimer = setTimeout(closeIfNotSignedIn, this.services.config.loginTimeoutSeconds * 1000, client);
    input.signInTimer.unref();
    return input;
  }

  /** For ClientInput: runs a command and notes a sign-in it made. */
  submitFor(input: ClientInput, id: RequestId | null, command: Command): Promise<Outcome> {
    const { client } = input;
    if (this.stopping) {
      return Promise.resolve(this.dispatcher.refuse(client, id, { code: ErrorCode.SHUTTING_DOWN, message: 'The server is shutting down' }));
    }
    const done = this.dispatcher.submit(client, id, command);
    // Signed in already: nothing below is left to do (no continuation per command).
    if (input.signInTimer === null && !this.unauthenticated.has(client)) return done;
    return done.then((outcome) => {
      if (client.session && !client.closed) {
        this.signedIn(client);
        // Signed in: the sign-in timer has nothing left to do; an idle connection keeps no timer of its own for it.
        if (input.signInTimer) {
          clearTimeout(input.signInTimer);
          input.signInTimer = null;
        }
      }
      return outcome;
    });
  }

  /** The connection no longer counts against the caps on connections that have not signed in. */
  private signedIn(client: Client): void {
    if (!this.unauthenticated.delete(client)) return;
    const counts = this.perAddress.get(client.connection.address);
    if (counts) counts.unauthenticated--;
  }

  private forgetCounts(client: Client): void {
    this.signedIn(client);
    const { address } = client.connection;
    const counts = this.perAddress.get(address);
    if (counts && --counts.open <= 0) this.perAddress.delete(address);
  }

  /** The connection is gone (or going): end its session at once so everyone sees the user offline. */
  async close(client: Client, why: string): Promise<void> {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    this.forgetCounts(client);
    // A sign-in or logout may still be running; let it finish before ending the session.
    await this.dispatcher.drain(client).catch(() => {});
    await this.services.sessions.end(client, why).catch((err: unknown) => this.services.log.error({ err }, 'ending session failed'));
  }

  /** An administrator ended this user's session (or locked, deleted or renamed the account): end it here if it is here. */
  endSessionOf(username: string, reason: string): void {
    for (const client of this.clients) {
      if (client.session?.username !== username) continue;
      this.services.log.info({ conn: client.connection.id, user: username, reason }, 'session ended by an administrator');
      void this.services.sessions.end(client, reason).finally(() => client.connection.close(reason));
    }
  }

  /** An administrator deleted a group: tell its members signed in here. */
  groupDeleted(name: string, members: string[]): void {
    void this.services.groups.notifyLocal({ kind: 'group', name, change: 'deleted', actor: ADMIN_ACTOR, members: [], notify: members });
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
    const { delivery, presence, groups, blocks, typing, conversations, profiles } = this.services;
    switch (event.kind) {
      case 'deliver':
        delivery.deliverFromBus(event);
        break;
      case 'presence':
        void presence.fromBus(event.user, event.online, event.at, event.to);
        break;
      case 'group':
        void groups.notifyLocal(event);
        break;
      case 'blocks-changed':
        if (event.user === null) blocks.invalidateAll();
        else blocks.invalidate(event.user);
        break;
      case 'typing':
        typing.showLocally(event.from, event.group, event.to);
        break;
      case 'read':
        conversations.showLocally(event);
        break;
      case 'profile':
        void profiles.fromBus({ username: event.user, displayName: event.displayName, avatar: event.avatar }).catch(() => {});
        break;
      case 'message-change':
        this.services.changes.showLocally(event.event, event.users, event.skip);
        break;
    }
  }

  /** Tells every client the server is going away, then ends every session. */
  async shutdown(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.gcTimer);
    clearInterval(this.passwordWatch);
    const all = [...this.clients];
    for (const c of all) c.connection.event({ type: 'event', event: 'shutdown', reason });
    await Promise.all(all.map((c) => this.close(c, 'shutdown')));
    for (const c of all) c.connection.close(CloseReason.shutdown);
  }
}

function closeIfNotSignedIn(client: Client): void {
  if (!client.session) client.connection.close('sign-in took too long');
}

/**
 * What a transport calls for one connection: methods on a shared prototype
 * (one small object per connection, not a closure per operation).
 */
class ClientInput implements ConnectionInput {
  /** Closes a connection nobody signed in on in time; null once signed in or closed. */
  signInTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly core: ChatCore,
    private readonly dispatcher: Dispatcher,
    readonly client: Client,
  ) {}

  submit(id: RequestId | null, command: Command): Promise<Outcome> {
    return this.core.submitFor(this, id, command);
  }
  reject(id: RequestId | null, error: WireError): void {
    this.dispatcher.reject(this.client, id, error);
  }
  charge(): ReturnType<ConnectionInput['charge']> {
    return this.dispatcher.charge(this.client);
  }
  pressure(): { backoffMs: number; inFlight: number } {
    return this.dispatcher.pressure(this.client);
  }
  drained(): Promise<void> {
    return this.dispatcher.drain(this.client);
  }
  closed(why: string): Promise<void> {
    if (this.signInTimer) {
      clearTimeout(this.signInTimer);
      this.signInTimer = null;
    }
    return this.core.close(this.client, why);
  }
}
