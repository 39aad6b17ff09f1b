import type { EndpointConfig } from './chatSession';
import { OllamaProvider, type OllamaOptions } from './ollamaProvider';
import { OpenAIProvider } from './openaiProvider';
import type { ChatProvider } from './provider';

/** The client for an endpoint; `apiKey` comes from SecretStorage (OpenAI-compatible servers only). */
export function createProvider(endpoint: EndpointConfig, apiKey?: string, ollama?: OllamaOptions): ChatProvider {
  return endpoint.type === 'ollama' ? new OllamaProvider(endpoint.url, ollama) : new OpenAIProvider(endpoint.url, apiKey);
}
