import { fitWithin, imageProblem, MAX_IMAGE_BASE64, MAX_IMAGE_SIDE, sniffImage, type ImageMime } from '../../shared/images';
import type { ImageInput } from '../../shared/protocol';

/** The preview's longer side: twice the chip's size, for high-DPI screens. */
const THUMB_SIDE = 128;

/**
 * A file as it goes to the model: its kind sniffed from its bytes (a clipboard's or a name's claim is not
 * trusted), decoded by the browser, scaled down when its longer side is over MAX_IMAGE_SIDE (or it is too
 * heavy to send), with a small preview. Returns why not, in words for the user, when it cannot go.
 */
export async function prepareImage(file: Blob, name: string): Promise<ImageInput | string> {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const kind = sniffImage(head);
  const problem = imageProblem(name, file.size, kind);
  if (problem || !kind) return problem ?? `${name} is not an image.`;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return `${name} could not be read as an image.`;
  }
  try {
    const tooHeavy = Math.ceil(file.size / 3) * 4 > MAX_IMAGE_BASE64;
    const needsScaling = Math.max(bitmap.width, bitmap.height) > MAX_IMAGE_SIDE || tooHeavy;
    const size = fitWithin(bitmap.width, bitmap.height, needsScaling ? MAX_IMAGE_SIDE : Infinity);
    let bytes: Blob = file;
    let mimeType: ImageMime = kind;
    if (needsScaling) {
      // A GIF is re-encoded as PNG (its first frame): browsers cannot encode GIF.
      mimeType = kind === 'image/gif' ? 'image/png' : kind;
      bytes = await draw(bitmap, size, mimeType, 0.9);
      if (Math.ceil(bytes.size / 3) * 4 > MAX_IMAGE_BASE64) bytes = await draw(bitmap, size, (mimeType = 'image/jpeg'), 0.85);
    }
    const data = await base64Of(bytes);
    if (data.length > MAX_IMAGE_BASE64) return `${name} is too large to send, even scaled down.`;
    // The encoder may not do WebP (then it gives PNG): the preview's type is whatever came back.
    const thumb = await dataUrlOf(await draw(bitmap, fitWithin(bitmap.width, bitmap.height, THUMB_SIDE), 'image/webp', 0.8));
    return { mimeType, data, width: size.width, height: size.height, thumb };
  } finally {
    bitmap.close();
  }
}

async function draw(bitmap: ImageBitmap, size: { width: number; height: number }, type: string, quality: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(size.width, size.height);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2d canvas');
  g.imageSmoothingQuality = 'high';
  g.drawImage(bitmap, 0, 0, size.width, size.height);
  return canvas.convertToBlob({ type, quality });
}

function dataUrlOf(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsDataURL(blob);
  });
}

async function base64Of(blob: Blob): Promise<string> {
  const url = await dataUrlOf(blob);
  return url.slice(url.indexOf(',') + 1);
}

/** Bytes the host sent (the open dialog's file) as a Blob, to prepare like a pasted one. */
export function blobOfBase64(data: string): Blob {
  const raw = atob(data);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return new Blob([bytes]);
}
