// The main window and its security policy: sandboxed renderer, strict CSP, no new
// windows, no navigation away from the app, links opened outside through a scheme
// allow-list, and every permission denied except notifications.
import path from 'node:path';
import type { AppWindow, ShellPort, WindowFactory } from './platform/seams';

/**
 * Content Security Policy for the app page. renderer/index.html carries the same string
 * in a <meta> tag (that copy also covers file:// loads, where no HTTP headers exist).
 * `connect-src ws: wss:` is needed by the web client build, which talks to the server
 * directly; in Electron the page talks only to main, but one renderer build serves both.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

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

export interface MainWindowOptions {
  windows: WindowFactory;
  shell: ShellPort;
  /** Absolute path of dist/main/preload.cjs. */
  preloadPath: string;
  /** Absolute path of dist/renderer/index.html. */
  rendererIndexPath: string;
  /** Vite dev server URL (development only) or null to load the built file. */
  devServerUrl: string | null;
  iconPath: string | null;
  onWarning?: (message: string, err?: unknown) => void;
}

/** Creates the hardened main window and starts loading the renderer. */
export function createMainWindow(options: MainWindowOptions): { window: AppWindow; loaded: Promise<void> } {
  const window = options.windows.create({
    width: 1100,
    height: 720,
    minWidth: 480,
    minHeight: 360,
    title: 'Chat',
    preload: options.preloadPath,
    icon: options.iconPath,
    backgroundColor: '#1e1f22',
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

  const loaded = options.devServerUrl ? window.loadURL(options.devServerUrl) : window.loadFile(path.resolve(options.rendererIndexPath));
  return { window, loaded };
}
