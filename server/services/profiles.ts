// Profiles: a display name and a picture per user. Reads sign the pictures'
// links; a change is stored, then told to everyone signed in, on every node,
// so their lists and message views update live.
import type { Bus } from '../bus/bus';
import { ErrorCode, normalizeDisplayName, ProtocolError, type UserProfile } from '../protocol';
import type { AccountStore, ProfileChange, ProfileRecord } from '../store/store';
import type { FileService } from './files';
import type { SessionRegistry } from './registry';

export type { ProfileChange };

export class ProfileService {
  constructor(
    private readonly accounts: AccountStore,
    private readonly files: FileService,
    private readonly bus: Bus,
    private readonly registry: SessionRegistry,
  ) {}

  /** Stored profiles as clients see them: the picture as a link signed now. */
  async describe(records: readonly ProfileRecord[]): Promise<UserProfile[]> {
    const links = await this.files.pictureLinks(records.flatMap((r) => (r.avatar === null ? [] : [r.avatar])));
    return records.map((r) => ({
      username: r.username,
      displayName: r.displayName,
      avatarUrl: r.avatar === null ? null : (links.get(r.avatar) ?? null),
    }));
  }

  /** The profile of the user `typed` names (any case); UNKNOWN_USER when none. */
  async get(typed: string): Promise<UserProfile> {
    const [found] = await this.lookup([typed]);
    if (!found) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${typed}"`);
    return found;
  }

  /** The profiles of the users `names` name, in order; unknown names are left out. */
  async lookup(names: readonly string[]): Promise<UserProfile[]> {
    return this.describe(await this.accounts.getProfiles(names));
  }

  /** Profiles by username for `names` (registered spellings), for lists that carry them. */
  async byName(names: readonly string[]): Promise<Map<string, UserProfile>> {
    const found = await this.lookup(names);
    return new Map(found.map((p) => [p.username, p]));
  }

  /**
   * Changes `user`'s profile: `displayName` is trimmed and NFC-normalised
   * (the protocol schema has checked its length and characters), `avatar` must
   * be an image `user` uploaded (UNKNOWN_FILE, NOT_AN_IMAGE). Resolves the new
   * profile once stored; everyone else signed in gets a `profile` event.
   */
  async change(user: string, change: ProfileChange): Promise<UserProfile> {
    const next: ProfileChange = {};
    if (change.displayName !== undefined) next.displayName = change.displayName === null ? null : normalizeDisplayName(change.displayName);
    if (change.avatar !== undefined) {
      if (change.avatar !== null) await this.files.checkAvatar(user, change.avatar);
      next.avatar = change.avatar;
    }
    const stored = await this.accounts.setProfile(user, next);
    if (!stored) throw new ProtocolError(ErrorCode.UNKNOWN_USER, `No user "${user}"`);
    const [profile] = await this.describe([stored]);
    this.showLocally(profile!);
    void this.bus.publish({ kind: 'profile', user: stored.username, displayName: stored.displayName, avatar: stored.avatar }).catch(() => {});
    return profile!;
  }

  /** A change announced by another node: sign the picture here and tell this node's sessions. */
  async fromBus(record: ProfileRecord): Promise<void> {
    const [profile] = await this.describe([record]);
    this.showLocally(profile!);
  }

  private showLocally(profile: UserProfile): void {
    this.registry.toAll({ type: 'event', event: 'profile', ...profile }, profile.username);
  }
}
