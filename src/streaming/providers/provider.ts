import type { ProviderError, StreamEvent, ToolCall } from './events';
import type { ToolDescriptor } from '../../tools/toolSupport';

/** One entry of the modelChat.endpoints setting: where a provider is made for. */
export interface EndpointConfig {
  name: string;
  type: 'ollama' | 'openai';
  url: string;
}

/** A message as the model sees it; each provider maps it to its own wire format. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string; images?: ChatImage[] }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; content: string; toolName: string; toolCallId?: string };

/** An image in a question: base64 bytes of a kind every vision server takes (PNG, JPEG, GIF, WebP). */
export interface ChatImage {
  mimeType: string;
  data: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Offered only when the model can use them (see ChatProvider.supportsTools). */
  tools?: ToolDescriptor[];
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
  /** Whether `model` accepts tools; servers that cannot say are assumed to. */
  supportsTools?(model: string, signal?: AbortSignal): Promise<boolean>;
  /** Whether `model` can see images; undefined when the server cannot say. */
  supportsVision?(model: string, signal?: AbortSignal): Promise<boolean | undefined>;
}

/** A failure outside a stream (listing models), carrying the same user-facing description. */
export class ProviderFailure extends Error {
  constructor(readonly error: ProviderError) {
    super(error.message);
    this.name = 'ProviderFailure';
  }
}
