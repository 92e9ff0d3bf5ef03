// The desktop sign-in form's "Remember me" hint follows the credential store main
// reports over the preload bridge (the Electron seam, faked here), and says plainly
// when main has neither keytar nor safeStorage and so remembers nothing.
import { describe, expect, it } from 'vitest';
import type { AppInfo, ChatBridge, CredentialBackend } from '../../../main/ipc/contract';
import { REMEMBER_HINTS, rememberHintFrom } from '../../../renderer/lib/client/remember-hint';

function bridgeWith(credentialStore: CredentialBackend): Pick<ChatBridge, 'appInfo'> {
  const info: AppInfo = { version: '0.0.0', platform: 'linux', credentialStore };
  return { appInfo: () => Promise.resolve({ ok: true, value: info }) };
}

describe('the "Remember me" hint of the desktop app', () => {
  it.each(['keytar', 'safe-storage', 'none'] as const)("follows main's credential store (%s)", async (backend) => {
    const hint = rememberHintFrom(bridgeWith(backend));
    await expect.poll(hint).toBe(REMEMBER_HINTS[backend]);
  });

  it('says nothing is remembered when main has no credential store', async () => {
    const hint = rememberHintFrom(bridgeWith('none'));
    await expect.poll(hint).toMatch(/^Not available here/);
    expect(hint()).not.toContain('Stores');
  });

  it("keeps the keychain's hint when main cannot answer", async () => {
    const hint = rememberHintFrom({ appInfo: () => Promise.reject(new Error('bridge gone')) });
    await Promise.resolve();
    expect(hint()).toBe(REMEMBER_HINTS.keytar);
  });
});
