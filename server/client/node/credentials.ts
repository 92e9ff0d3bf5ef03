// "Remember me" on disk for Node clients: the server-issued sign-in token
// (never the password) of one account, in the OS keychain with a small pointer
// file, or in a file only the user can read. The desktop app adds an encrypted
// file of its own (Electron's safeStorage); the terminal client uses these two.
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { KeychainPort } from './keychain';

export interface StoredCredentials {
  /** What the person typed as the server (host:port or URL). */
  server: string;
  username: string;
  /** The server-issued sign-in token. */
  token: string;
}

export interface CredentialStore {
  /** Which backend keeps the token ('keytar', 'file', or the host's own). */
  readonly backend: string;
  /** Stores the token and makes this account the one load() returns. */
  save(credentials: StoredCredentials): Promise<void>;
  /** The remembered account with its token, or null when nothing (readable) is stored. */
  load(): Promise<StoredCredentials | null>;
  /** Forgets this account's token; a no-op when nothing is stored for it. */
  forget(server: string, username: string): Promise<void>;
}

const AccountFile = z.strictObject({ server: z.string().min(1).max(300), username: z.string().min(1).max(64) });
const SecretFile = AccountFile.extend({ token: z.string().min(1).max(1024) });

/** Parses the contents of a file holding an account and its token; null when it is not one. */
export function parseStoredCredentials(value: unknown): StoredCredentials | null {
  const parsed = SecretFile.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The keychain account name of a remembered sign-in. */
export function account(server: string, username: string): string {
  return `${username}@${server}`;
}

/** Token in the OS keychain under `service`; a small non-secret pointer file says which account to resume. */
export class KeychainStore implements CredentialStore {
  readonly backend = 'keytar' as const;

  /**
   * @param service the keychain service name; each program has its own, so two clients never share
   *   (and so never race on) one token.
   * @param pointerFile where the remembered account's server and username are kept (mode 0600).
   */
  constructor(
    private readonly keytar: KeychainPort,
    private readonly service: string,
    private readonly pointerFile: string,
  ) {}

  async save(c: StoredCredentials): Promise<void> {
    await this.keytar.setPassword(this.service, account(c.server, c.username), c.token);
    await writePrivate(this.pointerFile, JSON.stringify({ server: c.server, username: c.username }));
  }

  async load(): Promise<StoredCredentials | null> {
    const parsed = AccountFile.safeParse(await readJson(this.pointerFile));
    if (!parsed.success) return null;
    const token = await this.keytar.getPassword(this.service, account(parsed.data.server, parsed.data.username));
    return token ? { ...parsed.data, token } : null;
  }

  async forget(server: string, username: string): Promise<void> {
    await this.keytar.deletePassword(this.service, account(server, username));
    const current = AccountFile.safeParse(await readJson(this.pointerFile));
    if (current.success && current.data.server === server && current.data.username === username) {
      await rm(this.pointerFile, { force: true });
    }
  }
}

/**
 * The token in a plain JSON file readable only by its owner (0600), for machines
 * without a keychain. Anyone who can act as this user (or read their backups) can
 * use the token until it expires or is revoked; callers say so when saving.
 */
export class PrivateFileStore implements CredentialStore {
  readonly backend = 'file' as const;

  /** @param onLooseMode called when the file was readable by others; its mode is then set to 0600. */
  constructor(
    readonly file: string,
    private readonly onLooseMode?: (file: string) => void,
  ) {}

  async save(c: StoredCredentials): Promise<void> {
    await writePrivate(this.file, JSON.stringify({ server: c.server, username: c.username, token: c.token }));
  }

  async load(): Promise<StoredCredentials | null> {
    try {
      if (((await stat(this.file)).mode & 0o077) !== 0) {
        await chmod(this.file, 0o600);
        this.onLooseMode?.(this.file);
      }
    } catch {
      return null;
    }
    return parseStoredCredentials(await readJson(this.file));
  }

  async forget(server: string, username: string): Promise<void> {
    const current = await this.load();
    if (current === null || (current.server === server && current.username === username)) {
      await rm(this.file, { force: true });
    }
  }
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Writes via a temp file + rename so a crash never leaves half a file; owner-only mode (0600), folder 0700 when created. */
export async function writePrivate(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, file);
}
