import type { EndpointConfig } from './provider';
import { OllamaProvider, type OllamaOptions } from './ollama/ollamaProvider';
import type * as OpenAIModule from './openai/openaiProvider';
import type { ChatProvider } from './provider';
import type { EngineClient } from './embedded/engineClient';
import { EmbeddedProvider } from './embedded/embeddedProvider';

/** The built-in engine's client and where its models are (the extension owns both). */
export interface BuiltInEngine {
  client: EngineClient;
  modelsFolder(): string;
}

/** The client for an endpoint; `apiKey` comes from SecretStorage (OpenAI-compatible servers only). */
export function createProvider(endpoint: EndpointConfig, apiKey?: string, ollama?: OllamaOptions, engine?: BuiltInEngine): ChatProvider {
  if (endpoint.type === 'ollama') return new OllamaProvider(endpoint.url, ollama);
  if (endpoint.type === 'embedded') {
    if (!engine) throw new Error('The built-in engine is not available here.');
    return new EmbeddedProvider(engine.client, engine.modelsFolder());
  }
  // Loaded on first use: the openai SDK is the biggest part of the bundle (~385 KB minified, ~50 ms to
  // evaluate), and Ollama users never need it. esbuild initializes a module that is only required lazily.
  const { OpenAIProvider } = require('./openai/openaiProvider') as typeof OpenAIModule;
  return new OpenAIProvider(endpoint.url, apiKey);
}
