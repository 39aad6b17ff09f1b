/**
 * Images that go with a question: which kinds, how big, what they cost in tokens. Shared by the page (which
 * reads, downscales and previews them) and the host (which checks what the page sent and maps it per provider).
 */

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

/** A file larger than this is refused before it is decoded: no real screenshot or photo needs more. */
export const MAX_IMAGE_INPUT_BYTES = 20 * 1024 * 1024;
/** Longer sides are scaled down to this: OpenAI scales to fit 2048 x 2048 anyway, and llava-style models far below. */
export const MAX_IMAGE_SIDE = 2048;
/** What one image may weigh once prepared (base64 characters): a 2048 px PNG of a busy photo fits. */
export const MAX_IMAGE_BASE64 = 16 * 1024 * 1024;
/** The preview kept with the message (a data URL): small enough to live inside the conversation file. */
export const MAX_THUMB_CHARS = 64 * 1024;
export const MAX_IMAGES_PER_MESSAGE = 8;
/** All images of one message together (base64 characters): one message never carries more than this. */
export const MAX_MESSAGE_IMAGES_BASE64 = 48 * 1024 * 1024;

/** The kind of image from its first bytes (the name and the clipboard's claimed type can lie). */
export function sniffImage(bytes: Uint8Array): ImageMime | undefined {
  const at = (i: number, ...b: number[]) => b.every((v, k) => bytes[i + k] === v);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  return undefined;
}

/** The same, from base64 (what crosses the webview boundary); only the first bytes are decoded. */
export function sniffBase64(data: string): ImageMime | undefined {
  try {
    const head = atob(data.slice(0, 24));
    return sniffImage(Uint8Array.from(head, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** Why a file cannot be attached, in words for the user; undefined when it can. */
export function imageProblem(name: string, size: number, kind: ImageMime | undefined): string | undefined {
  if (size > MAX_IMAGE_INPUT_BYTES)
    return `${name} is ${(size / 1024 / 1024).toFixed(1)} MB; images up to ${MAX_IMAGE_INPUT_BYTES / 1024 / 1024} MB can be attached.`;
  if (!kind) return `${name} is not a PNG, JPEG, GIF or WebP image.`;
  return undefined;
}

/** Width and height scaled so the longer side is at most `max` (never scaled up). */
export function fitWithin(width: number, height: number, max = MAX_IMAGE_SIDE): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height, 1));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A fixed estimate for llava-style models (Ollama): CLIP ViT-L/14 at 336 px gives 24 x 24 = 576 patch tokens per image, whatever its size. */
export const OLLAMA_IMAGE_TOKENS = 576;

/**
 * Tokens an image costs the model. OpenAI's published rule for `detail: "high"` (the default for large
 * images): fit within 2048 x 2048, scale the shorter side down to 768, then 85 + 170 per 512 px tile.
 * Ollama's vision models cost a fixed amount (see OLLAMA_IMAGE_TOKENS).
 */
export function imageTokens(provider: 'ollama' | 'openai' | 'embedded', width: number, height: number): number {
  // The built-in engine cannot take images (it says so before sending); its count never reaches a model.
  if (provider !== 'openai') return OLLAMA_IMAGE_TOKENS;
  let { width: w, height: h } = fitWithin(width, height, 2048);
  const shorter = Math.min(w, h);
  if (shorter > 768) {
    w = Math.round((w * 768) / shorter);
    h = Math.round((h * 768) / shorter);
  }
  return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}
