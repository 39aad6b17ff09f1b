/**
 * The images as the storage bound sees them (`imageBlobs.ts` holds the files): how much they take, and the
 * sweep of those nothing refers to any more.
 */
import type { ImageBlobs } from './imageBlobs';
import type { WallClock } from '../shared/clock';
import type { Logger } from '../shared/log';

/** An image this recent is never swept: the question it went with may not be saved yet. */
export const IMAGE_GRACE_MS = 10 * 60 * 1000;

export class StoreImages {
  constructor(
    private readonly blobs: ImageBlobs,
    private readonly clock: WallClock,
    private readonly log: Logger,
  ) {}

  totalBytes(): Promise<number> {
    return this.blobs.totalBytes();
  }

  /** Gives these images the grace of new ones (see `sweep`). */
  renew(hashes: Iterable<string>): Promise<void> {
    return this.blobs.renew(hashes);
  }

  /** Bytes on disk by hash, for the prune plan. */
  async sizes(): Promise<Map<string, number>> {
    return new Map([...(await this.blobs.list())].map(([hash, { bytes }]) => [hash, bytes]));
  }

  /**
   * Deletes the images in none of `referenced`, unless put within the last IMAGE_GRACE_MS (its question may
   * not be saved yet, here or in another window sharing the folder). Returns the bytes freed.
   */
  async sweep(referenced: Iterable<Iterable<string>>): Promise<number> {
    const keep = new Set<string>();
    for (const hashes of referenced) for (const h of hashes) keep.add(h);
    const { removed, freedBytes } = await this.blobs.removeUnreferenced(keep, this.clock.now() - IMAGE_GRACE_MS);
    if (removed) this.log.info(`Conversation store: removed ${removed} images no conversation has any more (${freedBytes} bytes)`);
    return freedBytes;
  }
}
