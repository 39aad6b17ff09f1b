import type { EndpointConfig } from './chatSession';
import { OllamaProvider } from './ollamaProvider';
import { ProviderFailure, type ChatProvider } from './provider';
import type { StreamEvent } from './events';

export function createProvider(endpoint: EndpointConfig): ChatProvider {
  if (endpoint.type === 'ollama') return new OllamaProvider(endpoint.url);
  return new NotYetSupported(endpoint);
}

/** Says plainly that this endpoint type is not wired up yet, instead of failing in some odd way. */
class NotYetSupported implements ChatProvider {
  readonly url: string;
  private readonly message: string;
  constructor(endpoint: EndpointConfig) {
    this.url = endpoint.url;
    this.message = `Endpoint '${endpoint.name}' is of type "${endpoint.type}", which this version of Model Chat cannot talk to yet. Use an "ollama" endpoint (Ollama also serves its models at ${endpoint.url}).`;
  }
  async listModels(): Promise<never> {
    throw new ProviderFailure({ kind: 'server', message: this.message });
  }
  async *chat(): AsyncGenerator<StreamEvent> {
    yield { type: 'error', error: { kind: 'server', message: this.message } };
  }
}
