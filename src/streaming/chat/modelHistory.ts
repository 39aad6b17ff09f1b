/**
 * The conversation as the model gets it on a later turn: questions, answers, and each answer's tool calls
 * followed by their results, as they went within the turn. Neutral messages: each provider maps them to its
 * own shape (Ollama pairs a result with its call by `tool_name`, OpenAI by id), so history made on one
 * endpoint stays valid on another.
 */
import { randomUUID } from 'node:crypto';
import type { MessageSnapshot } from '../../shared/protocol';
import type { StoredToolCall } from '../../history/storedMessage';
import type { ToolCall } from '../providers/events';
import type { ChatImage, ChatMessage } from '../providers/provider';

type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;

export interface HistorySources {
  /** A question as the model got it, with what was attached to it. */
  question(m: MessageSnapshot): string;
  /** A question's images, as the model gets them. */
  images?(m: MessageSnapshot): ChatImage[];
  /** The recorded call behind a tool card; none for cards from files written before calls were kept. */
  call(cardId: string): StoredToolCall | undefined;
}

/** What a card's result tells a call that did not finish: a card still waiting, or one from a cut-off file. */
const NO_RESULT = 'Error: the tool call did not finish.';

/**
 * An id for a call the server gave none (or a repeated one): `call_` and 24 hex digits, within what
 * OpenAI accepts (at most 40 characters). From `seed` it is the same on every load.
 */
export function newCallId(seed?: string): string {
  return `call_${(seed ?? randomUUID()).replace(/-/g, '').slice(0, 24)}`;
}

export function modelHistory(messages: readonly MessageSnapshot[], sources: HistorySources): ChatMessage[] {
  const out: ChatMessage[] = [];
  // The answer the tool cards that follow belong to (they come right after it, one per call).
  let asking: AssistantMessage | undefined;
  for (const m of messages) {
    if (m.role === 'tool') {
      if (!m.tool) continue;
      if (!asking) out.push((asking = { role: 'assistant', content: '' }));
      const recorded = sources.call(m.id);
      const id = recorded?.id ?? newCallId(m.id);
      const call: ToolCall = {
        id,
        name: m.tool.name,
        arguments: parseArguments(m.tool.arguments),
        ...(recorded?.extra ? { extra: recorded.extra } : {}),
      };
      (asking.toolCalls ??= []).push(call);
      out.push({ role: 'tool', content: replyOf(m, recorded), toolName: m.tool.name, toolCallId: id });
      continue;
    }
    asking = undefined;
    // The answer being written is not history yet.
    if (m.state === 'streaming') continue;
    if (m.role === 'user') {
      const images = sources.images?.(m) ?? [];
      if (m.text) out.push({ role: 'user', content: sources.question(m), ...(images.length ? { images } : {}) });
    } else {
      out.push((asking = { role: 'assistant', content: m.text }));
    }
  }
  // An answer that said nothing and asked for nothing (it failed before its first token) is not sent.
  return out.filter((m) => m.role !== 'assistant' || m.content !== '' || m.toolCalls?.length);
}

/** What the model got for the call: recorded when it ran; for older files, what the session sent then. */
function replyOf(card: MessageSnapshot, recorded: StoredToolCall | undefined): string {
  const result = card.tool?.result;
  if (recorded?.reply !== undefined) return recorded.reply;
  if (!result) return NO_RESULT;
  if (recorded || card.tool?.state === 'done') return result.text;
  return `Error: ${result.text}`;
}

/** The card shows the arguments as pretty JSON, or the model's own text when it was not a JSON object. */
function parseArguments(text: string): ToolCall['arguments'] {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : text;
  } catch {
    return text;
  }
}
