/**
 * Words the product writes about an answer, shared by the session (what the view shows) and the history's exports
 * (what a file says), so both say the same and neither depends on the other.
 */
import type { AnswerNote, AnswerSource } from './protocol';

export const INTERRUPTED = 'Interrupted: VS Code closed while this answer was being written.';

/** The answer's text with its numbered sources under it, as copied and exported. */
export function withSources(text: string, sources: AnswerSource[] | undefined): string {
  if (!sources?.length) return text;
  const list = sources.map((s, i) => `${i + 1}. [${(s.title ?? s.url).replace(/[[\]]/g, '')}](<${s.url}>)`).join('\n');
  return `${text.trimEnd()}\n\nSources:\n\n${list}\n`;
}

export function truncationText(note: AnswerNote): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `The model saw only part of the conversation: ${n(note.seen)} of about ${n(note.sent)} tokens.`;
}
