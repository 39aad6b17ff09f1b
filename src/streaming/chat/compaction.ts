/**
 * Compaction: the older part of a conversation summarised by the same model, so the next request fits. The
 * summary is a message of its own (shown collapsed, undoable); the messages it covers stay in the
 * conversation and on disk, and only the requests leave them out.
 */
import type { MessageSnapshot } from '../../shared/protocol';
import type { ChatMessage, ChatProvider } from '../providers/provider';
import { runTurn, type TurnOutcome } from './chatTurn';
import type { AnswerStream } from './answerStream';
import type { MonotonicClock } from '../../shared/clock';

export const SUMMARY_INSTRUCTIONS =
  'You write the summary that replaces the earlier part of a conversation between a user and an assistant, so the ' +
  'assistant can go on without it. Keep every fact, decision, name, file path, code identifier, open question and ' +
  'the user\'s preferences; leave out pleasantries. Write it as a compact list under "Summary of earlier messages".';

/** How the summary goes at the top of later requests (inside the system message: one system message suits every chat template). */
export const summaryPreamble = (text: string) => `Summary of the earlier conversation (the messages themselves were left out):\n${text}`;

/** Questions kept word for word after a compaction, the newest included. */
const KEEP_QUESTIONS = 1;

/** The last finished summary: requests start after it. */
export function lastSummaryIndex(messages: readonly MessageSnapshot[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].summary && messages[i].state === 'done') return i;
  return -1;
}

/** The messages a request sends (those after the last summary, failed summaries left out), and that summary's text. */
export function fromLastSummary(messages: readonly MessageSnapshot[]): { summary?: string; rest: MessageSnapshot[] } {
  const at = lastSummaryIndex(messages);
  const rest = messages.slice(at + 1).filter((m) => !m.summary);
  return at < 0 ? { rest } : { summary: messages[at].text, rest };
}

/**
 * Where the summary goes: before the last KEEP_QUESTIONS questions of `messages[0, end)`, after any earlier
 * summary. -1 when there is nothing older to summarise.
 */
export function compactionCut(messages: readonly MessageSnapshot[], end: number = messages.length): number {
  const from = lastSummaryIndex(messages) + 1;
  let kept = 0;
  for (let i = end - 1; i >= from; i--) {
    if (messages[i].role !== 'user') continue;
    if (++kept === KEEP_QUESTIONS) return i > from ? i : -1;
  }
  // No question in [from, end): everything there is older (a manual compaction after the last answer).
  return end > from ? end : -1;
}

/** The older messages as one text for the summary request: a transcript works with every chat template. */
export function transcript(history: ChatMessage[], maxChars: number): string {
  const lines = history.map((m) => {
    if (m.role === 'tool') return `Tool result (${m.toolName}):\n${m.content}`;
    if (m.role === 'assistant' && m.toolCalls?.length)
      return `Assistant:\n${m.content}\n(called ${m.toolCalls.map((c) => `${c.name} ${JSON.stringify(c.arguments)}`).join(', ')})`;
    return `${m.role === 'user' ? 'User' : m.role === 'system' ? 'Earlier summary' : 'Assistant'}:\n${m.content}`;
  });
  const text = lines.join('\n\n');
  // Too long even to summarise in one request: its newest part is what the conversation goes on from.
  return text.length > maxChars ? `(the beginning is left out)\n${text.slice(text.length - maxChars)}` : text;
}

/** Streams the summary of `older` into `summary`; the outcome says whether it finished. */
export function summarise(
  provider: ChatProvider,
  model: string,
  older: ChatMessage[],
  maxChars: number,
  summary: AnswerStream,
  signal: AbortSignal,
  clock: MonotonicClock,
): Promise<TurnOutcome> {
  const messages: ChatMessage[] = [
    { role: 'system', content: SUMMARY_INSTRUCTIONS },
    { role: 'user', content: `Summarise this conversation:\n\n${transcript(older, maxChars)}` },
  ];
  return runTurn(provider, { model, messages }, signal, { onText: (t) => summary.pushText(t) }, clock);
}
