// The transport-independent heart of a server node: builds the services,
// tracks clients, routes decoded commands to the dispatcher and events from
// other nodes to local sessions. tcp.ts and ws.ts call into it.
import type { Bus, BusEvent } from './bus/bus';
import type { Client, Services } from './commands/types';
import { Dispatcher } from './commands/dispatcher';
import type { ServerConfig } from './config';
import type { Logger } from './log';
import { ErrorCode, type Command, type RequestId, type WireError } from './protocol';
import { AccountService } from './services/accounts';
import { BlockService } from './services/blocks';
import { DeliveryService } from './services/delivery';
import { GroupService } from './services/groups';
import { endSession } from './services/lifecycle';
import { PresenceService } from './services/presence';
import { TokenBucket } from './services/rate-limit';
import { SessionRegistry } from './services/registry';
import type { Store } from './store/store';
import { CloseReason, type Connection } from './transport/connection';

export class ChatCore {
  readonly services: Services;
  private readonly dispatcher: Dispatcher;
  private readonly clients = new Set<Client>();
  private stopping = false;

  constructor(config: ServerConfig, store: Store, bus: Bus, log: Logger, now: () => number = Date.now) {
    const registry = new SessionRegistry();
    const blocks = new BlockService(store, bus);
    this.services = {
      config,
      log,
      store,
      bus,
      registry,
      blocks,
      now,
      accounts: new AccountService(
        store,
        { maxAttempts: config.maxAttempts, lockMs: config.lockoutSeconds * 1000, hashCost: config.hashCost, tokenMs: config.tokenDays * 86_400_000 },
        now,
      ),
      groups: new GroupService(store, bus, registry, now),
      delivery: new DeliveryService(store, bus, registry, blocks, now),
      presence: new PresenceService(store, bus, registry, now),
    };
    this.dispatcher = new Dispatcher(this.services);
    bus.subscribe((event) => this.onBusEvent(event));
    bus.onClaimLost((username) => this.onClaimLost(username));
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Registers a new connection. The transport keeps the Client and passes it back. */
  open(connection: Connection): Client {
    const { config } = this.services;
    const client: Client = {
      connection,
      session: null,
      signingIn: false,
      closed: false,
      token: null,
      bucket: new TokenBucket(config.rateLimit, config.rateBurst),
    };
    this.clients.add(client);
    return client;
  }

  submit(client: Client, id: RequestId | null, command: Command): void {
    if (this.stopping) {
      client.connection.replyError(id, { code: ErrorCode.SHUTTING_DOWN, message: 'The server is shutting down' });
      return;
    }
    this.dispatcher.submit(client, id, command);
  }

  /** A frame or line that could not be decoded. Counts against the rate limit like a command. */
  rejectInput(client: Client, id: RequestId | null, error: WireError): void {
    this.dispatcher.reject(client, id, error);
  }

  /** The connection is gone (or going): end its session at once so everyone sees the user offline. */
  async close(client: Client, why: string): Promise<void> {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    // A sign-in or logout may still be running; let it finish before ending the session.
    await this.dispatcher.drain(client).catch(() => {});
    await endSession(this.services, client, why).catch((err: unknown) => this.services.log.error({ err }, 'ending session failed'));
  }

  /** Another node holds this user's session now: end ours so there is only one. */
  private onClaimLost(username: string): void {
    for (const client of this.clients) {
      if (client.session?.username !== username) continue;
      this.services.log.warn({ conn: client.connection.id, user: username }, 'session taken over by another node; disconnecting');
      // Forget the session without releasing the claim: it belongs to the other node now.
      this.services.registry.remove(client.session);
      void client.session.end();
      client.session = null;
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
    const all = [...this.clients];
    for (const c of all) c.connection.event({ type: 'event', event: 'shutdown', reason });
    await Promise.all(all.map((c) => this.close(c, 'shutdown')));
    for (const c of all) c.connection.close(CloseReason.shutdown);
  }
}
