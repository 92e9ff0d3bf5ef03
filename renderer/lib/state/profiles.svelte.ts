// How people are named on screen. Today that is their username; once the
// server carries display names, its events fill `displayNames` and every
// avatar and name in the UI follows without further changes.

class ProfilesState {
  /** Display names by username; a missing entry shows the username. */
  displayNames = $state<Record<string, string>>({});

  /** The name to show for `username`. */
  displayName(username: string): string {
    return this.displayNames[username] ?? username;
  }

  reset(): void {
    this.displayNames = {};
  }
}

export const profiles = new ProfilesState();
