// Loads keytar, an optionalDependency with a native module: it may be missing or built
// for another ABI, so it is imported lazily and every failure means "no keytar".
import type { KeytarPort } from './seams';

/** Returns keytar's API, or null (with the reason passed to `onError`) when it cannot load. */
export async function loadKeytar(onError?: (err: unknown) => void): Promise<KeytarPort | null> {
  try {
    // esbuild (format cjs, keytar external) turns this into a lazy require().
    // CJS interop: the functions sit on the namespace or on its `default`, depending on the loader.
    const mod = (await import('keytar')) as unknown as Partial<KeytarPort> & { default?: Partial<KeytarPort> };
    const api = typeof mod.getPassword === 'function' ? mod : (mod.default ?? {});
    const { getPassword, setPassword, deletePassword } = api;
    if (typeof getPassword !== 'function' || typeof setPassword !== 'function' || typeof deletePassword !== 'function') {
      throw new Error('keytar loaded without its API');
    }
    return {
      getPassword: (s, a) => getPassword(s, a),
      setPassword: (s, a, p) => setPassword(s, a, p),
      deletePassword: (s, a) => deletePassword(s, a),
    };
  } catch (err) {
    onError?.(err);
    return null;
  }
}
