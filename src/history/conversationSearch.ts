/** Matching a search query against one conversation, for `ConversationStore.search`. */
import type { MessageRole } from '../shared/protocol';
import { titleOf, type Conversation } from './conversationFormat';
import type { ConversationSummary } from './conversationIndex';

export interface SearchMatch {
  messageId: string;
  role: MessageRole;
  /** Some text around the first match in the message, on one line. */
  snippet: string;
}

export interface SearchHit {
  summary: ConversationSummary;
  inTitle: boolean;
  /** Matching messages, in order (at most `maxMatchesPerConversation`). */
  matches: SearchMatch[];
}

const MAX_MATCHES_PER_CONVERSATION = 3;
const SNIPPET_CONTEXT = 40;

/** The query as a case-insensitive pattern for the text itself (not a regular expression); undefined when blank. */
export function queryPattern(query: string): RegExp | undefined {
  const q = query.trim();
  return q ? new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'iu') : undefined;
}

/** Whether the title matches, and the first few messages that do (with a snippet around the match). */
export function matchConversation(conversation: Conversation, pattern: RegExp): { inTitle: boolean; matches: SearchMatch[] } {
  const inTitle = pattern.test(titleOf(conversation));
  const matches: SearchMatch[] = [];
  for (const m of conversation.messages) {
    if (matches.length >= MAX_MATCHES_PER_CONVERSATION) break;
    const found = pattern.exec(m.text);
    if (found) matches.push({ messageId: m.id, role: m.role, snippet: snippet(m.text, found.index, found[0].length) });
  }
  return { inTitle, matches };
}

function snippet(text: string, at: number, length: number): string {
  const start = Math.max(0, at - SNIPPET_CONTEXT);
  const end = Math.min(text.length, at + length + SNIPPET_CONTEXT);
  const body = text.slice(start, end).replace(/\s+/g, ' ').trim();
  return `${start > 0 ? '…' : ''}${body}${end < text.length ? '…' : ''}`;
}
