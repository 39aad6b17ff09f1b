import type { ConversationSummary } from './conversationIndex';

export interface PrunePlan {
  /** Oldest first. */
  ids: string[];
  titles: string[];
  freedBytes: number;
}

/** The stored images, by hash, for the plan: their sizes, and those that stay whatever goes (still in use). */
export interface PruneImages {
  bytes: ReadonlyMap<string, number>;
  keep?: ReadonlySet<string>;
}

/**
 * Which conversations to delete so the store fits under `limitBytes` again: the least recently updated
 * first, never one in `keep` (those shown or still answering). Undefined when nothing needs to go.
 * The store is pruned only after the user says yes: this only proposes.
 *
 * `usageBytes` includes the images. An image is stored once however many conversations have it, so deleting a
 * conversation frees an image's bytes only when no conversation left (and nothing in `images.keep`) has it:
 * the plan counts them at the last one to go, and never for an image a kept conversation shares.
 */
export function planPrune(
  summaries: ConversationSummary[],
  usageBytes: number,
  limitBytes: number,
  keep: ReadonlySet<string>,
  images?: PruneImages,
): PrunePlan | undefined {
  if (usageBytes <= limitBytes) return undefined;
  const refs = new Map<string, number>();
  for (const s of summaries) for (const h of s.images ?? []) refs.set(h, (refs.get(h) ?? 0) + 1);
  const plan: PrunePlan = { ids: [], titles: [], freedBytes: 0 };
  for (const s of [...summaries].sort((a, b) => a.updatedAt - b.updatedAt)) {
    if (usageBytes - plan.freedBytes <= limitBytes) break;
    if (keep.has(s.id)) continue;
    plan.ids.push(s.id);
    plan.titles.push(s.title);
    plan.freedBytes += s.bytes;
    for (const h of s.images ?? []) {
      const left = refs.get(h)! - 1;
      refs.set(h, left);
      if (left === 0 && !images?.keep?.has(h)) plan.freedBytes += images?.bytes.get(h) ?? 0;
    }
  }
  return plan.ids.length ? plan : undefined;
}

/** "1.5 MB", "820 KB": sizes as the prompt shows them. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(bytes >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
