// Remembers the server-issued sign-in token (never the password) so the app can sign in
// silently at start. Backends in order of preference: the OS keychain through keytar,
// an Electron safeStorage-encrypted file in userData, or nothing (the UI says so).
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  KeychainStore,
  openKeychain,
  parseStoredCredentials,
  writePrivate,
  type CredentialStore as StoreOf,
  type StoredCredentials,
} from '../server/client/node';
import type { CredentialBackend } from './ipc/contract';
import type { KeytarPort, SafeStoragePort } from './platform/seams';

export { account } from '../server/client/node';

/** keytar service name; the account is `${username}@${server}`. */
export const KEYCHAIN_SERVICE = 'chat-desktop';

/** The client library's credential store, with the app's backend names. */
export interface CredentialStore extends StoreOf {
  readonly backend: CredentialBackend;
}

export interface CredentialStoreOptions {
  /** Directory for the account pointer / encrypted file (Electron's userData). */
  dir: string;
  loadKeytar: () => Promise<KeytarPort | null>;
  safeStorage: SafeStoragePort;
  /** Why a backend was skipped; for the log. */
  onSkip?: (backend: CredentialBackend, reason: string) => void;
}

/** Picks the first working backend: keytar (probed once), safeStorage, then none. */
export async function createCredentialStore(options: CredentialStoreOptions): Promise<CredentialStore> {
  const skip = options.onSkip ?? (() => undefined);
  const keytar = await openKeychain(KEYCHAIN_SERVICE, options.loadKeytar, (reason) => skip('keytar', reason));
  if (keytar) return new KeychainStore(keytar, KEYCHAIN_SERVICE, path.join(options.dir, 'account.json'));
  let available: boolean;
  try {
    available = options.safeStorage.isEncryptionAvailable();
  } catch {
    available = false;
  }
  // On Linux without a keyring Electron falls back to a hard-coded key ('basic_text'):
  // that is obfuscation, not protection, so it does not count as encrypted storage.
  if (available && options.safeStorage.backend() !== 'basic_text') {
    return new SafeStorageStore(options.safeStorage, options.dir);
  }
  skip('safe-storage', available ? 'only the plain-text fallback is available' : 'encryption is not available');
  return NONE;
}

const NONE: CredentialStore = {
  backend: 'none',
  save: async () => undefined,
  load: async () => null,
  forget: async () => undefined,
};

/** One encrypted file holding the remembered account and its token. */
class SafeStorageStore implements CredentialStore {
  readonly backend = 'safe-storage' as const;
  private readonly file: string;

  constructor(
    private readonly safeStorage: SafeStoragePort,
    dir: string,
  ) {
    this.file = path.join(dir, 'credentials.bin');
  }

  async save(c: StoredCredentials): Promise<void> {
    const encrypted = this.safeStorage.encryptString(JSON.stringify({ server: c.server, username: c.username, token: c.token }));
    await writePrivate(this.file, encrypted);
  }

  async load(): Promise<StoredCredentials | null> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.file);
    } catch {
      return null;
    }
    try {
      return parseStoredCredentials(JSON.parse(this.safeStorage.decryptString(bytes)));
    } catch {
      // Encrypted with another key (profile copied to another machine/user): unusable.
      return null;
    }
  }

  async forget(server: string, username: string): Promise<void> {
    const current = await this.load();
    if (current === null || (current.server === server && current.username === username)) {
      await rm(this.file, { force: true });
    }
  }
}
