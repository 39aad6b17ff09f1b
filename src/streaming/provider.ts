import type { ProviderError, StreamEvent } from './events';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
}

export interface ModelInfo {
  name: string;
  /** e.g. "8B · Q4_K_M" when the server says. */
  detail?: string;
}

/**
 * One model server. `chat` never throws: every failure, including an abort, ends the stream with an
 * `error` or `done` event, so the turn loop has a single place to look.
 */
export interface ChatProvider {
  readonly url: string;
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
  chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<StreamEvent>;
}

/** A failure outside a stream (listing models), carrying the same user-facing description. */
export class ProviderFailure extends Error {
  constructor(readonly error: ProviderError) {
    super(error.message);
    this.name = 'ProviderFailure';
  }
}
