// What "Remember me" does in the desktop app, said beside the checkbox: it depends
// on the credential store main found (keychain, safeStorage, or none at all).
import type { ChatBridge, CredentialBackend } from '../../../main/ipc/contract';

/** The hint for each of main's credential stores. */
export const REMEMBER_HINTS: Record<CredentialBackend, string> = {
  keytar: "Stores a sign-in token in your system's keychain, never your password.",
  'safe-storage': "Stores a sign-in token (never your password), encrypted with your system's key.",
  none: "Not available here: this computer has no keychain or encrypted storage, so you'll sign in again next time.",
};

/**
 * Asks main for its credential store and returns the current hint (the keychain's
 * until main answers). Main picks its store before the page loads, and the client
 * asks as it is created, before `resume`, so the answer is in before the sign-in
 * form (which waits for `resume`) shows.
 */
export function rememberHintFrom(bridge: Pick<ChatBridge, 'appInfo'>): () => string {
  let store: CredentialBackend = 'keytar';
  bridge.appInfo().then(
    (result) => {
      if (result.ok) store = result.value.credentialStore;
    },
    () => undefined,
  );
  return () => REMEMBER_HINTS[store];
}
