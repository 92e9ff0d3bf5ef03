// The window's security policy, checked through a fake window seam: hardened creation,
// CSP on every response, new windows denied, navigation blocked, links opened outside
// only for allowed schemes, and only the notifications permission granted.
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, createMainWindow, isAllowedPermission, isSafeExternalUrl, withCsp } from '../../../main/window';
import { FakeShell, FakeWindowFactory, type FakeWindow } from './fakes';

function open(devServerUrl: string | null = null) {
  const windows = new FakeWindowFactory();
  const shell = new FakeShell();
  createMainWindow({
    windows,
    shell,
    preloadPath: '/app/dist/main/preload.cjs',
    devServerUrl,
    iconPath: null,
  });
  return { window: windows.created[0] as FakeWindow, shell };
}

describe('main window policy', () => {
  it('loads the built renderer from app://chat/ (never file://) with the preload', () => {
    const { window } = open();
    expect(window.options.preload).toBe('/app/dist/main/preload.cjs');
    expect(window.loadedUrl).toBe('app://chat/index.html');
    expect(open('http://localhost:5173/').window.loadedUrl).toBe('http://localhost:5173/');
  });

  it('opens at the given placement, or 1100x720 placed by the OS, never below the minimum size', () => {
    const { window } = open();
    expect(window.options).toMatchObject({ width: 1100, height: 720, maximized: false, minWidth: 480, minHeight: 360, startHidden: false });
    expect(window.options.x).toBeUndefined();
    const windows = new FakeWindowFactory();
    createMainWindow({
      windows,
      shell: new FakeShell(),
      preloadPath: '/p.cjs',
      devServerUrl: null,
      iconPath: null,
      placement: { x: -1200, y: 40, width: 900, height: 700, maximized: true },
      startHidden: true,
    });
    expect(windows.created[0]!.options).toMatchObject({ x: -1200, y: 40, width: 900, height: 700, maximized: true, startHidden: true });
  });

  it('denies every new window and sends safe links to the OS', async () => {
    const { window, shell } = open();
    expect(window.openHandler!('https://example.org/page')).toEqual({ action: 'deny' });
    expect(window.openHandler!('file:///etc/passwd')).toEqual({ action: 'deny' });
    expect(window.openHandler!('javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(window.openHandler!('mailto:bob@example.org')).toEqual({ action: 'deny' });
    await Promise.resolve();
    expect(shell.opened).toEqual(['https://example.org/page', 'mailto:bob@example.org']);
  });

  it('blocks every navigation', () => {
    const { window, shell } = open();
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'smb://host/share']) {
      let prevented = false;
      window.navigateHandler!(url, () => {
        prevented = true;
      });
      expect(prevented).toBe(true);
    }
    expect(shell.opened).toEqual(['https://evil.example/']);
  });

  it('sets the CSP on responses, replacing any other CSP header', () => {
    const { window } = open();
    const out = window.headersRewrite!({ 'content-security-policy': ['default-src *'], 'X-Other': ['1'] }, 'file:///app/index.html');
    expect(out).toEqual({ 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    expect(withCsp({})).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  it('grants notifications only', () => {
    const { window } = open();
    expect(window.permissionHandler!('notifications', 'file:///app')).toBe(true);
    for (const p of ['media', 'geolocation', 'openExternal', 'clipboard-read', 'display-capture', 'unknown']) {
      expect(window.permissionHandler!(p, 'file:///app')).toBe(false);
    }
    expect(isAllowedPermission('fullscreen')).toBe(false);
  });

  it('external URL allow-list', () => {
    expect(isSafeExternalUrl('https://example.org')).toBe(true);
    expect(isSafeExternalUrl('http://example.org')).toBe(true);
    expect(isSafeExternalUrl('https://user:pw@example.org')).toBe(false);
    expect(isSafeExternalUrl('file:///C:/Windows/system32/calc.exe')).toBe(false);
    expect(isSafeExternalUrl('ms-msdt:/id')).toBe(false);
    expect(isSafeExternalUrl('not a url')).toBe(false);
  });
});
