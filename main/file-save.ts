// Desktop "Save as" for chat attachments: the native dialog picks where, main
// downloads the file there. The renderer could only offer a download link; the
// dialog lets the person choose the folder and name as in any desktop app.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DialogPort } from './platform/seams';

export interface SaveRequest {
  /** An attachment's absolute URL on a chat server: http(s)://host/api/files/<id>... */
  url: string;
  /** The name to suggest in the dialog. */
  name: string;
}

/** Only files of a chat server, over http(s): main downloads nothing else for the page. */
export function isChatFileUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && /^\/api\/files\/[A-Za-z0-9_-]{22}(\/thumbnail)?$/.test(parsed.pathname);
  } catch {
    return false;
  }
}

/** A suggested file name without folders or characters file systems refuse. */
export function suggestedName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = (name.split(/[/\\]/).pop() ?? '').replace(/[<>:"|?*\u0000-\u001f]/g, '_').trim();
  return clean === '' || clean === '.' || clean === '..' ? 'download' : clean;
}

/**
 * Asks where to save, then downloads into that file (through a temporary file
 * beside it, so a failed download leaves nothing half-written). Resolves false
 * when the dialog was cancelled; rejects when the download fails.
 */
export async function saveFileAs(dialogs: DialogPort, request: SaveRequest, fetchImpl: typeof fetch = fetch): Promise<boolean> {
  if (!isChatFileUrl(request.url)) throw new Error('Only chat server files can be saved');
  const target = await dialogs.showSaveDialog(suggestedName(request.name));
  if (target === null) return false;
  const response = await fetchImpl(request.url);
  if (!response.ok || !response.body) throw new Error(`The server answered ${response.status}`);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.part`);
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(temp));
    await rename(temp, target);
  } finally {
    await rm(temp, { force: true });
  }
  return true;
}
