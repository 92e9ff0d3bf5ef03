// The sessions signed in on this node, by username. Cluster-wide uniqueness is
// the Bus's job (claimSession); this map only finds local connections.
import type { SessionHandle } from '../connection';
import type { EventFrame } from '../protocol';
import type { Session } from './session';

export class SessionRegistry {
  private readonly byUser = new Map<string, Session>();
  private changeCount = 0;

  add(session: Session): void {
    this.byUser.set(session.username, session);
    this.changeCount++;
  }

  /** Removes the entry only if it is this session (a newer one may have replaced it). */
  remove(session: SessionHandle): void {
    if (this.byUser.get(session.username) !== session) return;
    this.byUser.delete(session.username);
    this.changeCount++;
  }

  /** Counts sign-ins and sign-outs here: unchanged means the same sessions (so a report of them need not be rebuilt). */
  get changes(): number {
    return this.changeCount;
  }

  get(username: string): Session | undefined {
    return this.byUser.get(username);
  }

  get size(): number {
    return this.byUser.size;
  }

  all(): IterableIterator<Session> {
    return this.byUser.values();
  }

  /** Sends an event to every local session, except `except`. */
  toAll(event: EventFrame, except?: string): void {
    for (const s of this.byUser.values()) if (s.username !== except) s.connection.event(event);
  }

  /** Sends a presence event to `username`'s local session, if it wants presence events and is not `about` itself. */
  presenceTo(username: string, event: EventFrame, about: string): void {
    if (username === about) return;
    const s = this.byUser.get(username);
    if (s?.wantsPresence) s.connection.event(event);
  }
}
