// Desktop "Save as": the native dialog (faked at the platform seam) picks the
// path, main downloads the attachment from a real loopback HTTP server into it.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isChatFileUrl, saveFileAs, suggestedName } from '../../../main/file-save';
import type { DialogPort } from '../../../main/platform/seams';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
let server: http.Server;
let base: string;
let dir: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === `/api/files/${ID}`) res.end('file bytes');
    else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(tmpdir(), 'save-as-'));
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  await rm(dir, { recursive: true, force: true });
});

/** A dialog that answers `answer` and records what it suggested. */
function fakeDialog(answer: string | null): DialogPort & { suggested: string[] } {
  const suggested: string[] = [];
  return {
    suggested,
    showSaveDialog: async (name) => {
      suggested.push(name);
      return answer;
    },
  };
}

describe('saveFileAs', () => {
  it('downloads the file to the path chosen in the dialog, suggesting the attachment name', async () => {
    const target = path.join(dir, 'chosen.txt');
    const dialog = fakeDialog(target);
    expect(await saveFileAs(dialog, { url: `${base}/api/files/${ID}`, name: 'notes/../report.txt' })).toBe(true);
    expect(dialog.suggested).toEqual(['report.txt']);
    expect(await readFile(target, 'utf8')).toBe('file bytes');
  });

  it('writes nothing when the dialog is cancelled', async () => {
    const before = await readdir(dir);
    expect(await saveFileAs(fakeDialog(null), { url: `${base}/api/files/${ID}`, name: 'a.txt' })).toBe(false);
    expect(await readdir(dir)).toEqual(before);
  });

  it('rejects a failed download and leaves no partial file', async () => {
    const target = path.join(dir, 'missing.txt');
    await expect(saveFileAs(fakeDialog(target), { url: `${base}/api/files/BBBBBBBBBBBBBBBBBBBBBB`, name: 'm.txt' })).rejects.toThrow(/404/);
    expect((await readdir(dir)).filter((f) => f.includes('missing'))).toEqual([]);
  });

  it('refuses URLs that are not chat server files, before any dialog', async () => {
    const dialog = fakeDialog(path.join(dir, 'x'));
    await expect(saveFileAs(dialog, { url: 'file:///etc/passwd', name: 'x' })).rejects.toThrow();
    expect(dialog.suggested).toEqual([]);
    expect(isChatFileUrl(`${base}/api/files/${ID}/thumbnail?expires=1&sig=x`)).toBe(true);
    expect(isChatFileUrl(`${base}/elsewhere`)).toBe(false);
    expect(suggestedName('..')).toBe('download');
    expect(suggestedName('a:b?.txt')).toBe('a_b_.txt');
  });
});
