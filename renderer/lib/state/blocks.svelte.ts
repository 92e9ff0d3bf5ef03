// Whom I have blocked (sorted by name), from `blocklist` and block/unblock results.

class BlocksState {
  users = $state<string[]>([]);

  has(user: string): boolean {
    return this.users.includes(user);
  }

  set(users: string[]): void {
    this.users = [...new Set(users)].sort();
  }

  add(user: string): void {
    this.set([...this.users, user]);
  }

  remove(user: string): void {
    this.users = this.users.filter((u) => u !== user);
  }

  reset(): void {
    this.users = [];
  }
}

export const blocks = new BlocksState();
