// "Remember me" in a private file (the client library's Node part, used by the
// terminal client where there is no keychain): real files in a temp dir.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrivateFileStore } from '../../../server/client/node';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chat-file-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ALICE = { server: 'ws://127.0.0.1:4001/ws', username: 'alice', token: 'tok-ABCDEFGHIJKLMNOPQRSTUVWXYZ' };

describe('PrivateFileStore', () => {
  it('writes the token readable only by the user, in a folder only the user can enter, and reads it back', async () => {
    const file = path.join(dir, 'chat', 'credentials.json');
    const store = new PrivateFileStore(file);
    expect(await store.load()).toBeNull();
    await store.save(ALICE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await store.load()).toEqual(ALICE);
    expect(store.backend).toBe('file');
  });

  it('takes group and other access away from a file that has it, and says so', async () => {
    const file = path.join(dir, 'credentials.json');
    await writeFile(file, JSON.stringify(ALICE));
    await chmod(file, 0o644);
    const loose: string[] = [];
    expect(await new PrivateFileStore(file, (f) => loose.push(f)).load()).toEqual(ALICE);
    expect(loose).toEqual([file]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('forgets only the account it holds; a corrupt file reads as nothing', async () => {
    const file = path.join(dir, 'credentials.json');
    const store = new PrivateFileStore(file);
    await store.save(ALICE);
    await store.forget(ALICE.server, 'bob');
    expect(await store.load()).toEqual(ALICE);
    await store.forget(ALICE.server, 'alice');
    expect(await store.load()).toBeNull();
    await writeFile(file, '{"server":', { mode: 0o600 });
    expect(await store.load()).toBeNull();
    await writeFile(file, JSON.stringify({ ...ALICE, extra: 1 }), { mode: 0o600 });
    expect(await store.load()).toBeNull();
    expect(await readFile(file, 'utf8')).toContain('extra');
  });
});
