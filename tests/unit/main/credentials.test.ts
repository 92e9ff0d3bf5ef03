// The credential store's fallback order (keytar → safeStorage → none) with fake seams,
// and what each backend writes to disk (real files in a temp dir): never a plain token.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCredentialStore, KEYCHAIN_SERVICE } from '../../../main/credentials';
import { FakeKeytar, FakeSafeStorage } from './fakes';

const TOKEN = 'tok-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-cred-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function make(keytar: FakeKeytar | null, safe = new FakeSafeStorage()) {
  const skipped: string[] = [];
  return {
    skipped,
    store: createCredentialStore({ dir, loadKeytar: async () => keytar, safeStorage: safe, onSkip: (b, reason) => skipped.push(`${b}: ${reason}`) }),
  };
}

async function filesContain(text: string): Promise<boolean> {
  for (const f of await readdir(dir)) {
    if ((await readFile(path.join(dir, f), 'utf8')).includes(text)) return true;
  }
  return false;
}

describe('backend choice', () => {
  it('uses keytar when it loads and the keychain answers', async () => {
    const { store, skipped } = make(new FakeKeytar());
    expect((await store).backend).toBe('keytar');
    expect(skipped).toEqual([]);
  });

  it('falls back to safeStorage when keytar is missing or the keychain is unreachable', async () => {
    expect((await make(null).store).backend).toBe('safe-storage');
    const broken = new FakeKeytar();
    broken.broken = true;
    const { store, skipped } = make(broken);
    expect((await store).backend).toBe('safe-storage');
    expect(skipped[0]).toMatch(/^keytar: keychain not reachable/);
  });

  it("falls back to none without encryption, or with Linux's plain-text safeStorage", async () => {
    const off = new FakeSafeStorage();
    off.available = false;
    expect((await make(null, off).store).backend).toBe('none');
    const basic = new FakeSafeStorage();
    basic.selected = 'basic_text';
    const { store, skipped } = make(null, basic);
    expect((await store).backend).toBe('none');
    expect(skipped).toContain('safe-storage: only the plain-text fallback is available');
  });
});

describe('keytar backend', () => {
  it('keeps the token in the keychain under username@server and only a pointer on disk', async () => {
    const keytar = new FakeKeytar();
    const store = await make(keytar).store;
    expect(await store.load()).toBeNull();
    await store.save({ server: 'chat.lan:4001', username: 'alice', token: TOKEN });
    expect(keytar.items.get(`${KEYCHAIN_SERVICE}/alice@chat.lan:4001`)).toBe(TOKEN);
    expect(await filesContain(TOKEN)).toBe(false);
    expect(await store.load()).toEqual({ server: 'chat.lan:4001', username: 'alice', token: TOKEN });
    await store.forget('other:1', 'alice'); // another account: no effect
    expect(await store.load()).not.toBeNull();
    await store.forget('chat.lan:4001', 'alice');
    expect(await store.load()).toBeNull();
    expect(keytar.items.size).toBe(0);
  });
});

describe('safeStorage backend', () => {
  it('writes only ciphertext, reads it back, and forgets it', async () => {
    const store = await make(null).store;
    await store.save({ server: 'chat.lan:4001', username: 'bob', token: TOKEN });
    expect(await filesContain(TOKEN)).toBe(false);
    expect(await store.load()).toEqual({ server: 'chat.lan:4001', username: 'bob', token: TOKEN });
    await store.forget('chat.lan:4001', 'bob');
    expect(await store.load()).toBeNull();
  });

  it('treats an undecryptable or tampered file as nothing stored', async () => {
    const store = await make(null).store;
    await writeFile(path.join(dir, 'credentials.bin'), 'garbage');
    expect(await store.load()).toBeNull();
    const safe = new FakeSafeStorage();
    await writeFile(path.join(dir, 'credentials.bin'), safe.encryptString(JSON.stringify({ server: 's', username: 'x', token: '' })));
    expect(await store.load()).toBeNull();
  });
});

describe('none backend', () => {
  it('remembers nothing', async () => {
    const off = new FakeSafeStorage();
    off.available = false;
    const store = await make(null, off).store;
    await store.save({ server: 's:1', username: 'alice', token: TOKEN });
    expect(await store.load()).toBeNull();
    expect(await readdir(dir)).toEqual([]);
  });
});
