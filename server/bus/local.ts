// Bus for a single server process: sessions live in a Set, there are no other
// nodes to publish to.
import { randomUUID } from 'node:crypto';
import type { Bus, BusEvent } from './bus';

export class LocalBus implements Bus {
  readonly nodeId = randomUUID();
  private readonly sessions = new Set<string>();

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.sessions.clear();
  }

  /** Always reachable: it lives in this process. */
  async ping(): Promise<void> {}

  async claimSession(username: string): Promise<boolean> {
    if (this.sessions.has(username)) return false;
    this.sessions.add(username);
    return true;
  }

  async releaseSession(username: string): Promise<void> {
    this.sessions.delete(username);
  }

  async onlineUsers(): Promise<string[]> {
    return [...this.sessions].sort();
  }

  async isOnline(username: string): Promise<boolean> {
    return this.sessions.has(username);
  }

  async publish(_event: BusEvent): Promise<void> {}

  subscribe(_handler: (event: BusEvent) => void): void {}

  /** One process cannot lose its own claims. */
  onClaimLost(_handler: (username: string) => void): void {}
}
