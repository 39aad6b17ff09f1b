/** What a provider yields while it streams one model response. */

export interface ToolCall {
  id?: string;
  name: string;
  /** Parsed arguments; a string when the model produced arguments that are not valid JSON. */
  arguments: Record<string, unknown> | string;
}

export interface UsageStats {
  promptTokens?: number;
  completionTokens?: number;
  /** Nanoseconds, as Ollama reports them. */
  loadDurationNs?: number;
  evalDurationNs?: number;
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
  | { type: 'done'; reason: 'stop' | 'length' | 'toolCalls' | 'aborted' }
  | { type: 'error'; error: ProviderError };
