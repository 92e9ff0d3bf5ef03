// Typing notices: "alice is typing" forwarded at once to the other side of a
// conversation, never stored. Blocks and group membership apply as they do to
// messages; a recipient who blocked the sender never hears of it, and nothing
// tells the sender so (the reply is the same either way).
//
// Rate limit: one notice per sender and conversation per TYPING_INTERVAL_MS;
// a faster one is refused with RATE_LIMITED. The counters live with the session
// (a WeakMap), so they go when the session goes.
import type { Bus } from '../bus/bus';
import type { SessionHandle } from '../connection';
import { ErrorCode, ProtocolError, TYPING_INTERVAL_MS, type EventFrame } from '../protocol';
import type { AccountStore } from '../store/store';
import type { BlockService } from './blocks';
import type { GroupService } from './groups';
import type { PresenceService } from './presence';
import type { SessionRegistry } from './registry';

export class TypingService {
  /** Per session: conversation key → when its last notice was forwarded. */
  private readonly lastSent = new WeakMap<SessionHandle, Map<string, number>>();

  constructor(
    private readonly accounts: AccountStore,
    private readonly blocks: BlockService,
    private readonly groups: GroupService,
    private readonly presence: PresenceService,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `from` types to the user named `typed` (matched by canonical form; the notice goes to the
   * registered spelling, which it returns). Throws SELF_TARGET, UNKNOWN_USER or RATE_LIMITED.
   */
  async toUser(session: SessionHandle, typed: string): Promise<string> {
    const from = session.username;
    const user = await this.accounts.getUser(typed);
    if (user?.username === from) throw new ProtocolError(ErrorCode.SELF_TARGET, 'You cannot type to yourself');
    if (!user) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${typed}"`);
    const to = user.username;
    this.take(session, `u:${to}`);
    if ((await this.blocks.blockersOf(from)).has(to)) return to;
    if (!(await this.presence.isOnline(to))) return to;
    this.send(from, undefined, [to]);
    return to;
  }

  /** `from` types in group `group`. Throws UNKNOWN_GROUP, NOT_GROUP_MEMBER or RATE_LIMITED. */
  async inGroup(session: SessionHandle, group: string): Promise<void> {
    const from = session.username;
    const record = await this.groups.requireGroup(group, from);
    this.take(session, `g:${record.name}`);
    const [online, blockers] = await Promise.all([this.presence.online(), this.blocks.blockersOf(from)]);
    const onlineSet = new Set(online);
    const to = record.members.filter((m) => m !== from && onlineSet.has(m) && !blockers.has(m));
    if (to.length > 0) this.send(from, record.name, to);
  }

  /** Shows the notice to those of `to` signed in on this node (also for notices from other nodes). */
  showLocally(from: string, group: string | undefined, to: readonly string[]): string[] {
    const event: EventFrame = group === undefined ? { type: 'event', event: 'typing', from } : { type: 'event', event: 'typing', from, group };
    const elsewhere: string[] = [];
    for (const user of to) {
      const session = this.registry.get(user);
      if (session) session.connection.event(event);
      else elsewhere.push(user);
    }
    return elsewhere;
  }

  private send(from: string, group: string | undefined, to: string[]): void {
    const elsewhere = this.showLocally(from, group, to);
    if (elsewhere.length === 0) return;
    const event = group === undefined ? { kind: 'typing' as const, from, to: elsewhere } : { kind: 'typing' as const, from, group, to: elsewhere };
    void this.bus.publish(event).catch(() => {});
  }

  private take(session: SessionHandle, key: string): void {
    let sent = this.lastSent.get(session);
    if (!sent) this.lastSent.set(session, (sent = new Map<string, number>()));
    const now = this.now();
    const last = sent.get(key);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) {
      const seconds = Math.max(1, Math.ceil((TYPING_INTERVAL_MS - (now - last)) / 1000));
      throw new ProtocolError(ErrorCode.RATE_LIMITED, `Typing notices go out at most once every ${TYPING_INTERVAL_MS / 1000} s per conversation`, seconds);
    }
    sent.set(key, now);
  }
}
