// Remembers the server-issued sign-in token (never the password) so the app can sign in
// silently at start. Backends in order of preference: the OS keychain through keytar,
// an Electron safeStorage-encrypted file in userData, or nothing (the UI says so).
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { CredentialBackend } from './ipc/contract';
import type { KeytarPort, SafeStoragePort } from './platform/seams';

/** keytar service name; the account is `${username}@${server}`. */
export const KEYCHAIN_SERVICE = 'chat-desktop';

export interface StoredCredentials {
  /** What the person typed as the server (host:port or URL). */
  server: string;
  username: string;
  /** The server-issued sign-in token. */
  token: string;
}

export interface CredentialStore {
  readonly backend: CredentialBackend;
  /** Stores the token and makes this account the one load() returns. */
  save(credentials: StoredCredentials): Promise<void>;
  /** The remembered account with its token, or null when nothing (readable) is stored. */
  load(): Promise<StoredCredentials | null>;
  /** Forgets this account's token; a no-op when nothing is stored for it. */
  forget(server: string, username: string): Promise<void>;
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
  const keytar = await options.loadKeytar();
  if (keytar) {
    try {
      // Loading is not enough: without a Secret Service (no D-Bus session, locked or
      // missing keyring) every call rejects, so probe before trusting it.
      await keytar.getPassword(KEYCHAIN_SERVICE, '__probe__');
      return new KeytarStore(keytar, options.dir);
    } catch (err) {
      skip('keytar', `keychain not reachable: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    skip('keytar', 'keytar could not be loaded');
  }
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

const AccountFile = z.strictObject({ server: z.string().min(1).max(300), username: z.string().min(1).max(64) });
const SecretFile = AccountFile.extend({ token: z.string().min(1).max(1024) });

const NONE: CredentialStore = {
  backend: 'none',
  save: async () => undefined,
  load: async () => null,
  forget: async () => undefined,
};

/** Token in the OS keychain; a small non-secret pointer file says which account to resume. */
class KeytarStore implements CredentialStore {
  readonly backend = 'keytar' as const;
  private readonly pointer: string;

  constructor(
    private readonly keytar: KeytarPort,
    dir: string,
  ) {
    this.pointer = path.join(dir, 'account.json');
  }

  async save(c: StoredCredentials): Promise<void> {
    await this.keytar.setPassword(KEYCHAIN_SERVICE, account(c.server, c.username), c.token);
    await writePrivate(this.pointer, JSON.stringify({ server: c.server, username: c.username }));
  }

  async load(): Promise<StoredCredentials | null> {
    const raw = await readJson(this.pointer);
    const parsed = AccountFile.safeParse(raw);
    if (!parsed.success) return null;
    const token = await this.keytar.getPassword(KEYCHAIN_SERVICE, account(parsed.data.server, parsed.data.username));
    return token ? { ...parsed.data, token } : null;
  }

  async forget(server: string, username: string): Promise<void> {
    await this.keytar.deletePassword(KEYCHAIN_SERVICE, account(server, username));
    const current = AccountFile.safeParse(await readJson(this.pointer));
    if (current.success && current.data.server === server && current.data.username === username) {
      await rm(this.pointer, { force: true });
    }
  }
}

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
      const parsed = SecretFile.safeParse(JSON.parse(this.safeStorage.decryptString(bytes)));
      return parsed.success ? parsed.data : null;
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

export function account(server: string, username: string): string {
  return `${username}@${server}`;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Writes via a temp file + rename so a crash never leaves half a file; owner-only mode. */
async function writePrivate(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, file);
}
