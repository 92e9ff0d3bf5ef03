// The services of one server node, built once and handed to command handlers.
// Handlers change state only through these; none of them knows about
// transports or commands.
import type { Bus } from '../bus/bus';
import type { ServerConfig } from '../config';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { AccountService, accountPolicyOf } from './accounts';
import { BlockService } from './blocks';
import { DeliveryService } from './delivery';
import { GroupService } from './groups';
import { MailboxService } from './mailbox';
import { PresenceService } from './presence';
import { SessionRegistry } from './registry';
import { SessionService } from './sessions';

export interface Services {
  config: ServerConfig;
  log: Logger;
  /** Milliseconds since the epoch; injected so tests can move time. */
  now: () => number;
  accounts: AccountService;
  blocks: BlockService;
  groups: GroupService;
  presence: PresenceService;
  delivery: DeliveryService;
  mailbox: MailboxService;
  sessions: SessionService;
  /** The sessions signed in on this node. */
  registry: SessionRegistry;
}

export function createServices(config: ServerConfig, store: Store, bus: Bus, log: Logger, now: () => number = Date.now): Services {
  const registry = new SessionRegistry();
  const blocks = new BlockService(store.blocks, store.accounts, bus);
  const groups = new GroupService(store.groups, store.accounts, bus, registry, now);
  const presence = new PresenceService(store.accounts, blocks, bus, registry, now);
  return {
    config,
    log,
    now,
    registry,
    blocks,
    groups,
    presence,
    accounts: new AccountService(store.accounts, accountPolicyOf(config), now),
    delivery: new DeliveryService(store.messages, store.accounts, bus, registry, blocks, presence, now),
    mailbox: new MailboxService(store.messages, store.accounts, groups, blocks),
    sessions: new SessionService(store.messages, store.accounts, bus, registry, presence, log, now),
  };
}
