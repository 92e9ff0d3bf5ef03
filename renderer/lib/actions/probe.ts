// What the sign-in screen may ask before anyone is signed in: the server's hello
// (does it allow registration?) and what this client can do.
import { isUnencryptedRemote } from '../../../server/client';
import type { ServerProbe } from '../client/client';
import { client } from './client-ref';

/** Resolves null when the server cannot be reached or this client cannot probe. */
export async function probeServer(server: string): Promise<ServerProbe | null> {
  try {
    return await client().probe(server);
  } catch {
    return null;
  }
}

export function clientInfo(): { rememberHint: string; canRegister: boolean } {
  const c = client();
  return { rememberHint: c.rememberHint, canRegister: c.register !== null };
}

/**
 * True when signing in to what was typed would send the password unencrypted over a network:
 * plain ws:// to a host that is not this machine. The sign-in screen asks before doing it.
 */
export function sendsPasswordInClear(server: string): boolean {
  try {
    return isUnencryptedRemote(client().endpoint(server));
  } catch {
    return false;
  }
}
