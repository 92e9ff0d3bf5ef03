// What an upload goes through before it is stored: the size limit while it
// streams to a temporary file, the media type sniffed from its bytes (never
// the client's word), and for images EXIF orientation applied, metadata
// (GPS position included) stripped, dimensions read and a thumbnail made.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, ProtocolError } from '../protocol';

/**
 * Longest side of a thumbnail, in pixels: twice the 240 CSS px the clients show
 * it at, so it stays sharp on 2x screens. Never larger than the original.
 * Thumbnails made before keep the size they were made at.
 */
const THUMBNAIL_SIZE = 480;

/**
 * Side of the square avatar picture, in pixels. The largest avatar the clients
 * show is 64 CSS px (the web client's Settings); twice that keeps it sharp on
 * 2x screens there, and lists (30-36 CSS px) scale it down. A 128 px WebP is a
 * few KiB, against tens for the 480 px thumbnail avatars used before.
 */
const AVATAR_SIZE = 128;

/** Raster types shown inline and thumbnailed; anything else is a plain file. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

/** Streams `body` to `target`, failing with FILE_TOO_LARGE once more than `limit` bytes came. Resolves the byte count. */
export async function receiveLimited(
  body: AsyncIterable<Uint8Array>,
  target: string,
  limit: number,
  tooLarge: () => ProtocolError = () => new ProtocolError(ErrorCode.FILE_TOO_LARGE, `The file is larger than the limit of ${limit} bytes`),
): Promise<number> {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      size += chunk.length;
      if (size > limit) done(tooLarge());
      else done(null, chunk);
    },
  });
  await pipeline(body, counter, createWriteStream(target, { mode: 0o600 }));
  return size;
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The media type from the file's leading bytes (file-type), or application/octet-stream. */
export async function sniffType(file: string): Promise<string> {
  const { fileTypeFromFile } = await import('file-type');
  return (await fileTypeFromFile(file))?.mime ?? 'application/octet-stream';
}

export interface ProcessedImage {
  /** The file to store: the upload itself, or a re-encoded copy without metadata. */
  content: string;
  width: number;
  height: number;
  /** A WebP thumbnail (at most THUMBNAIL_SIZE on its longest side). */
  thumbnail: string;
}

/**
 * Orients and cleans an image in `dir`. Images that carry EXIF, XMP or IPTC
 * metadata (where cameras put the GPS position) or an orientation are
 * re-encoded upright without any metadata; others are kept byte for byte.
 * Resolves null when sharp cannot read the image (it is then stored as a plain file).
 */
export async function processImage(source: string, dir: string): Promise<ProcessedImage | null> {
  const { default: sharp } = await import('sharp');
  try {
    const meta = await sharp(source).metadata();
    let content = source;
    const tagged = meta.exif !== undefined || meta.xmp !== undefined || meta.iptc !== undefined || (meta.orientation ?? 1) !== 1;
    if (tagged && meta.format !== 'gif') {
      content = join(dir, 'clean');
      // rotate() without arguments applies the EXIF orientation; sharp writes no metadata unless asked to.
      await sharp(source)
        .rotate()
        .toFile(`${content}.${meta.format === 'heif' ? 'avif' : meta.format}`);
      content = `${content}.${meta.format === 'heif' ? 'avif' : meta.format}`;
    }
    const final = await sharp(content).metadata();
    const thumbnail = join(dir, 'thumbnail.webp');
    await sharp(content).rotate().resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toFile(thumbnail);
    const width = final.width;
    const height = final.pageHeight ?? final.height;
    if (!width || !height) return null;
    return { content, width, height, thumbnail };
  } catch {
    return null;
  }
}

/**
 * Writes to `target` the avatar picture of the image `source`: its centre,
 * cropped square (sharp's `cover`), AVATAR_SIZE px a side, WebP; a smaller
 * image gives a smaller square, never enlarged. The first frame of an animation.
 */
export async function makeAvatar(source: string, target: string): Promise<void> {
  const { default: sharp } = await import('sharp');
  const meta = await sharp(source).metadata();
  // Stored images are upright already (processImage applied any orientation); one frame's height for animations.
  const side = Math.min(AVATAR_SIZE, meta.width, meta.pageHeight ?? meta.height);
  await sharp(source).rotate().resize(side, side, { fit: 'cover', position: 'centre' }).webp({ quality: 80 }).toFile(target);
}
