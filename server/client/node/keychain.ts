// The OS keychain through keytar, an optionalDependency with a native module: it
// may be missing or built for another ABI, so it is imported lazily and every
// failure means "no keychain". Electron main and the terminal client share it.

/** What the credential stores need from keytar. */
export interface KeychainPort {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

/** Returns keytar's API, or null (with the reason passed to `onError`) when it cannot load. */
export async function loadKeytar(onError?: (err: unknown) => void): Promise<KeychainPort | null> {
  try {
    // esbuild (format cjs, keytar external) turns this into a lazy require().
    // CJS interop: the functions sit on the namespace or on its `default`, depending on the
    // loader; Node's ESM loader may find only some of them as named exports (it did for
    // getPassword alone), so take whichever object has all three.
    const mod = (await import('keytar')) as unknown as Partial<KeychainPort> & { default?: Partial<KeychainPort> };
    const api = [mod, mod.default].find(
      (c): c is KeychainPort => typeof c?.getPassword === 'function' && typeof c.setPassword === 'function' && typeof c.deletePassword === 'function',
    );
    if (!api) throw new Error('keytar loaded without its API');
    return {
      getPassword: (s, a) => api.getPassword(s, a),
      setPassword: (s, a, p) => api.setPassword(s, a, p),
      deletePassword: (s, a) => api.deletePassword(s, a),
    };
  } catch (err) {
    onError?.(err);
    return null;
  }
}

/**
 * Loads keytar and makes one real call under `service`. Loading is not enough: without
 * a Secret Service (no D-Bus session, locked or missing keyring) every call rejects.
 * Resolves null, with the reason passed to `onUnusable`, when the keychain can't be used.
 */
export async function openKeychain(
  service: string,
  load: () => Promise<KeychainPort | null>,
  onUnusable?: (reason: string) => void,
): Promise<KeychainPort | null> {
  const keytar = await load();
  if (!keytar) {
    onUnusable?.('keytar could not be loaded');
    return null;
  }
  try {
    await keytar.getPassword(service, '__probe__');
    return keytar;
  } catch (err) {
    onUnusable?.(`keychain not reachable: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}
