/** Messages between the extension host and the engine's worker thread (engineClient.ts ↔ engineWorker.ts). */
import type { StreamEvent } from '../events';
import type { ChatRequest } from '../provider';

/** Per-generation limits; plain data, since they cross to the worker. */
export interface GenerationOptions {
  maxTokens?: number;
  /**
   * Tests only: start the answer in function-calling mode, so a random-weight model still produces a call that
   * the grammar keeps valid (embedded.test.ts). Real models decide themselves.
   */
  forceFunctionCall?: boolean;
}

export interface EngineSettings {
  modelsFolder: string;
  idleUnloadMs: number;
  threads?: number;
  gpu?: false | 'auto';
  maxContextTokens?: number;
}

export type ToWorker =
  | { type: 'generate'; id: number; request: ChatRequest; options: GenerationOptions; settings: EngineSettings }
  | { type: 'abort'; id: number }
  | { type: 'unload' }
  | { type: 'dispose' };

export type FromWorker =
  | { type: 'event'; id: number; event: StreamEvent }
  | { type: 'end'; id: number }
  | { type: 'loading'; model: string }
  | { type: 'loaded'; model: string; contextSize: number }
  | { type: 'loadFailed'; model: string }
  | { type: 'unloaded' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'disposed' };
