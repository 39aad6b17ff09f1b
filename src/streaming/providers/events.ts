/** What a provider yields while it streams one model response. */
import type { AnswerSource } from '../../shared/protocol';

export interface ToolCall {
  id?: string;
  name: string;
  /** Parsed arguments; a string when the model produced arguments that are not valid JSON. */
  arguments: Record<string, unknown> | string;
  /**
   * Provider-specific fields of the call exactly as received (e.g. Gemini's `extra_content` with its
   * `thought_signature`), kept with the call and sent back unchanged to the same kind of endpoint: Gemini
   * refuses the next request (400) when the signature is missing.
   */
  extra?: Record<string, unknown>;
}

export interface UsageStats {
  promptTokens?: number;
  completionTokens?: number;
  /** Of completionTokens, those spent on reasoning (OpenAI's completion_tokens_details.reasoning_tokens). */
  reasoningTokens?: number;
  /** The reasoning was counted but never streamed (OpenAI's o-series keeps it hidden). */
  hiddenReasoning?: boolean;
  /** Nanoseconds, as Ollama reports them. */
  loadDurationNs?: number;
  evalDurationNs?: number;
  /** Of promptTokens, those the server reused from its prompt cache instead of evaluating (llama.cpp `cache_n`, OpenAI `cached_tokens`). */
  cachedPromptTokens?: number;
  /**
   * promptTokens counts only the prompt tokens evaluated for this request, not a prefix reused from the cache
   * (Ollama's prompt_eval_count): a small count then says nothing about how much of the prompt the model saw.
   */
  promptEvaluatedOnly?: boolean;
  /** The context the request ran with, when the client chose it (the num_ctx sent to Ollama). */
  contextTokens?: number;
}

export type ProviderErrorKind =
  | 'unreachable' // nothing listening / connection refused
  | 'modelNotFound'
  | 'noModels'
  | 'auth'
  | 'server' // an HTTP error or an {"error": …} line from the server
  | 'dropped' // the connection ended before the server said it was done
  | 'protocol'; // the server sent something that is not the documented wire format

export interface ProviderError {
  kind: ProviderErrorKind;
  /** What the user sees: says what happened and what to do about it. */
  message: string;
  /** Extra detail for the log only. */
  detail?: string;
  model?: string;
  url?: string;
}

export type StreamEvent =
  | { type: 'text'; text: string }
  | { type: 'thinking'; text: string }
  | { type: 'toolCall'; call: ToolCall }
  | { type: 'usage'; usage: UsageStats }
  /** The web pages the answer cites as [1], [2], … (Perplexity), in that order; the latest list wins. */
  | { type: 'sources'; sources: AnswerSource[] }
  | { type: 'done'; reason: 'stop' | 'length' | 'toolCalls' | 'aborted' }
  | { type: 'error'; error: ProviderError };
