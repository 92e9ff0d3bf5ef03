// Where the terminal client remembers a sign-in: the OS keychain when keytar
// loads and a Secret Service answers (as the desktop app does), otherwise a
// JSON file in the config folder readable only by the user (0600), with a
// warning. Either way only the server-issued token is kept, never the password.
import path from 'node:path';
import { KeychainStore, loadKeytar, openKeychain, PrivateFileStore, type CredentialStore } from '../client/node';

/** The keychain service of the terminal client (the desktop app has its own: they never share a token). */
export const TERMINAL_KEYCHAIN_SERVICE = 'chat-terminal';

/** The file that holds the token when there is no keychain. */
export function credentialsFile(configDir: string): string {
  return path.join(configDir, 'credentials.json');
}

export interface TerminalCredentials {
  store: CredentialStore;
  /** Why the token is kept in a file rather than the keychain (null when the keychain is used). */
  whyFile: string | null;
}

/**
 * The keychain store when `useKeychain` and a keychain works, else the private file.
 * `warn` hears when the file was found readable by others (its mode is then set back to 0600).
 */
export async function openCredentialStore(configDir: string, useKeychain: boolean, warn: (message: string) => void): Promise<TerminalCredentials> {
  let whyFile = '--no-keychain';
  if (useKeychain) {
    const keychain = await openKeychain(
      TERMINAL_KEYCHAIN_SERVICE,
      () => loadKeytar(),
      (reason) => (whyFile = reason),
    );
    if (keychain) return { store: new KeychainStore(keychain, TERMINAL_KEYCHAIN_SERVICE, path.join(configDir, 'account.json')), whyFile: null };
  }
  const store = new PrivateFileStore(credentialsFile(configDir), (file) => warn(`${file} was readable by others; it is now readable only by you (mode 0600).`));
  return { store, whyFile };
}
