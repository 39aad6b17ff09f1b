/**
 * The built-in engine (node-llama-cpp, in this process) on the tiny random-weight GGUF that install.sh writes:
 * streaming, Stop, tool calls, broken model files, and that the event loop stays free meanwhile. The model's words
 * are noise; what is asserted is the engine's behaviour, not the text.
 */
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { StreamEvent } from '../../src/streaming/providers/events';
import { EngineClient } from '../../src/streaming/providers/embedded/engineClient';
import type { GenerationOptions } from '../../src/streaming/providers/embedded/engineProtocol';
import { EmbeddedProvider } from '../../src/streaming/providers/embedded/embeddedProvider';
import type { ChatMessage } from '../../src/streaming/providers/provider';
import { LLAMA_HOME } from './llamaServer';

const TINY = join(LLAMA_HOME, 'tiny.gguf');
const skip = existsSync(TINY) ? false : `the tiny model is missing (${TINY}): run \`bash test/real-server/install.sh\``;
const ask = (text: string): ChatMessage[] => [{ role: 'user', content: text }];

async function collect(stream: AsyncIterable<StreamEvent>, onEvent?: (e: StreamEvent) => void): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const e of stream) {
    events.push(e);
    onEvent?.(e);
  }
  return events;
}
const last = (events: StreamEvent[]) => events[events.length - 1];
const errorOf = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'error' ? [e.error] : []))[0];

async function buildWorker(): Promise<string> {
  const outfile = join(import.meta.dirname, '../../test-output/embedded/engineWorker.js');
  await build({
    entryPoints: [join(import.meta.dirname, '../../src/streaming/providers/embedded/engineWorker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['node-llama-cpp'],
    logLevel: 'warning',
  });
  assert.match(readFileSync(outfile, 'utf8'), /import\("node-llama-cpp"\)/, 'the bundle keeps a real dynamic import');
  return outfile;
}

describe('built-in engine (node-llama-cpp) on a real GGUF', { skip }, () => {
  let folder: string;
  let engine: EngineClient;
  const loads: string[] = [];
  const providerWith = (options: GenerationOptions) => new EmbeddedProvider(engine, folder, options);
  const delay = monitorEventLoopDelay({ resolution: 10 });

  let workerPath: string;

  before(async () => {
    // The worker runs as the extension ships it: bundled by esbuild with node-llama-cpp kept external, so this also
    // checks that its dynamic import() survives bundling. (tsx's loader does not reach worker threads on Node 20.)
    workerPath = await buildWorker();
    folder = mkdtempSync(join(tmpdir(), 'model-chat-embedded-'));
    linkSync(TINY, join(folder, 'tiny.gguf'));
    // One thread: on a busy 2-core machine llama.cpp's threads wait on each other and generation crawls.
    engine = new EngineClient({
      settings: () => ({ modelsFolder: folder, idleUnloadMs: 0, threads: 1, gpu: false }),
      workerPath,
      log: { info: () => {}, warn: console.warn, error: console.error },
      onLoading: (model, loaded) => {
        loads.push(`loading ${model}`);
        loaded.then(
          (size) => loads.push(`loaded ${model} ${size}`),
          () => loads.push(`failed ${model}`),
        );
      },
    });
  });
  after(async () => {
    await engine.dispose();
    rmSync(folder, { recursive: true, force: true });
  });

  it('lists the folder with sizes and streams an answer with usage', async () => {
    const p = providerWith({ maxTokens: 40 });
    const models = await p.listModels();
    assert.deepEqual(
      models.map((m) => m.name),
      ['tiny'],
    );
    assert.match(models[0].detail ?? '', /^17 MB/);
    delay.enable();
    const events = await collect(p.chat({ model: 'tiny', messages: ask('Hello') }, new AbortController().signal));
    delay.disable();
    const texts = events.filter((e) => e.type === 'text');
    assert.ok(texts.length > 3, `several text events, got ${texts.length}`);
    const usage = events.find((e) => e.type === 'usage');
    assert.ok(
      usage?.type === 'usage' && usage.usage.completionTokens! >= texts.length && usage.usage.promptTokens! > 0,
      JSON.stringify(usage),
    );
    assert.deepEqual(last(events), { type: 'done', reason: 'length' });
    assert.deepEqual(loads, ['loading tiny', 'loaded tiny 4096'], 'the load is announced with the context node-llama-cpp chose');
    assert.equal(engine.contextSize('tiny'), 4096);
    // Importing node-llama-cpp and loading the model block their thread for about a second each; that thread is the
    // worker's, so this one stays free (what is left is two busy cores shared with the worker).
    const maxMs = delay.max / 1e6;
    console.log(
      `event-loop delay during first load + generation: max ${maxMs.toFixed(0)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms`,
    );
    assert.ok(maxMs < 400, `the event loop was blocked for ${maxMs} ms`);
  });

  it('Stop ends the generation within 100 ms, and the engine answers again afterwards', async () => {
    const p = providerWith({ maxTokens: 100_000 });
    const abort = new AbortController();
    let stoppedAt = 0;
    let texts = 0;
    let textsAfterStop = 0;
    let lastTextAt = 0;
    const events = await collect(p.chat({ model: 'tiny', messages: ask('Tell me a long story') }, abort.signal), (e) => {
      if (e.type !== 'text') return;
      texts++;
      lastTextAt = performance.now();
      if (stoppedAt) textsAfterStop++;
      else if (texts === 20) {
        stoppedAt = performance.now();
        abort.abort();
      }
    });
    const endedAt = performance.now();
    console.log(`Stop: ${textsAfterStop} text events after it, stream ended ${(endedAt - stoppedAt).toFixed(1)} ms after it`);
    assert.ok(stoppedAt > 0, 'the answer reached 20 text events');
    assert.equal(last(events).type, 'done');
    assert.deepEqual(last(events), { type: 'done', reason: 'aborted' });
    assert.ok(endedAt - stoppedAt < 100, `ended ${endedAt - stoppedAt} ms after Stop`);
    assert.ok(lastTextAt - stoppedAt < 100, 'no text more than 100 ms after Stop');
    // The engine takes one answer at a time: had llama.cpp gone on towards its 100,000 tokens (minutes here), the
    // next answer would wait behind it. It starts at once, so the generation itself stopped.
    const askedAt = performance.now();
    const again = await collect(providerWith({ maxTokens: 5 }).chat({ model: 'tiny', messages: ask('Hi') }, new AbortController().signal));
    assert.deepEqual(last(again), { type: 'done', reason: 'length' });
    assert.ok(performance.now() - askedAt < 5000, `the next answer took ${performance.now() - askedAt} ms`);
  });

  it('Stop while the prompt is still being read ends the answer as stopped, and the engine lives on', async () => {
    // How long reading a long prompt takes here, to press Stop a quarter of the way in.
    const started = performance.now();
    await collect(
      providerWith({ maxTokens: 1 }).chat({ model: 'tiny', messages: ask('word '.repeat(3000)) }, new AbortController().signal),
    );
    const stopAfter = (performance.now() - started) / 4;
    const abort2 = new AbortController();
    const timer = setTimeout(() => abort2.abort(), stopAfter);
    const stoppedAt = { at: 0 };
    abort2.signal.addEventListener('abort', () => (stoppedAt.at = performance.now()));
    const stopped = await collect(
      providerWith({ maxTokens: 50 }).chat({ model: 'tiny', messages: ask('other '.repeat(3000)) }, abort2.signal),
    );
    clearTimeout(timer);
    console.log(
      `Stop during the prompt (${stopAfter.toFixed(0)} ms in): ended ${(performance.now() - stoppedAt.at).toFixed(1)} ms after it`,
    );
    assert.deepEqual(last(stopped), { type: 'done', reason: 'aborted' });
    assert.ok(performance.now() - stoppedAt.at < 100, 'the answer ends at once, even though llama.cpp finishes its batch');
    assert.equal(stopped.filter((e) => e.type === 'text').length, 0, 'no text: it was stopped before the answer began');
    const again = await collect(providerWith({ maxTokens: 5 }).chat({ model: 'tiny', messages: ask('Hi') }, new AbortController().signal));
    assert.deepEqual(last(again), { type: 'done', reason: 'length' });
  });

  it('a model that is not there, or a file that is not a GGUF, ends with a clear error and nothing else breaks', async () => {
    const p = providerWith({ maxTokens: 5 });
    loads.length = 0;
    const missing = errorOf(await collect(p.chat({ model: 'nothing-here', messages: ask('Hi') }, new AbortController().signal)));
    assert.equal(missing?.kind, 'modelNotFound');
    assert.match(missing!.message, /no model 'nothing-here'.*Add a GGUF model/);
    writeFileSync(join(folder, 'broken.gguf'), Buffer.from('GGUF this is not really a model file'.repeat(100)));
    const broken = errorOf(await collect(p.chat({ model: 'broken', messages: ask('Hi') }, new AbortController().signal)));
    assert.equal(broken?.kind, 'server');
    assert.match(broken!.message, /broken\.gguf is not a GGUF model file that llama\.cpp can read/);
    const traversal = errorOf(await collect(p.chat({ model: '../tiny', messages: ask('Hi') }, new AbortController().signal)));
    assert.equal(traversal?.kind, 'modelNotFound');
    const fine = await collect(p.chat({ model: 'tiny', messages: ask('Hi') }, new AbortController().signal));
    assert.deepEqual(last(fine), { type: 'done', reason: 'length' });
  });

  it('a tool call comes out as a toolCall event for our tool runner, and its result goes back to the model', async () => {
    const tools = [
      {
        name: 'get_weather',
        description: 'The weather in a city',
        inputSchema: {
          $schema: 'http://json-schema.org/draft-07/schema#',
          type: 'object',
          properties: { city: { type: 'string', enum: ['Paris', 'Tokyo'] } },
          required: ['city'],
        },
      },
    ];
    // The random model never writes a call prefix itself: forceFunctionCall starts the answer inside a call, so the
    // grammar node-llama-cpp builds from our schema is what is tested (an enum: a free string from random weights
    // may never end).
    const p = providerWith({ maxTokens: 60, forceFunctionCall: true });
    const events = await collect(p.chat({ model: 'tiny', messages: ask('Weather in Paris?'), tools }, new AbortController().signal));
    const call = events.find((e) => e.type === 'toolCall');
    assert.ok(call?.type === 'toolCall', JSON.stringify(events.slice(-3)));
    assert.equal(call.call.name, 'get_weather');
    assert.ok(['Paris', 'Tokyo'].includes((call.call.arguments as { city: string }).city), JSON.stringify(call.call.arguments));
    assert.deepEqual(last(events), { type: 'done', reason: 'toolCalls' });
    // The next request carries the call and its result, as the session sends it after running the tool.
    const followUp: ChatMessage[] = [
      ...ask('Weather in Paris?'),
      { role: 'assistant', content: '', toolCalls: [call.call] },
      { role: 'tool', toolName: 'get_weather', content: 'Sunny, 21 °C' },
    ];
    const answer = await collect(
      providerWith({ maxTokens: 10 }).chat({ model: 'tiny', messages: followUp, tools }, new AbortController().signal),
    );
    assert.equal(errorOf(answer), undefined);
    assert.equal(last(answer).type, 'done');
    const usage = answer.find((e) => e.type === 'usage');
    assert.ok(usage?.type === 'usage' && usage.usage.promptTokens! > 10, 'the result was part of the prompt');
  });
});
