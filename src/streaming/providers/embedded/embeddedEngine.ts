import { freemem } from 'node:os';
import { stat } from 'node:fs/promises';
import type { Llama, LlamaChat, LlamaContext, LlamaModel } from 'node-llama-cpp';
import { race } from '../../../shared/abort';
import { silentLogger, type Logger } from '../../../shared/log';
import { loadLlamaModule, type LlamaModule } from './llamaRuntime';
import { formatBytes, modelPath } from './modelFiles';
import type { EngineSettings } from './engineProtocol';

export interface EngineOptions {
  /** Read on every use: the settings may change between turns. */
  settings(): EngineSettings;
  /** Told when a model starts loading, with the promise of its end (the extension shows progress). */
  onLoading?(model: string, loaded: Promise<LoadedModel>): void;
  log?: Logger;
}

/** A model that cannot be used, said in words a user can act on before anything runs. */
export class EngineModelError extends Error {
  constructor(
    message: string,
    readonly kind: 'modelNotFound' | 'invalid' | 'tooBig',
  ) {
    super(message);
    this.name = 'EngineModelError';
  }
}

export interface LoadedModel {
  name: string;
  module: LlamaModule;
  model: LlamaModel;
  context: LlamaContext;
  chat: LlamaChat;
  /** Tokens, as node-llama-cpp sized it from the model and free memory. */
  contextSize: number;
}

/**
 * The built-in llama.cpp engine: one model in memory at a time, loaded on first use, unloaded when idle. The
 * model has one context sequence, so generations take turns (a second conversation waits for the first).
 * Runs in a worker thread (engineWorker.ts): importing node-llama-cpp and loading a model block the thread
 * that does it for about a second each (measured), which must not be the extension host's.
 */
export class EmbeddedEngine {
  private llama: Promise<Llama> | undefined;
  private current: { name: string; loaded: Promise<LoadedModel> } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly log: Logger;

  constructor(private readonly options: EngineOptions) {
    this.log = options.log ?? silentLogger;
  }

  /** Runs `use` with `name` loaded, after any generation before it; the model stays loaded until idle. */
  async withModel<T>(name: string, signal: AbortSignal, use: (loaded: LoadedModel) => Promise<T>): Promise<T> {
    const turn = this.queue.then(async () => {
      signal.throwIfAborted();
      this.cancelIdle();
      try {
        return await use(await race(this.load(name, signal), signal));
      } finally {
        this.scheduleIdle();
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The model's context size once loaded (the context meter), or undefined while it is not. */
  async contextSize(name: string): Promise<number | undefined> {
    if (this.current?.name !== name) return undefined;
    return (await this.current.loaded.catch(() => undefined))?.contextSize;
  }

  async unload(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    this.cancelIdle();
    const loaded = await current?.loaded.catch(() => undefined);
    if (!loaded) return;
    loaded.chat.dispose();
    await loaded.context.dispose();
    await loaded.model.dispose();
    this.log.info(`Built-in engine: unloaded ${loaded.name}`);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.unload();
    const llama = await this.llama?.catch(() => undefined);
    this.llama = undefined;
    await llama?.dispose();
  }

  private load(name: string, signal: AbortSignal): Promise<LoadedModel> {
    if (this.disposed) return Promise.reject(new Error('The built-in engine has shut down.'));
    if (this.current?.name === name) return this.current.loaded;
    const previous = this.unload();
    const loaded = previous.then(() => this.loadNow(name, signal));
    const entry = { name, loaded };
    this.current = entry;
    // A failed load is not kept: the next turn tries again (the user may have fixed the file).
    loaded.catch(() => this.current === entry && (this.current = undefined));
    this.options.onLoading?.(name, loaded);
    return loaded;
  }

  private async loadNow(name: string, signal: AbortSignal): Promise<LoadedModel> {
    const settings = this.options.settings();
    const folder = settings.modelsFolder;
    const path = modelPath(folder, name);
    const file = path ? await stat(path).catch(() => undefined) : undefined;
    if (!path || !file?.isFile())
      throw new EngineModelError(
        `There is no model '${name}' in ${folder}. Add one with "Model Chat: Add a GGUF model…".`,
        'modelNotFound',
      );
    const module = await loadLlamaModule();
    this.llama ??= module.getLlama({ gpu: settings.gpu ?? 'auto', build: 'never', logLevel: module.LlamaLogLevel.error });
    const llama = await this.llama;
    // Read the header first: a broken or foreign file is named as such, and a model too big for this machine is
    // refused before llama.cpp tries to allocate it.
    let insights;
    try {
      insights = await module.GgufInsights.from(await module.readGgufFileInfo(path, { signal }), llama);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new EngineModelError(
        `${name}.gguf is not a GGUF model file that llama.cpp can read (${String((err as Error)?.message ?? err).split('\n')[0]}). Download it again or pick another file.`,
        'invalid',
      );
    }
    const needs = (await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 })).cpuRam;
    const free = freemem();
    if (needs > free)
      throw new EngineModelError(
        `${name} needs about ${formatBytes(needs)} of memory and ${formatBytes(free)} is free. Close other programs or pick a smaller model (a lower quantization such as Q4_K_M).`,
        'tooBig',
      );
    const started = performance.now();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: path, loadSignal: signal, ...(settings.gpu === false ? { gpuLayers: 0 } : {}) });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new EngineModelError(
        `llama.cpp could not load ${name}.gguf: ${String((err as Error)?.message ?? err).split('\n')[0]}`,
        'invalid',
      );
    }
    try {
      const max = Math.min(model.trainContextSize, settings.maxContextTokens ?? Number.POSITIVE_INFINITY);
      const context = await model.createContext({
        contextSize: { max },
        sequences: 1,
        ...(settings.threads ? { threads: settings.threads } : {}),
      });
      const chat = new module.LlamaChat({ contextSequence: context.getSequence() });
      this.log.info(
        `Built-in engine: loaded ${name} (${formatBytes(file.size)}, context ${context.contextSize} of ${model.trainContextSize} tokens, chat format ${chat.chatWrapper.wrapperName}) in ${Math.round(performance.now() - started)} ms`,
      );
      return { name, module, model, context, chat, contextSize: context.contextSize };
    } catch (err) {
      await model.dispose();
      if (signal.aborted) throw err;
      throw new EngineModelError(
        `${name} does not fit in this machine's memory with any useful context (${String((err as Error)?.message ?? err).split('\n')[0]}). Pick a smaller model.`,
        'tooBig',
      );
    }
  }

  private cancelIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }

  private scheduleIdle(): void {
    this.cancelIdle();
    const ms = this.options.settings().idleUnloadMs;
    if (!(ms > 0) || !this.current) return;
    this.idle = setTimeout(() => void this.unload(), ms);
    this.idle.unref();
  }
}
