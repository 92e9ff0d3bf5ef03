// People's display names for main's own notifications, so they name a sender as
// the window does ("Alice Liddell", not "alice"). Looked up once per person with
// `profiles` and kept current by `profile` events; a failed lookup falls back to
// the username and is asked again next time.

/** Asks the server for one person's display name (null: none set or no such user). */
export type DisplayNameLookup = (user: string) => Promise<string | null>;

export class DisplayNames {
  private readonly known = new Map<string, Promise<string>>();

  constructor(private readonly lookup: DisplayNameLookup) {}

  /** The name to show for `user`: their display name, else the username. Never rejects. */
  nameOf(user: string): Promise<string> {
    let name = this.known.get(user);
    if (!name) {
      name = this.lookup(user).then(
        (display) => display ?? user,
        () => {
          this.known.delete(user);
          return user;
        },
      );
      this.known.set(user, name);
    }
    return name;
  }

  /** A `profile` event: the person's name as it is now. */
  update(user: string, displayName: string | null): void {
    this.known.set(user, Promise.resolve(displayName ?? user));
  }

  /** Another account or server: names known so far may not hold there. */
  clear(): void {
    this.known.clear();
  }
}
