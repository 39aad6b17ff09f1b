/**
 * Moving a proposal onto a file that changed after the proposal was made: the change the proposal makes to
 * the text it was made against is applied, as a patch with its context, to the text there is now. When the
 * context is gone (the same lines were edited) there is no rebase, and the caller shows the proposal as it is.
 */
import { applyPatch, structuredPatch } from 'diff';

/** Line endings as the comparison sees them: a CRLF file that a model answered in LF is the same text. */
export function sameText(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return normalizeEol(a) === normalizeEol(b);
}

export function normalizeEol(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

export function rebase(base: string, proposal: string, current: string): string | undefined {
  const patch = structuredPatch('a', 'b', normalizeEol(base), normalizeEol(proposal), '', '', { context: 3 });
  if (patch.hunks.length === 0) return normalizeEol(current);
  const result = applyPatch(normalizeEol(current), patch, { fuzzFactor: 0 });
  return result === false ? undefined : result;
}
