// chat:// deep links: parsed and validated here, whatever delivered them (the command line
// on Windows and Linux, open-url on macOS, a second launch handing its argv to the first),
// then queued until the page is ready and handed to it over IPC.
//   chat://open?user=NAME      open the conversation with NAME
//   chat://open?group=NAME     open the group NAME
//   chat://join?server=ADDR    show sign-in for ADDR (host:port, [v6]:port, or a ws:// / wss:// URL)
import { GroupName, Username } from '../server/protocol';
import type { DeepLink } from './ipc/contract';

export const DEEP_LINK_SCHEME = 'chat';
/** Longer links are refused unread: no valid link comes close. */
export const MAX_DEEP_LINK_LENGTH = 2048;

const HOST_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** True for `host:port` (port 1-65535) and for ws:// or wss:// URLs without credentials. */
export function isJoinableServer(server: string): boolean {
  if (server.length > 300) return false;
  const hostPort = HOST_PORT.exec(server);
  if (hostPort) {
    const port = Number(hostPort[1]);
    return port >= 1 && port <= 65_535;
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return false;
  }
  return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== '' && url.username === '' && url.password === '';
}

/**
 * The DeepLink for a chat:// URL, or null when it is not one of the documented forms:
 * exactly one known parameter, a valid user / group name or server address. A trailing
 * slash after the action (chat://open/?user=bob, as some launchers write it) is accepted.
 */
export function parseDeepLink(raw: string): DeepLink | null {
  if (raw.length > MAX_DEEP_LINK_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== `${DEEP_LINK_SCHEME}:` || (url.pathname !== '' && url.pathname !== '/') || url.hash !== '') return null;
  if (url.username !== '' || url.password !== '' || url.port !== '') return null;
  const params = [...url.searchParams];
  if (params.length !== 1) return null;
  const [key, value] = params[0]!;
  const action = url.hostname.toLowerCase();
  if (action === 'open' && key === 'user' && Username.safeParse(value).success) return { kind: 'open', user: value };
  if (action === 'open' && key === 'group' && GroupName.safeParse(value).success) return { kind: 'open', group: value };
  if (action === 'join' && key === 'server' && isJoinableServer(value)) return { kind: 'join', server: value };
  return null;
}

/** The first chat:// argument of a command line (Windows and Linux pass the link as an argument). */
export function deepLinkInArgv(argv: readonly string[]): string | null {
  return argv.find((arg) => arg.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}:`)) ?? null;
}

export interface DeepLinkRouterOptions {
  /** Sends a link to the page (link:open). */
  deliver: (link: DeepLink) => void;
  /** Brings the window to the front: a link is something the person just clicked. */
  reveal: () => void;
  /** A refused link, for the log. */
  onRejected?: (raw: string) => void;
  /** Links kept while the page is not ready; older ones are dropped. Default 10. */
  maxPending?: number;
}

/**
 * Holds links until the page says it is ready (links:take), then delivers each at once.
 * The page calls take() after subscribing to pushes, so nothing is lost or delivered twice.
 * A reload (or a new window) calls take() again; `pageGone()` goes back to queueing.
 */
export class DeepLinkRouter {
  private pending: DeepLink[] = [];
  private ready = false;

  constructor(private readonly options: DeepLinkRouterOptions) {}

  /** Accepts a raw link from any source; invalid ones are logged and ignored. */
  accept(raw: string): void {
    const link = parseDeepLink(raw);
    if (!link) {
      this.options.onRejected?.(raw.slice(0, 200));
      return;
    }
    this.options.reveal();
    if (this.ready) {
      this.options.deliver(link);
      return;
    }
    this.pending.push(link);
    const max = this.options.maxPending ?? 10;
    if (this.pending.length > max) this.pending.splice(0, this.pending.length - max);
  }

  /** The page is ready: returns the queued links (oldest first) and delivers later ones directly. */
  take(): DeepLink[] {
    this.ready = true;
    const links = this.pending;
    this.pending = [];
    return links;
  }

  /** The page went away (window closed or reloading): queue again until the next take(). */
  pageGone(): void {
    this.ready = false;
  }
}
