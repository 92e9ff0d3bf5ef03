// Bus for a single server process: sessions live in a Set, there are no other
// nodes to publish to.
import { randomUUID } from 'node:crypto';
import type { Bus, BusEvent } from './bus';

export class LocalBus implements Bus {
  readonly nodeId = randomUUID();
  readonly singleNode = true;
  private readonly sessions = new Set<string>();
  /** The names in `sessions`, sorted; rebuilt on the first read after a change (a broadcast reads it, sign-ins change it). */
  private sorted: string[] | null = null;

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.sessions.clear();
    this.sorted = null;
  }

  /** Always reachable: it lives in this process. */
  async ping(): Promise<void> {}

  async claimSession(username: string): Promise<boolean> {
    if (this.sessions.has(username)) return false;
    this.sessions.add(username);
    this.sorted = null;
    return true;
  }

  async releaseSession(username: string): Promise<void> {
    if (this.sessions.delete(username)) this.sorted = null;
  }

  async onlineUsers(): Promise<string[]> {
    // A copy: callers own the array they get.
    return (this.sorted ??= [...this.sessions].sort()).slice();
  }

  async isOnline(username: string): Promise<boolean> {
    return this.sessions.has(username);
  }

  async publish(_event: BusEvent): Promise<void> {}

  subscribe(_handler: (event: BusEvent) => void): void {}

  /** One process cannot lose its own claims. */
  onClaimLost(_handler: (username: string) => void): void {}
  onResubscribed(_handler: () => void): void {}
}
