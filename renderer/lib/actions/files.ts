// File attachments from the UI's side: uploading what was picked, dropped or
// pasted (POST /api/files with a bearer token, progress, cancel, retry),
// links to stored files, and saving a file (a native "Save as" on the desktop).
import { MAX_ATTACHMENTS, type Attachment } from '../../../server/protocol';
import { notices } from '../state/notices.svelte';
import { session } from '../state/session.svelte';
import { PendingUpload, uploads } from '../state/uploads.svelte';
import { client } from './client-ref';

let token: { owner: string; value: string } | null = null;

/** The bearer token for /api/files, asked once per server and user with `file-token` (logout revokes it). */
async function fileToken(base: string, fresh = false): Promise<string> {
  const owner = `${session.username ?? ''}@${base}`;
  if (!fresh && token?.owner === owner) return token.value;
  const { token: value } = await client().request({ type: 'file-token' });
  token = { owner, value };
  return value;
}

/** An absolute URL for a path the server gave (attachment url / thumbnailUrl). */
export function fileUrl(path: string): string {
  const base = client().fileBase();
  return base === null || /^https?:/.test(path) ? path : `${base}${path}`;
}

/** True where files are saved through a native dialog (the desktop app). */
export function canSaveAs(): boolean {
  return client().saveFile !== null;
}

/** Desktop: asks where to save the file and downloads it there. */
export async function saveAttachment(file: Attachment): Promise<void> {
  const save = client().saveFile;
  if (!save) return;
  try {
    if (await save(fileUrl(file.url), file.name)) notices.info(`Saved ${file.name}.`);
  } catch (err) {
    notices.error(`Could not save ${file.name}: ${(err as Error).message}`);
  }
}

/** Images get a local preview until the upload is done. */
function previewOf(file: File): string | null {
  return /^image\/(png|jpeg|gif|webp|avif)$/.test(file.type) ? URL.createObjectURL(file) : null;
}

/** Starts uploading `files` (picked, dropped or pasted) for the next message. */
export function addFiles(files: readonly File[]): void {
  const room = MAX_ATTACHMENTS - uploads.items.length;
  if (files.length > room) notices.error(`A message can carry at most ${MAX_ATTACHMENTS} files.`);
  const added = files.slice(0, Math.max(0, room)).map((f) => new PendingUpload(f, previewOf(f)));
  uploads.items = [...uploads.items, ...added];
  for (const u of added) void run(u);
}

export function retryUpload(u: PendingUpload): void {
  if (u.status !== 'failed') return;
  void run(u);
}

export function cancelUpload(u: PendingUpload): void {
  u.abort?.();
  if (u.preview) URL.revokeObjectURL(u.preview);
  uploads.items = uploads.items.filter((x) => x !== u);
}

/** After the message went out: forget the finished uploads. */
export function clearUploads(): void {
  for (const u of uploads.items) if (u.preview) URL.revokeObjectURL(u.preview);
  uploads.items = [];
}

/** Uploads one file on its own, not for a message (a profile picture); resolves the server's record or rejects with why it failed. */
export async function uploadFile(file: File): Promise<Attachment> {
  const u = new PendingUpload(file, null);
  await run(u);
  if (u.status !== 'done' || !u.result) throw new Error(u.error ?? 'Upload failed');
  return u.result;
}

async function run(u: PendingUpload, retried = false): Promise<void> {
  u.status = 'uploading';
  u.progress = 0;
  u.error = null;
  const base = client().fileBase();
  if (base === null) {
    u.status = 'failed';
    u.error = 'Not signed in';
    return;
  }
  try {
    const bearer = await fileToken(base, retried);
    const outcome = await post(u, `${base}/api/files`, bearer);
    if (outcome === 'cancelled') return;
    if (outcome.status === 401 && !retried) return run(u, true);
    if (outcome.status !== 201) {
      u.status = 'failed';
      u.error = outcome.error ?? `Upload failed (HTTP ${outcome.status})`;
      return;
    }
    u.result = outcome.body;
    u.progress = 1;
    u.status = 'done';
  } catch (err) {
    u.status = 'failed';
    u.error = (err as Error).message || 'Upload failed';
  }
}

type PostOutcome = 'cancelled' | { status: number; body: Attachment; error: string | null };

/** XMLHttpRequest rather than fetch: it reports upload progress. */
function post(u: PendingUpload, url: string, bearer: string): Promise<PostOutcome> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    u.abort = () => xhr.abort();
    xhr.open('POST', url);
    xhr.setRequestHeader('Authorization', `Bearer ${bearer}`);
    xhr.setRequestHeader('X-File-Name', encodeURIComponent(u.file.name || 'pasted-file'));
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) u.progress = e.loaded / e.total;
    };
    xhr.onload = () => {
      u.abort = null;
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON (a proxy's error page): the status says enough.
      }
      const error = (body as { error?: { message?: string } } | null)?.error?.message ?? null;
      resolve({ status: xhr.status, body: body as Attachment, error });
    };
    xhr.onerror = () => {
      u.abort = null;
      reject(new Error('The server could not be reached'));
    };
    xhr.onabort = () => resolve('cancelled');
    xhr.send(u.file);
  });
}
