// Files picked, dropped or pasted for the next message: each uploads at once
// (with progress), can be cancelled or retried, and goes out with the message
// once it is done. Updated only by lib/actions/files.ts.
import type { Attachment } from '../../../server/protocol';

export type UploadStatus = 'uploading' | 'done' | 'failed';

let counter = 0;

export class PendingUpload {
  readonly key = `u${++counter}`;
  status = $state<UploadStatus>('uploading');
  /** 0..1 of the bytes sent. */
  progress = $state(0);
  error = $state<string | null>(null);
  /** The server's record once uploaded. */
  result = $state<Attachment | null>(null);
  /** Stops the request in flight (set while uploading). */
  abort: (() => void) | null = null;

  constructor(
    readonly file: File,
    /** A local object URL showing an image before it is uploaded; null for other files. */
    readonly preview: string | null,
  ) {}
}

class UploadsState {
  items = $state<PendingUpload[]>([]);
  /** True while some upload is still running or failed: the message waits. */
  readonly unfinished = $derived(this.items.some((u) => u.status !== 'done'));
  readonly doneIds = $derived(this.items.flatMap((u) => (u.status === 'done' && u.result ? [u.result.id] : [])));
}

export const uploads = new UploadsState();
