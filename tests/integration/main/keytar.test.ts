// The real OS keychain through keytar: set, get and delete a token. Needs a Secret
// Service (D-Bus session + unlocked keyring); run it as
//   dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets; npx vitest run tests/integration/main/keytar.test.ts'
// Without one it is skipped with the reason, unless CHAT_TEST_REQUIRE_KEYCHAIN=1 (CI), where it fails.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { account, createCredentialStore, KEYCHAIN_SERVICE } from '../../../main/credentials';
import { loadKeytar } from '../../../main/platform/keytar';
import type { KeytarPort } from '../../../main/platform/seams';
import { FakeSafeStorage } from '../../unit/main/fakes';

/** Loads keytar and makes one real call; returns why the keychain is unusable, or null. */
async function probe(): Promise<{ keytar: KeytarPort | null; reason: string | null }> {
  let loadError: unknown = null;
  const keytar = await loadKeytar((err) => (loadError = err));
  if (!keytar) return { keytar: null, reason: `keytar did not load: ${String(loadError)}` };
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) return { keytar, reason: 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset)' };
  try {
    await keytar.getPassword(KEYCHAIN_SERVICE, `probe-${randomUUID()}`);
    return { keytar, reason: null };
  } catch (err) {
    return { keytar, reason: `no Secret Service keychain reachable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const { keytar, reason } = await probe();
const required = process.env.CHAT_TEST_REQUIRE_KEYCHAIN === '1';
const skip = reason !== null && !required;
if (skip) console.warn(`[keytar.test] skipped: ${reason} (set CHAT_TEST_REQUIRE_KEYCHAIN=1 to make this a failure)`);

describe('OS keychain via keytar', () => {
  it.skipIf(skip)(`stores, reads and deletes a token${skip ? ` — SKIPPED: ${reason}` : ''}`, async () => {
    if (reason !== null) throw new Error(`CHAT_TEST_REQUIRE_KEYCHAIN=1 but the keychain is unusable: ${reason}`);
    const acct = account(`test-${randomUUID()}.invalid:4001`, 'alice');
    const token = `tok-${randomUUID()}`;
    try {
      await keytar!.setPassword(KEYCHAIN_SERVICE, acct, token);
      expect(await keytar!.getPassword(KEYCHAIN_SERVICE, acct)).toBe(token);
      expect(await keytar!.deletePassword(KEYCHAIN_SERVICE, acct)).toBe(true);
      expect(await keytar!.getPassword(KEYCHAIN_SERVICE, acct)).toBeNull();
    } finally {
      await keytar!.deletePassword(KEYCHAIN_SERVICE, acct).catch(() => false);
    }
  });

  it.skipIf(skip)(`the credential store picks keytar and round-trips through it${skip ? ` — SKIPPED: ${reason}` : ''}`, async () => {
    if (reason !== null) throw new Error(`CHAT_TEST_REQUIRE_KEYCHAIN=1 but the keychain is unusable: ${reason}`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chat-keychain-'));
    const server = `test-${randomUUID()}.invalid:4001`;
    try {
      const store = await createCredentialStore({ dir, loadKeytar: () => loadKeytar(), safeStorage: new FakeSafeStorage() });
      expect(store.backend).toBe('keytar');
      await store.save({ server, username: 'bob', token: 'tok-0123456789abcdef' });
      expect(await keytar!.getPassword(KEYCHAIN_SERVICE, account(server, 'bob'))).toBe('tok-0123456789abcdef');
      expect(await store.load()).toEqual({ server, username: 'bob', token: 'tok-0123456789abcdef' });
      await store.forget(server, 'bob');
      expect(await keytar!.getPassword(KEYCHAIN_SERVICE, account(server, 'bob'))).toBeNull();
    } finally {
      await keytar!.deletePassword(KEYCHAIN_SERVICE, account(server, 'bob')).catch(() => false);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
