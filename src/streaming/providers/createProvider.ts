import type { EndpointConfig } from './provider';
import { OllamaProvider, type OllamaOptions } from './ollama/ollamaProvider';
import type * as OpenAIModule from './openai/openaiProvider';
import type { ChatProvider } from './provider';

/** The client for an endpoint; `apiKey` comes from SecretStorage (OpenAI-compatible servers only). */
export function createProvider(endpoint: EndpointConfig, apiKey?: string, ollama?: OllamaOptions): ChatProvider {
  if (endpoint.type === 'ollama') return new OllamaProvider(endpoint.url, ollama);
  // Loaded on first use: the openai SDK is the biggest part of the bundle (~385 KB minified, ~50 ms to
  // evaluate), and Ollama users never need it. esbuild initializes a module that is only required lazily.
  const { OpenAIProvider } = require('./openai/openaiProvider') as typeof OpenAIModule;
  return new OpenAIProvider(endpoint.url, apiKey);
}
