// Which pages may open a WebSocket to this server. Browsers send an Origin header
// that a page cannot forge; without this check any web site a user visits could
// drive their LAN server through the browser (guess passwords, register accounts).
// Native clients (the terminal client, the desktop app's main process, nc-like
// tools) send no Origin and are not affected: they are not confined by one anyway.

/**
 * The desktop app's page (main/app-protocol.ts serves it from `app://chat`). Its
 * sign-in screen asks the server's hello and creates accounts from the page itself.
 */
export const DESKTOP_APP_ORIGIN = 'app://chat';

/**
 * True when an upgrade with this Origin header may proceed: no Origin at all, the
 * desktop app's page, an origin in `allowed` (normalised `scheme://host[:port]`), or
 * an origin naming the host the request was sent to (its Host header; the page was
 * served by this server or by a reverse proxy in front of it).
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    // Includes "null" (sandboxed frames, file:// pages): nothing to match against.
    return false;
  }
  // `URL.origin` is "null" for non-web schemes such as app:, so compare scheme and host.
  if (`${url.protocol}//${url.host}` === DESKTOP_APP_ORIGIN) return true;
  if (allowed.includes(url.origin)) return true;
  if (!hostHeader || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
  try {
    // Parsed with the origin's scheme so a default port (80/443) compares equal whether written or not.
    return new URL(`${url.protocol}//${hostHeader}`).host === url.host;
  } catch {
    return false;
  }
}
