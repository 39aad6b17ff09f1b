/**
 * The built-in engine's thread: node-llama-cpp is imported and models are loaded here, not on the extension
 * host's thread (both block for about a second; see embeddedEngine.ts). Started by engineClient.ts.
 */
import { parentPort } from 'node:worker_threads';
import { EmbeddedEngine } from './embeddedEngine';
import type { EngineSettings, FromWorker, ToWorker } from './engineProtocol';
import { describeFailure, generate } from './generate';

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
let settings: EngineSettings = { modelsFolder: '', idleUnloadMs: 0 };
const running = new Map<number, AbortController>();

const engine = new EmbeddedEngine({
  settings: () => settings,
  onLoading: (model, loaded) => {
    post({ type: 'loading', model });
    loaded.then(
      (m) => post({ type: 'loaded', model, contextSize: m.contextSize }),
      () => post({ type: 'loadFailed', model }),
    );
  },
  log: {
    info: (message) => post({ type: 'log', level: 'info', message }),
    warn: (message) => post({ type: 'log', level: 'warn', message }),
    error: (message) => post({ type: 'log', level: 'error', message }),
  },
});

async function run(message: Extract<ToWorker, { type: 'generate' }>): Promise<void> {
  const { id, request, options } = message;
  const abort = new AbortController();
  running.set(id, abort);
  settings = message.settings;
  try {
    const end = await engine.withModel(request.model, abort.signal, (loaded) =>
      generate(loaded, request, options, abort.signal, (event) => post({ type: 'event', id, event })),
    );
    for (const event of end) post({ type: 'event', id, event });
  } catch (err) {
    post({
      type: 'event',
      id,
      event: abort.signal.aborted ? { type: 'done', reason: 'aborted' } : { type: 'error', error: describeFailure(err, request.model) },
    });
  } finally {
    running.delete(id);
    post({ type: 'end', id });
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'generate') void run(message);
  else if (message.type === 'abort') running.get(message.id)?.abort();
  else if (message.type === 'unload') void engine.unload().then(() => post({ type: 'unloaded' }));
  else if (message.type === 'dispose') {
    for (const abort of running.values()) abort.abort();
    // The native side is released before the thread ends: ending it with llama.cpp's objects alive aborts the process.
    void engine.dispose().finally(() => {
      post({ type: 'disposed' });
      port.close();
    });
  }
});
