import type { ConversationSummary } from './conversationIndex';

export interface PrunePlan {
  /** Oldest first. */
  ids: string[];
  titles: string[];
  freedBytes: number;
}

/**
 * Which conversations to delete so the store fits under `limitBytes` again: the least recently updated
 * first, never one in `keep` (those shown or still answering). Undefined when nothing needs to go.
 * The store is pruned only after the user says yes: this only proposes.
 */
export function planPrune(
  summaries: ConversationSummary[],
  usageBytes: number,
  limitBytes: number,
  keep: ReadonlySet<string>,
): PrunePlan | undefined {
  if (usageBytes <= limitBytes) return undefined;
  const plan: PrunePlan = { ids: [], titles: [], freedBytes: 0 };
  for (const s of [...summaries].sort((a, b) => a.updatedAt - b.updatedAt)) {
    if (usageBytes - plan.freedBytes <= limitBytes) break;
    if (keep.has(s.id)) continue;
    plan.ids.push(s.id);
    plan.titles.push(s.title);
    plan.freedBytes += s.bytes;
  }
  return plan.ids.length ? plan : undefined;
}

/** "1.5 MB", "820 KB": sizes as the prompt shows them. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(bytes >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
