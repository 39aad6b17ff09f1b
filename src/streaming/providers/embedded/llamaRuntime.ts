import type * as NodeLlamaCpp from 'node-llama-cpp';

export type LlamaModule = typeof NodeLlamaCpp;

/** Why the built-in engine cannot run in this build: the universal .vsix carries no llama.cpp binaries. */
export class EngineUnavailable extends Error {
  constructor(detail: string) {
    super(
      `The built-in engine needs the platform build of Model Chat (the .vsix for your system, e.g. model-chat-linux-x64.vsix), which carries llama.cpp. This build has only the server endpoints. (${detail})`,
    );
    this.name = 'EngineUnavailable';
  }
}

let loading: Promise<LlamaModule> | undefined;

/**
 * node-llama-cpp is ESM only and ~35 MB with its binaries: loaded with a real dynamic `import()` (esbuild keeps
 * it as is for an external package, so the CommonJS bundle does not `require` an ES module) on the first
 * built-in chat, never at activation.
 */
export function loadLlamaModule(): Promise<LlamaModule> {
  loading ??= import('node-llama-cpp').catch((err: unknown) => {
    loading = undefined;
    throw new EngineUnavailable(String((err as Error)?.message ?? err).split('\n')[0]);
  });
  return loading;
}
