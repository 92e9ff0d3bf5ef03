// What a command handler sees. Handlers change state only through services and
// return their result; expected failures are thrown as ProtocolError.
import type { Bus } from '../bus/bus';
import type { ServerConfig } from '../config';
import type { Logger } from '../log';
import type { CommandOf, CommandType, ResultOf } from '../protocol';
import type { AccountService } from '../services/accounts';
import type { BlockService } from '../services/blocks';
import type { DeliveryService } from '../services/delivery';
import type { GroupService } from '../services/groups';
import type { PresenceService } from '../services/presence';
import type { TokenBucket } from '../services/rate-limit';
import type { SessionRegistry } from '../services/registry';
import type { Session } from '../services/session';
import type { Store } from '../store/store';
import type { Connection } from '../transport/connection';

export interface Services {
  config: ServerConfig;
  log: Logger;
  store: Store;
  bus: Bus;
  accounts: AccountService;
  registry: SessionRegistry;
  blocks: BlockService;
  groups: GroupService;
  delivery: DeliveryService;
  presence: PresenceService;
  now: () => number;
}

/** Per-connection state, owned by the connection handler. */
export interface Client {
  readonly connection: Connection;
  session: Session | null;
  /** A sign-in is in progress (a second one is refused until it ends). */
  signingIn: boolean;
  readonly bucket: TokenBucket;
  /** Set once the connection closed; a sign-in finishing after that is undone. */
  closed: boolean;
  /** The sign-in token this session used or was issued; revoked on logout. */
  token: string | null;
}

export interface CommandContext {
  services: Services;
  client: Client;
  /** The signed-in user (handlers with needsAuth only). */
  user: string;
  /** Runs after the reply is written (e.g. replaying the mailbox after a sign-in reply). */
  afterReply(fn: () => void): void;
}

export interface CommandSpec<K extends CommandType> {
  needsAuth: boolean;
  handle(ctx: CommandContext, command: CommandOf<K>): Promise<ResultOf<K>>;
}

export type CommandTable = { [K in CommandType]: CommandSpec<K> };
