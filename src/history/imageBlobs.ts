/**
 * Images of the conversations, one file per image named by the SHA-256 of its bytes: the conversation file
 * (rewritten whole on every save) holds only the hash and a small preview, so a save does not re-encode
 * megabytes of base64, and an image sent twice is stored once.
 *
 *   images/<sha256>.bin    the image's bytes, as the model got them (after downscaling)
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readBoundedFile } from '../shared/boundedFile';
import { MAX_IMAGE_BASE64 } from '../shared/images';

const BLOB = /^([0-9a-f]{64})\.bin$/;

/** SHA-256 of the image's bytes (not of its base64), hex. */
export function imageHash(base64: string): string {
  return createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex');
}

export class ImageBlobs {
  constructor(readonly dir: string) {}

  /** Stores the image (once per content) and returns its hash. */
  async put(base64: string): Promise<string> {
    const hash = imageHash(base64);
    const file = this.fileOf(hash);
    await fs.mkdir(this.dir, { recursive: true });
    try {
      // Content-addressed: a file of that name already holds these bytes. Its time is renewed, so an image
      // sent again counts as new for the sweep's grace (see `removeUnreferenced`).
      const now = new Date();
      if (
        await fs.utimes(file, now, now).then(
          () => true,
          () => false,
        )
      )
        return hash;
      await fs.writeFile(`${file}.tmp-${process.pid}`, Buffer.from(base64, 'base64'));
      await fs.rename(`${file}.tmp-${process.pid}`, file);
    } catch (err) {
      await fs.rm(`${file}.tmp-${process.pid}`, { force: true });
      throw err;
    }
    return hash;
  }

  /** The image as base64, or undefined when it is gone (pruned, or the store was copied without it). */
  async get(hash: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    const read = await readBoundedFile(this.fileOf(hash), { maxBytes: Math.ceil((MAX_IMAGE_BASE64 * 3) / 4), within: [this.dir] });
    return read.ok ? Buffer.from(read.bytes).toString('base64') : undefined;
  }

  /** Bytes on disk, for the storage bound. */
  async totalBytes(): Promise<number> {
    let total = 0;
    for (const { bytes } of (await this.list()).values()) total += bytes;
    return total;
  }

  /** Marks these images as just put, so the sweep's grace applies to them again (a deleted conversation Undo may bring back). */
  async renew(hashes: Iterable<string>): Promise<void> {
    const now = new Date();
    for (const hash of hashes) if (/^[0-9a-f]{64}$/.test(hash)) await fs.utimes(this.fileOf(hash), now, now).catch(() => undefined);
  }

  /** Every stored image: its size and when it was last put. */
  async list(): Promise<Map<string, { bytes: number; mtimeMs: number }>> {
    const found = new Map<string, { bytes: number; mtimeMs: number }>();
    for (const name of await this.names()) {
      const st = await fs.stat(path.join(this.dir, name)).catch(() => undefined);
      if (st?.isFile()) found.set(BLOB.exec(name)![1], { bytes: st.size, mtimeMs: st.mtimeMs });
    }
    return found;
  }

  /**
   * Deletes images no conversation refers to any more (after conversations were deleted or pruned). With
   * `putBefore`, one put at or after that time (epoch ms) stays: its question may not be saved yet.
   */
  async removeUnreferenced(referenced: ReadonlySet<string>, putBefore = Infinity): Promise<{ removed: number; freedBytes: number }> {
    let removed = 0;
    let freedBytes = 0;
    for (const [hash, { bytes, mtimeMs }] of await this.list()) {
      if (referenced.has(hash) || mtimeMs >= putBefore) continue;
      await fs.rm(this.fileOf(hash), { force: true });
      removed++;
      freedBytes += bytes;
    }
    return { removed, freedBytes };
  }

  private fileOf(hash: string): string {
    return path.join(this.dir, `${hash}.bin`);
  }

  private async names(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => BLOB.test(n));
  }
}
