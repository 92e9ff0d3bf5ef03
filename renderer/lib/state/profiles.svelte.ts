// How people are named and pictured on screen: the display name and picture
// of each user the server told us about (sign-in reply, `users`, `whoelse`,
// `wholasthr`, `profiles` answers and live `profile` events). A user not
// (yet) known shows their username and initials.
import type { UserProfile } from '../../../server/protocol';
import { steadyLink } from '../avatar';

interface Known {
  displayName: string | null;
  /** A signed path on the server's HTTP port, or null. */
  avatarUrl: string | null;
}

class ProfilesState {
  /** Profiles by username; a missing entry has not been looked up yet. */
  known = $state<Record<string, Known>>({});

  /** The name to show for `username`: their display name, else the username. */
  displayName(username: string): string {
    return this.known[username]?.displayName ?? username;
  }

  /**
   * The name for labels that stand alone, where two people could share a
   * display name (button labels, alt text): "Alice Liddell (@alice)", or the
   * username when they set none.
   */
  label(username: string): string {
    return this.hasDisplayName(username) ? `${this.displayName(username)} (@${username})` : username;
  }

  /** True when `username` has a display name (then "@username" is shown beside it where names could be confused). */
  hasDisplayName(username: string): boolean {
    const name = this.known[username]?.displayName;
    return name !== undefined && name !== null;
  }

  /** The picture's path for `username`, or null (initials). */
  avatarUrl(username: string): string | null {
    return this.known[username]?.avatarUrl ?? null;
  }

  isKnown(username: string): boolean {
    return this.known[username] !== undefined;
  }

  /** Records profiles as the server sent them (a field left out keeps what was known). */
  apply(list: readonly Partial<UserProfile>[]): void {
    if (list.length === 0) return;
    const next = { ...this.known };
    for (const p of list) {
      if (!p.username) continue;
      const before = next[p.username];
      next[p.username] = {
        displayName: p.displayName !== undefined ? p.displayName : (before?.displayName ?? null),
        // Answers and events sign links afresh; the same picture keeps its link so the image is not fetched again.
        avatarUrl: p.avatarUrl !== undefined ? steadyLink(before?.avatarUrl, p.avatarUrl) : (before?.avatarUrl ?? null),
      };
    }
    this.known = next;
  }

  /** Forgets `username`'s picture link (it stopped working), so the next answer's fresh link is taken. */
  dropPictureLink(username: string): void {
    const before = this.known[username];
    if (before?.avatarUrl) this.known = { ...this.known, [username]: { ...before, avatarUrl: null } };
  }

  reset(): void {
    this.known = {};
  }
}

export const profiles = new ProfilesState();
