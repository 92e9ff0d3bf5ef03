// Helpers for file-attachment tests: sample images made with sharp, and HTTP
// upload/download calls against a node's HTTP port.
import sharp from 'sharp';
import type { Attachment } from '../../server/protocol';

/** A PNG of the given size, one colour. */
export function pngBytes(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .png()
    .toBuffer();
}

/** A JPEG stored sideways (EXIF orientation 6: shown rotated 90°) with a GPS position in its EXIF. */
export function sidewaysJpegWithGps(width = 80, height = 40): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .jpeg()
    .withExif({ IFD0: { Make: 'TestCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1' } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

export interface UploadResponse {
  status: number;
  body: Attachment & { error?: { code: string; message: string } };
  headers: Headers;
}

/** POST /api/files. `token` null sends no Authorization header. */
export async function upload(
  base: string,
  token: string | null,
  name: string,
  bytes: Uint8Array | string,
  extra: Record<string, string> = {},
): Promise<UploadResponse> {
  const headers: Record<string, string> = { 'x-file-name': encodeURIComponent(name), ...extra };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/api/files`, { method: 'POST', headers, body: bytes });
  return { status: res.status, body: (await res.json()) as UploadResponse['body'], headers: res.headers };
}

/** GET a file path (as in an attachment's url), with a token or none. */
export async function download(
  base: string,
  path: string,
  token: string | null,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${base}${path}`, { headers: token === null ? headers : { ...headers, authorization: `Bearer ${token}` } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

/** An attachment url without its signature: the path that needs a bearer token. */
export function unsigned(url: string): string {
  return url.split('?')[0]!;
}
