/** The history benchmark's baseline: every message of a conversation rendered at once (pageBundle.ts). */
export const BATCH = Infinity;
