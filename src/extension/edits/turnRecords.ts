/**
 * What each answer changed, for "Undo changes of this answer": per turn, per touched file, the text before
 * the turn's first change to it and after its last. Only touched files are kept (no copy of the repository),
 * and the whole record is bounded, oldest turns dropped first, since it lives in workspace storage. No vscode.
 */

export interface FileChange {
  uri: string;
  /** null: the turn created the file (undo deletes it). */
  before: string | null;
  after: string;
}

export interface TurnRecord {
  turnId: string;
  conversationId?: string;
  files: FileChange[];
}

export interface TurnBounds {
  maxTurns: number;
  /** Characters of before and after text over all turns. */
  maxChars: number;
}

export const DEFAULT_BOUNDS: TurnBounds = { maxTurns: 30, maxChars: 8 * 1024 * 1024 };

/** The records with one more accepted change; a second change to a file in the same turn keeps the first `before`. */
export function recordChange(
  turns: readonly TurnRecord[],
  change: { turnId: string; conversationId?: string; uri: string; before: string | undefined; after: string },
  bounds: TurnBounds = DEFAULT_BOUNDS,
): TurnRecord[] {
  const existing = turns.find((t) => t.turnId === change.turnId);
  const turn: TurnRecord = existing
    ? { ...existing, files: [...existing.files] }
    : { turnId: change.turnId, conversationId: change.conversationId, files: [] };
  const at = turn.files.findIndex((f) => f.uri === change.uri);
  if (at >= 0) turn.files[at] = { ...turn.files[at]!, after: change.after };
  else turn.files.push({ uri: change.uri, before: change.before ?? null, after: change.after });
  // The changed turn becomes the newest: it is the last one to be dropped.
  return bound([...turns.filter((t) => t.turnId !== change.turnId), turn], bounds);
}

export function bound(turns: readonly TurnRecord[], bounds: TurnBounds): TurnRecord[] {
  const kept: TurnRecord[] = [];
  let chars = 0;
  for (let i = turns.length - 1; i >= 0 && kept.length < bounds.maxTurns; i--) {
    const size = turns[i]!.files.reduce((n, f) => n + (f.before?.length ?? 0) + f.after.length, 0);
    if (chars + size > bounds.maxChars) break;
    chars += size;
    kept.unshift(turns[i]!);
  }
  return kept;
}

/** Stored records come back from workspace storage unchecked by anyone else: anything malformed is dropped. */
export function parseRecords(raw: unknown): TurnRecord[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (t): t is TurnRecord =>
      typeof t === 'object' &&
      t !== null &&
      typeof (t as TurnRecord).turnId === 'string' &&
      Array.isArray((t as TurnRecord).files) &&
      (t as TurnRecord).files.every(
        (f) => typeof f?.uri === 'string' && (f.before === null || typeof f.before === 'string') && typeof f.after === 'string',
      ),
  );
}
