import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { silentLogger, type Logger } from '../../../shared/log';
import type { StreamEvent } from '../events';
import type { ChatRequest } from '../provider';
import type { EngineSettings, FromWorker, GenerationOptions, ToWorker } from './engineProtocol';
import { EventQueue } from './eventQueue';

export interface EngineClientOptions {
  settings(): EngineSettings;
  /** The worker's script: dist/engineWorker.js next to the bundle; tests give the .ts file and `--import tsx`. */
  workerPath?: string;
  execArgv?: string[];
  /** A model starts loading; the promise resolves with its context size or rejects when it fails. */
  onLoading?(model: string, loaded: Promise<number>): void;
  log?: Logger;
}

/**
 * The extension host's side of the built-in engine: starts its worker thread on the first answer, streams each
 * answer's events back, passes Stop on, and shuts the worker down cleanly (llama.cpp released first).
 */
export class EngineClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly streams = new Map<number, EventQueue<StreamEvent>>();
  private readonly loads = new Map<string, { resolve(size: number): void; reject(err: Error): void }>();
  private readonly contextSizes = new Map<string, number>();
  private readonly log: Logger;
  private stopped: Promise<void> | undefined;
  private unloading: Array<() => void> = [];

  constructor(private readonly options: EngineClientOptions) {
    this.log = options.log ?? silentLogger;
  }

  /** The context size of a model that is loaded now (for the context meter), as node-llama-cpp sized it. */
  contextSize(model: string): number | undefined {
    return this.contextSizes.get(model);
  }

  async *generate(request: ChatRequest, options: GenerationOptions, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    if (signal.aborted) return yield { type: 'done', reason: 'aborted' };
    const worker = this.start();
    const id = this.nextId++;
    const queue = new EventQueue<StreamEvent>();
    this.streams.set(id, queue);
    // Stop ends the answer at once: llama.cpp notices the abort between batches, which while it reads a long prompt
    // can take most of a second (measured); the worker finishes that in the background and its events are dropped.
    const onAbort = () => {
      this.streams.delete(id);
      this.send({ type: 'abort', id });
      queue.push({ type: 'done', reason: 'aborted' });
      queue.close();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      this.send({ type: 'generate', id, request, options, settings: this.options.settings() }, worker);
      yield* queue.drain();
    } finally {
      signal.removeEventListener('abort', onAbort);
      // The consumer left early (its own Stop, an error above): the worker must stop generating too.
      if (this.streams.delete(id)) this.send({ type: 'abort', id });
    }
  }

  /** Resolves once the worker let go of the model (its file can then be deleted, even on Windows). */
  unload(): Promise<void> {
    this.contextSizes.clear();
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.unloading.push(resolve);
      this.send({ type: 'unload' }, worker);
    });
  }

  /** Ends the worker after it released llama.cpp; on deactivate. */
  dispose(): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    this.stopped ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 10_000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.send({ type: 'dispose' }, worker);
    });
    return this.stopped;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.workerPath ?? join(__dirname, 'engineWorker.js'), {
      ...(this.options.execArgv ? { execArgv: this.options.execArgv } : {}),
    });
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (err) => this.log.error(`Built-in engine: the worker failed: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.stopped = undefined;
      this.contextSizes.clear();
      const message = `The built-in engine stopped unexpectedly (exit code ${code}). Send again to restart it; the log has details.`;
      for (const queue of this.streams.values()) {
        queue.push({ type: 'error', error: { kind: 'server', message } });
        queue.close();
      }
      this.streams.clear();
      for (const load of this.loads.values()) load.reject(new Error(message));
      this.loads.clear();
      this.unloading.splice(0).forEach((resolve) => resolve());
    });
    this.worker = worker;
    return worker;
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'event':
        return this.streams.get(message.id)?.push(message.event);
      case 'end': {
        const queue = this.streams.get(message.id);
        this.streams.delete(message.id);
        return queue?.close();
      }
      case 'loading': {
        const loaded = new Promise<number>((resolve, reject) => this.loads.set(message.model, { resolve, reject }));
        loaded.catch(() => undefined);
        return this.options.onLoading?.(message.model, loaded);
      }
      case 'loaded':
        this.contextSizes.clear();
        this.contextSizes.set(message.model, message.contextSize);
        this.loads.get(message.model)?.resolve(message.contextSize);
        return void this.loads.delete(message.model);
      case 'loadFailed':
        this.loads.get(message.model)?.reject(new Error(`${message.model} could not be loaded`));
        return void this.loads.delete(message.model);
      case 'unloaded':
        this.contextSizes.clear();
        this.unloading.splice(0).forEach((resolve) => resolve());
        return;
      case 'log':
        return this.log[message.level](message.message);
      case 'disposed':
        this.worker = undefined;
        return;
    }
  }

  private send(message: ToWorker, worker = this.worker): void {
    worker?.postMessage(message);
  }
}
