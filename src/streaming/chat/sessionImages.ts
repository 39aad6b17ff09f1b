import { imageHash } from '../../history/imageBlobs';
import { imageTokens } from '../../shared/images';
import { fromLastSummary } from './compaction';
import type { ImageInput, ImageLabel, MessageSnapshot } from '../../shared/protocol';
import type { Logger } from '../../shared/log';
import type { ChatImage } from '../providers/provider';

/**
 * Tokens of the images the model would get with the conversation so far (after the last summary), by the
 * chips' per-provider rule. From the labels: a conversation opened from history has not read its bytes yet.
 */
export function historyImageTokens(messages: readonly MessageSnapshot[], provider: 'ollama' | 'openai' | 'embedded' = 'ollama'): number {
  return fromLastSummary(messages)
    .rest.filter((m) => m.role === 'user' && m.text && m.state !== 'streaming')
    .flatMap((m) => m.images ?? [])
    .reduce((n, i) => n + imageTokens(provider, i.width, i.height), 0);
}

/** Where images are kept between windows (`history/imageBlobs.ts`), by the hash of their bytes. */
export interface ImageStore {
  put(base64: string): Promise<string>;
  get(hash: string): Promise<string | undefined>;
}

/**
 * The bytes of a conversation's images, by hash: the messages carry only labels (preview, size, tokens), so
 * snapshots and saves stay small, and later turns send the same bytes again.
 */
export class SessionImages {
  private readonly data = new Map<string, string>();
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ImageStore | undefined,
    private readonly log: Logger,
  ) {}

  /** Labels for a question's images; the bytes stay here for the turns and go to the store. */
  accept(inputs: readonly ImageInput[], provider: 'ollama' | 'openai' | 'embedded'): ImageLabel[] {
    return inputs.map((i) => {
      const hash = imageHash(i.data);
      this.data.set(hash, i.data);
      const write = this.store?.put(i.data).catch((err) => this.log.warn(`Keeping an image failed; it is not in history: ${String(err)}`));
      this.writes = Promise.all([this.writes, write]);
      return {
        hash,
        mimeType: i.mimeType,
        width: i.width,
        height: i.height,
        thumb: i.thumb,
        tokens: imageTokens(provider, i.width, i.height),
      };
    });
  }

  /** Reads back the bytes a turn needs that are not in memory (a conversation from history). */
  async load(messages: readonly MessageSnapshot[]): Promise<void> {
    for (const label of messages.flatMap((m) => m.images ?? [])) {
      if (this.data.has(label.hash) || !this.store) continue;
      const bytes = await this.store.get(label.hash).catch(() => undefined);
      if (bytes) this.data.set(label.hash, bytes);
      else
        this.log.warn(
          `An image of this conversation is no longer stored (${label.hash.slice(0, 12)}…); the model gets the question without it.`,
        );
    }
  }

  /** What the model gets for a question's images; those whose bytes are gone are left out. */
  forModel(labels: readonly ImageLabel[] | undefined): ChatImage[] {
    return (labels ?? []).flatMap((l) => {
      const data = this.data.get(l.hash);
      return data ? [{ mimeType: l.mimeType, data, width: l.width, height: l.height }] : [];
    });
  }

  /** Resolves once every image accepted so far is in the store (or its failure was logged). */
  written(): Promise<unknown> {
    return this.writes;
  }

  clear(): void {
    this.data.clear();
  }
}
