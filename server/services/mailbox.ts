// Reading the mailbox and conversations: the offline list and history pages,
// with the rules of who may read what (members only; the store hides blocked senders).
import { DEFAULT_PAGE_SIZE, ErrorCode, MAX_PAGE_SIZE, ProtocolError, type Delivery, type ResultOf } from '../protocol';
import type { AccountStore, MessageStore } from '../store/store';
import type { GroupService } from './groups';

export interface HistoryRequest {
  /** A user, or a group; absent with `everyone`. */
  with?: string | undefined;
  /** True: the broadcasts (Everyone). */
  everyone?: boolean | undefined;
  /** True: `with` is a group. Absent: a group only when no user has the name. */
  group?: boolean;
  /** Only messages with a smaller id. */
  before?: number;
  /** Page size; default DEFAULT_PAGE_SIZE. */
  limit?: number;
}

export class MailboxService {
  constructor(
    private readonly messages: MessageStore,
    private readonly accounts: AccountStore,
    private readonly groups: GroupService,
  ) {}

  /** The messages that arrived while `user` was last away (the newest MAX_PAGE_SIZE), oldest first. */
  async offline(user: string): Promise<Delivery[]> {
    const away = await this.messages.lastAway(user);
    if (away.to <= away.from) return [];
    return this.messages.mailbox({ username: user, after: away.from, upTo: away.to, away, limit: MAX_PAGE_SIZE, newest: true });
  }

  /** A page of `viewer`'s conversation with a user or a group, newest first. Throws UNKNOWN_USER, UNKNOWN_GROUP, NOT_GROUP_MEMBER. */
  async history(viewer: string, request: HistoryRequest): Promise<ResultOf<'history'>> {
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    if (request.everyone === true || request.with === undefined) {
      // Every broadcast, without senders the viewer blocks (now, or when it was sent): the store filters, so pages stay full.
      const page = await this.messages.history({
        viewer,
        everyone: true,
        limit: limit + 1,
        ...(request.before !== undefined ? { before: request.before } : {}),
      });
      return { with: 'everyone', group: false, everyone: true, messages: page.slice(0, limit), hasMore: page.length > limit };
    }
    const withName = request.with;
    let isGroup = request.group ?? false;
    // A user is named in any case; the answer uses their registered spelling.
    const user = request.group === true ? null : await this.accounts.getUser(withName);
    if (request.group === undefined && !user) {
      // Users and groups share one namespace, so an unknown user may be a group.
      isGroup = await this.groups.exists(withName);
      if (!isGroup) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user or group "${withName}"`);
    }
    // The store leaves out senders the viewer blocks (now, or when the message was sent), so pages stay full.
    const page = { viewer, limit: limit + 1, ...(request.before !== undefined ? { before: request.before } : {}) };
    let found;
    if (isGroup) {
      await this.groups.requireGroup(withName, viewer);
      found = await this.messages.history({ ...page, group: withName });
    } else {
      if (!user) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${withName}"`);
      found = await this.messages.history({ ...page, peer: user.username });
    }
    const name = isGroup ? withName : (user?.username ?? withName);
    return { with: name, group: isGroup, messages: found.slice(0, limit), hasMore: found.length > limit };
  }
}
