import type { StreamEvent } from '../events';
import { ProviderFailure, type ChatProvider, type ChatRequest, type ModelInfo } from '../provider';
import type { EngineClient } from './engineClient';
import type { GenerationOptions } from './engineProtocol';
import { formatBytes, listModelFiles } from './modelFiles';

/** The endpoint `type: "embedded"`: GGUF files run by node-llama-cpp in a worker thread, no server. */
export class EmbeddedProvider implements ChatProvider {
  readonly url = '';

  constructor(
    private readonly engine: EngineClient,
    private readonly modelsFolder: string,
    private readonly options: GenerationOptions = {},
  ) {}

  /** llama.cpp's multimodal projectors are not loaded by the engine: a question with images is refused before it goes. */
  async supportsVision(): Promise<boolean> {
    return false;
  }

  async listModels(): Promise<ModelInfo[]> {
    try {
      return (await listModelFiles(this.modelsFolder)).map((m) => ({ name: m.name, detail: `${formatBytes(m.bytes)} · built-in` }));
    } catch (err) {
      throw new ProviderFailure({
        kind: 'server',
        message: `The built-in engine cannot read its models folder ${this.modelsFolder}: ${(err as Error).message}`,
      });
    }
  }

  chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    return this.engine.generate(request, this.options, signal);
  }
}
