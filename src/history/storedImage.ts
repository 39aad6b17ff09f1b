import type { ImageLabel } from '../shared/protocol';
import type { ImageMime } from '../shared/images';

/** An image that went with a question: its preview and size here, its bytes in `ImageBlobs` under `hash`. */
export type StoredImage = ImageLabel;

const MIMES: readonly ImageMime[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/**
 * The images of a stored message. An entry that does not check is dropped rather than making the whole
 * conversation unreadable: a lost preview costs less than a lost conversation.
 */
export function checkImages(v: unknown): StoredImage[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const ok = (v as Array<Record<string, unknown>>).filter(
    (i) =>
      typeof i === 'object' &&
      i !== null &&
      typeof i.hash === 'string' &&
      /^[0-9a-f]{64}$/.test(i.hash) &&
      MIMES.includes(i.mimeType as ImageMime) &&
      typeof i.thumb === 'string' &&
      i.thumb.startsWith('data:image/') &&
      [i.width, i.height, i.tokens].every((n) => typeof n === 'number' && Number.isFinite(n)),
  );
  return ok.length
    ? ok.map((i) => ({
        hash: i.hash as string,
        mimeType: i.mimeType as ImageMime,
        width: i.width as number,
        height: i.height as number,
        thumb: i.thumb as string,
        tokens: i.tokens as number,
      }))
    : undefined;
}
