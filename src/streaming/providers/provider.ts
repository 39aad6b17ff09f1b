import type { ProviderError, StreamEvent, ToolCall } from './events';
import type { ToolDescriptor } from '../../tools/toolSupport';

/** One entry of the modelChat.endpoints setting: where a provider is made for. */
export interface EndpointConfig {
  name: string;
  type: 'ollama' | 'openai' | 'embedded';
  /** Empty for the built-in engine (`embedded`), which has no server. */
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
  /** Its size in pixels, for the token estimate (`imageTokens`); not sent. */
  width?: number;
  height?: number;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Offered only when the model can use them (see ChatProvider.supportsTools). */
  tools?: ToolDescriptor[];
  /** The prompt's size in tokens as estimated by the session: Ollama picks a num_ctx that fits it. */
  estimatedPromptTokens?: number;
  /** The context the model is loaded with now (Ollama /api/ps): kept while the prompt fits it, as a new num_ctx reloads the model. */
  loadedContext?: number;
}

/** The context a server runs a model with, as the server itself reports it. */
export interface ContextWindow {
  /** Tokens of context the loaded model has now (Ollama /api/ps, llama.cpp /props, LM Studio, vLLM). */
  loaded?: number;
  /** The model's maximum (Ollama /api/show `<arch>.context_length`, LM Studio `max_context_length`). */
  max?: number;
  /** Where the figure came from, for the log and the meter's tooltip. */
  source: string;
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
  /** The context the server runs `model` with; undefined when it does not say. Never throws. */
  contextWindow?(model: string, signal?: AbortSignal): Promise<ContextWindow | undefined>;
  /** The server's own token count of `text` (llama.cpp /tokenize); undefined when it has no tokenizer endpoint. Never throws. */
  countTokens?(text: string, signal?: AbortSignal): Promise<number | undefined>;
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
