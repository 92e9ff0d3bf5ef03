// The services of one server node, built once and handed to command handlers.
// Handlers change state only through these; none of them knows about
// transports or commands.
import type { Bus } from '../bus/bus';
import type { ServerConfig } from '../config';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Store } from '../store/store';
import { AccountService, accountPolicyOf } from './accounts';
import { AuditService } from './audit';
import { BlockService } from './blocks';
import { ConversationService } from './conversations';
import { withAttachments } from './attached-messages';
import { DeliveryService } from './delivery';
import { FileService } from './files';
import { GroupService } from './groups';
import { MailboxService } from './mailbox';
import { MessageChangeService } from './message-changes';
import { PresenceService } from './presence';
import { SearchService } from './search';
import { ProfileService } from './profiles';
import { SessionRegistry } from './registry';
import { SessionService } from './sessions';
import { SignInBudget } from './sign-in-budget';
import { TypingService } from './typing';

export interface Services {
  config: ServerConfig;
  log: Logger;
  /** The node's Prometheus metrics. */
  metrics: Metrics;
  /** Milliseconds since the epoch; injected so tests can move time. */
  now: () => number;
  accounts: AccountService;
  /** The audit log (sign-ins, lockouts, registrations, ...). */
  audit: AuditService;
  blocks: BlockService;
  groups: GroupService;
  presence: PresenceService;
  /** Display names and pictures. */
  profiles: ProfileService;
  delivery: DeliveryService;
  mailbox: MailboxService;
  /** The conversation list, read positions and read receipts. */
  conversations: ConversationService;
  /** Full-text message search. */
  search: SearchService;
  /** Edits, deletions and reactions. */
  changes: MessageChangeService;
  files: FileService;
  sessions: SessionService;
  /** Failed sign-in budgets per address and per node, checked before hashing. */
  signInBudget: SignInBudget;
  typing: TypingService;
  /** The sessions signed in on this node. */
  registry: SessionRegistry;
}

export function createServices(config: ServerConfig, store: Store, bus: Bus, log: Logger, metrics: Metrics, now: () => number = Date.now): Services {
  const registry = new SessionRegistry();
  const blocks = new BlockService(store.blocks, store.accounts, bus);
  const groups = new GroupService(store.groups, store.accounts, bus, registry, now);
  const files = new FileService(
    store.files,
    store.blobs,
    {
      maxUploadBytes: config.maxUploadBytes,
      linkMs: config.fileLinkMinutes * 60_000,
      graceMs: config.uploadGraceHours * 3_600_000,
      quotaBytes: config.quotaBytes,
    },
    log,
    now,
  );
  const profiles = new ProfileService(store.accounts, files, bus, registry);
  const presence = new PresenceService(store.accounts, store.groups, store.messages, blocks, bus, registry, profiles, now);
  // Messages read back (replays, offline list, history) come with their attachments.
  const messages = withAttachments(store.messages, files);
  return {
    config,
    log,
    metrics,
    now,
    registry,
    signInBudget: new SignInBudget({ perAddress: config.signInBudgetPerAddress, total: config.signInBudgetTotal, maxHashQueue: config.maxHashQueue }, now),
    audit: new AuditService(store.admin, log, now),
    files,
    blocks,
    groups,
    presence,
    profiles,
    accounts: new AccountService(store, accountPolicyOf(config), now),
    delivery: new DeliveryService(messages, store.accounts, bus, registry, blocks, presence, metrics, files, now),
    mailbox: new MailboxService(messages, store.accounts, groups),
    conversations: new ConversationService(messages, store.accounts, groups, blocks, bus, registry),
    search: new SearchService(messages, store.accounts),
    changes: new MessageChangeService(messages, store.groups, blocks, bus, registry, { editWindowMs: config.editMinutes * 60_000 }, now),
    sessions: new SessionService(messages, store.accounts, bus, registry, presence, log, now),
    typing: new TypingService(store.accounts, blocks, groups, presence, bus, registry, now),
  };
}
