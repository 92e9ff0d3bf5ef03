// The main window and its security policy: sandboxed renderer, strict CSP, no new
// windows, no navigation away from the app, links opened outside through a scheme
// allow-list, and every permission denied except notifications.
import { APP_INDEX_URL } from './app-protocol';
import type { AppWindow, ShellPort, WindowFactory, WindowPlacement } from './platform/seams';

/**
 * Content Security Policy for the app page: sent with every app:// response (app-protocol.ts)
 * and every response of the window's session; renderer/index.html carries it in a <meta> tag too.
 * `connect-src ws: wss:` is needed by the web client build, which talks to the server
 * directly; in Electron the page talks only to main, but one renderer build serves both.
 * `http: https:` (connect and img) reach the chat server's /api/files for uploads and
 * image previews (the server may be another origin); `blob:` shows a picked file before upload.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: http: https:; connect-src 'self' ws: wss: http: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Schemes handed to the OS when the person clicks a link; everything else is dropped. */
const EXTERNAL_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'mailto:']);

/** Permissions the page may get. Notifications only: no camera, mic, geolocation, etc. */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['notifications']);

/** True when `url` may be opened by the OS (http, https, mailto; no credentials in the URL). */
export function isSafeExternalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return EXTERNAL_SCHEMES.has(parsed.protocol) && parsed.username === '' && parsed.password === '';
}

export function isAllowedPermission(permission: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission);
}

/** Adds (replacing any existing one) the CSP header to a response's headers. */
export function withCsp(headers: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== 'content-security-policy') out[key] = value;
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}

/** The window's size on first start, and its minimum size (CSS pixels). */
export const DEFAULT_SIZE = { width: 1100, height: 720 } as const;
export const MIN_SIZE = { width: 480, height: 360 } as const;

export interface MainWindowOptions {
  windows: WindowFactory;
  shell: ShellPort;
  /** Absolute path of dist/main/preload.cjs. */
  preloadPath: string;
  /** Vite dev server URL (development only) or null to load the built page from app://chat/. */
  devServerUrl: string | null;
  iconPath: string | null;
  /** Size and position (window-state.ts); default 1100x720, placed by the OS. */
  placement?: WindowPlacement;
  /** Load without showing (started at login into the tray). */
  startHidden?: boolean;
  onWarning?: (message: string, err?: unknown) => void;
}

/** Creates the hardened main window and starts loading the renderer. */
export function createMainWindow(options: MainWindowOptions): { window: AppWindow; loaded: Promise<void> } {
  const placement = options.placement ?? { width: DEFAULT_SIZE.width, height: DEFAULT_SIZE.height, maximized: false };
  const window = options.windows.create({
    ...placement,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'Chat',
    preload: options.preloadPath,
    icon: options.iconPath,
    backgroundColor: '#1e1f22',
    startHidden: options.startHidden ?? false,
  });

  // Security: the app never opens a second window. A link with target=_blank (a URL in a
  // chat message) goes to the system browser if its scheme is on the allow-list.
  window.setWindowOpenHandler((url) => {
    if (isSafeExternalUrl(url)) {
      options.shell.openExternal(url).catch((err: unknown) => options.onWarning?.(`Could not open ${url}`, err));
    }
    return { action: 'deny' };
  });

  // Security: the page is a single-page app and must never navigate; a navigation would
  // replace the trusted page (which has the `window.chat` bridge) with arbitrary content.
  window.onWillNavigate((url, prevent) => {
    prevent();
    if (isSafeExternalUrl(url)) {
      options.shell.openExternal(url).catch((err: unknown) => options.onWarning?.(`Could not open ${url}`, err));
    }
  });

  window.onHeadersReceived((headers) => withCsp(headers));
  window.setPermissionHandler((permission) => isAllowedPermission(permission));

  const loaded = window.loadURL(options.devServerUrl ?? APP_INDEX_URL);
  return { window, loaded };
}
